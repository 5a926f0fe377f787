"""Reporting in a real browser on a phone (Playwright driving Debian's chromium, lib/browser.py).

An enterprise reporter at 360 px submits a changed report for yesterday (a blank is refused with
the rule set's message, and what was typed stays), then "no change since last report" for today in
one action, timed from the click to the confirmation (printed, never asserted: run with -s). A park
manager sees the park's day, downloads the template, checks and imports it.

The clock is frozen at Friday 2020-02-21 10:00 for the live server too (it runs in this process).
live_server is transactional, so each test loads the reference data and builds the world itself.
"""

import re
import time
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from dispatch.models import Report, ReportVersion
from lib import testing
from lib.browser import OpenPage, log_in, screenshot

from .factories import at, report

pytest_plugins = ["lib.browser"]

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
FRI, THU = date(2020, 2, 21), date(2020, 2, 20)


@pytest.fixture
def friday_morning():
    with at(2020, 2, 21, 10):
        yield


def build_world() -> testing.World:
    testing.load_reference_once()
    return testing.World.build()


def assert_fits(page: Page, width: int = 360) -> None:
    """No sideways scrolling at phone width; otherwise name what sticks out."""
    # Measured before the stylesheet applies, a fieldset is as wide as its widest content.
    page.wait_for_load_state("load")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(
            """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w)
                .map(e => e.tagName.toLowerCase() + '.' + e.className + ' '
                     + Math.round(e.getBoundingClientRect().right)).slice(0, 12)""",
            width,
        )
        pytest.fail(f"{page.url} is {scroll_width} px wide on a {width} px screen: {wide}")


def assert_touch_targets(page: Page, selector: str, minimum: int = 44) -> None:
    heights = page.eval_on_selector_all(
        selector, "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= minimum, (selector, heights)


def test_reporter_submits_a_changed_report_then_no_change_in_one_action(
    open_page: OpenPage, browser_errors: list[str], friday_morning
):
    world = build_world()
    page = open_page(**PHONE)
    log_in(page, "dave")
    expect(page).to_have_url(re.compile(r"/dispatch/report/$"))
    expect(page.locator("h1")).to_have_text("包钢示范钢铁")
    expect(page.locator("#no-change")).to_have_count(0)  # nothing earlier to repeat yet

    # Yesterday: pick the date, fill in the form, leave one case count blank.
    page.fill("#id_day", "2020-02-20")
    with page.expect_navigation():
        page.locator("form.day-picker button").click()
    expect(page.locator("#form-title")).to_contain_text("2020-02-20")
    page.locator("label.choice", has_text="部分复工").click()
    page.fill("#id_staff_on_site", "420")
    page.fill("#id_capacity_pct", "55")
    page.locator("#field-temperature_checks label.choice").first.click()
    page.locator("#field-disinfection label.choice").first.click()
    page.fill("#id_mask_days", "6")
    page.fill("#id_fever", "")
    page.fill("#id_suspected", "0")
    page.fill("#id_confirmed", "0")
    page.locator("#field-difficulties label.choice", has_text="原材料").click()
    page.fill("#id_note", "原材料运输受阻")
    assert_fits(page)
    assert_touch_targets(page, "form.report label.choice")
    assert_touch_targets(page, "form.report input[type=number]")
    screenshot(page, "report-form-360.png")
    with page.expect_navigation():
        page.locator("#submit").click()

    # Refused by the rule set: the message sits by the field, and what was typed is still there.
    expect(page.locator("#field-fever .field-error")).to_contain_text("0也要填写")
    expect(page.locator("#id_staff_on_site")).to_have_value("420")
    expect(page.locator("#id_note")).to_have_value("原材料运输受阻")
    expect(page.locator("#field-difficulties input[value=raw_materials]")).to_be_checked()
    assert Report.objects.count() == 0
    assert_fits(page)
    screenshot(page, "report-errors-360.png")
    page.fill("#id_fever", "0")
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator(".message")).to_contain_text("2020-02-20")
    thursday = Report.objects.get(enterprise=world.steel, date=THU)
    assert (thursday.staff_on_site, thursday.capacity_pct, thursday.fever) == (420, 55, 0)
    assert thursday.difficulties == ["raw_materials"] and thursday.on_time is False
    expect(page.locator("#current-note")).to_be_visible()  # now it is in: a correction

    # Today: one press of "no change since last report".
    page.goto("/dispatch/report/")
    button = page.locator("#no-change")
    expect(button).to_be_visible()
    expect(page.locator("form.no-change")).to_contain_text("2020-02-20")
    assert_fits(page)
    assert_touch_targets(page, "#no-change", 60)
    screenshot(page, "report-no-change-360.png")
    started = time.perf_counter()
    button.click()
    expect(page.locator(".message")).to_contain_text("2020-02-21")
    page.wait_for_load_state("load")  # styled and shown, not just in the DOM
    elapsed = time.perf_counter() - started
    print("no-change action: %.2f s" % elapsed)  # noqa: UP031 (the brief's exact format)

    friday = Report.objects.get(enterprise=world.steel, date=FRI)
    assert (friday.status, friday.staff_on_site, friday.capacity_pct, friday.mask_days) == (
        "partial",
        420,
        55,
        6,
    )
    assert friday.difficulties == ["raw_materials"] and friday.note == "原材料运输受阻"
    assert friday.on_time is True
    assert friday.source == "no_change" and not ReportVersion.objects.filter(report=friday).exists()
    expect(page.locator("#no-change")).to_have_count(0)
    expect(page.locator("#today-status .ok")).to_be_visible()
    assert_fits(page)
    screenshot(page, "report-done-360.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "report-done-desktop.png")
    assert browser_errors == []


def test_park_manager_checks_and_imports_the_park_sheet_on_a_phone(
    open_page: OpenPage, browser_errors: list[str], friday_morning, tmp_path
):
    world = build_world()
    machinery = testing.enterprise("150203", name="园区机械", park=world.park, headcount=60)
    report(world.steel, THU, staff_on_site=300)
    report(machinery, THU, staff_on_site=40)
    page = open_page(**PHONE)
    log_in(page, "erin")
    expect(page.locator("#park-count")).to_contain_text("0")
    expect(page.locator("table.park-list tr.missing")).to_have_count(2)
    assert_fits(page)
    screenshot(page, "park-day-360.png")

    with page.expect_download() as download:
        page.locator("#template").click()
    sheet = tmp_path / "park.xlsx"
    download.value.save_as(sheet)
    page.set_input_files("#id_file", str(sheet))
    with page.expect_navigation():
        page.locator("button[value=check]").click()
    expect(page.locator("#n-created")).to_have_text("2")
    expect(page.locator("#n-errors")).to_have_text("0")
    assert Report.objects.filter(date=FRI).count() == 0
    assert_fits(page)
    screenshot(page, "park-check-360.png")
    with page.expect_navigation():
        page.locator("#import").click()
    expect(page.locator("#n-created")).to_have_text("2")
    expect(page.locator("#same-as-check")).to_be_visible()
    expect(page.locator("table.park-list tr.in")).to_have_count(2)
    assert Report.objects.filter(date=FRI).count() == 2
    assert_fits(page)
    screenshot(page, "park-imported-360.png")
    # A link that downloads ends its navigation as "aborted" in Chromium; nothing else may fail.
    assert [
        e for e in browser_errors if "template.xlsx?date=2020-02-21: net::ERR_ABORTED" not in e
    ] == []
