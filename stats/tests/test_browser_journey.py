"""Issue 3's whole journey in a real browser: an enterprise reports, the official's dashboard
moves; the next day "no change" in one action (timed, printed, never asserted); the official drills
down to the county, opens the not-reported list and downloads the brief.

The live server runs in this process, so patching the clock moves it for the pages too.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from dispatch.models import Report, ReportVersion
from dispatch.tests.factories import at
from lib import testing
from lib.browser import OpenPage, log_in, screenshot

pytest_plugins = ["lib.browser"]
pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def dashboard(page, day: str) -> None:
    page.goto(f"/stats/?date={day}")
    expect(page.locator("#dash-title")).to_contain_text(day)
    page.wait_for_load_state("networkidle")


def test_report_moves_the_dashboard_and_the_official_follows_up(
    open_page: OpenPage, browser_errors: list[str], tmp_path
):
    testing.load_reference_once()
    world = testing.World.build()
    official = open_page(**DESKTOP)
    reporter = open_page(**PHONE)

    with at(2020, 2, 20, 10):  # Thursday
        log_in(official, "bob")
        official.wait_for_load_state("networkidle")  # the landing dashboard has drawn
        dashboard(official, "2020-02-20")
        expect(official.locator("#kpi-resumption_rate .counts")).to_contain_text("0 / 2")

        log_in(reporter, "dave")
        reporter.locator("label.choice", has_text="部分复工").click()
        reporter.fill("#id_staff_on_site", "420")
        reporter.fill("#id_capacity_pct", "55")
        reporter.locator("#field-temperature_checks label.choice").first.click()
        reporter.locator("#field-disinfection label.choice").first.click()
        for name, value in (("mask_days", "6"), ("fever", "0"), ("suspected", "0")):
            reporter.fill(f"#id_{name}", value)
        reporter.fill("#id_confirmed", "0")
        with reporter.expect_navigation():
            reporter.locator("#submit").click()
        expect(reporter.locator(".message")).to_contain_text("2020-02-20")

        dashboard(official, "2020-02-20")  # the dashboard has moved
        expect(official.locator("#kpi-resumption_rate .counts")).to_contain_text("1 / 2")
        expect(official.locator("#kpi-staff_return_rate .counts")).to_contain_text("420 / 920")

    with at(2020, 2, 21, 9, 30):  # Friday: nothing changed at the steel works
        # A night later yesterday's sessions have timed out: both log in again.
        log_in(reporter, "dave")
        log_in(official, "bob")
        official.wait_for_load_state("networkidle")  # the landing dashboard has drawn
        reporter.goto("/dispatch/report/")
        button = reporter.locator("#no-change")
        expect(button).to_be_visible()
        started = time.perf_counter()
        button.click()
        expect(reporter.locator(".message")).to_contain_text("2020-02-21")
        reporter.wait_for_load_state("load")
        print(
            f"\nno change since last report, click to confirmation: {time.perf_counter() - started:.2f} s"
        )
        friday = Report.objects.get(enterprise=world.steel, date="2020-02-21")
        assert (friday.staff_on_site, friday.capacity_pct, friday.on_time) == (420, 55, True)
        assert (
            friday.source == "no_change"
            and not ReportVersion.objects.filter(report=friday).exists()
        )

        dashboard(official, "2020-02-21")
        expect(official.locator("#kpi-resumption_rate .counts")).to_contain_text("1 / 2")
        expect(official.locator("#brief-text")).to_contain_text("截至2月21日，包头市")
        screenshot(official, "journey-dashboard.png")

        # Drill down to the county where nobody has reported yet.
        official.locator("#tab-region").click()
        official.locator("#breakdown-table a", has_text="青山区").click()
        expect(official).to_have_url(re.compile(r"region=150204"))
        expect(official.locator("#enterprise-table tr.missing")).to_contain_text("青山纺织")
        official.wait_for_load_state("networkidle")
        official.locator("#not-reported-link").click()
        row = official.locator(f"#nr-{world.textile.uscc}")
        expect(row).to_contain_text("青山纺织")
        row.locator("button.remind").click()
        expect(row.locator(".reminded")).to_be_visible()

        # The brief of the city, as Word and Excel.
        dashboard(official, "2020-02-21")
        for link, suffix in (("#brief-docx", ".docx"), ("#brief-xlsx", ".xlsx")):
            with official.expect_download() as download:
                official.locator(link).click()
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            assert saved.suffix == suffix and saved.stat().st_size > 1000
    # A link that answers with an attachment ends as a download, which the browser logs as an
    # aborted navigation; anything else is a real error.
    assert [e for e in browser_errors if "ERR_ABORTED" not in e or "/stats/brief." not in e] == []
