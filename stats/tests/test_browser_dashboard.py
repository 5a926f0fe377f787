"""The dashboard in a real browser (Playwright driving Debian's chromium, lib/browser.py).

bob, the Baotou official, lands on the dashboard, sees the figures, the trend and the map drawn
(ECharts canvases), drills down to the county that has not reported, opens the not-reported list
and presses "Remind"; the same dashboard at 360 px never scrolls sideways. Screenshots go to
VAR_DIR/screenshots/ (dashboard-desktop.png, dashboard-phone.png, …).

Reports (through dispatch.actions.write): steel (Kundulun) partial on Thursday the 20th, full
with 600 of 800 on site on Friday the 21st; textile (Qingshan) reports nothing.
live_server is transactional, so the test loads the reference data and builds the world itself.
"""

import importlib
import re
from datetime import date

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from dispatch.models import Reminder
from dispatch.tests.factories import report
from lib import testing
from lib.browser import OpenPage, log_in, screenshot

pytest_plugins = ["lib.browser"]

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
FRI, THU = date(2020, 2, 21), date(2020, 2, 20)


def build_world() -> testing.World:
    testing.load_reference_once()
    # live_server's flush after an earlier test also empties what data migrations seeded: the
    # default cadence rules and the cut-off (without them nobody is expected to report).
    seed = importlib.import_module("dispatch.migrations.0002_default_cadence_rules").seed
    seed(apps, None)
    world = testing.World.build()
    report(world.steel, THU, status="partial", staff_on_site=400, capacity_pct=50)
    report(world.steel, FRI, status="full", staff_on_site=600, capacity_pct=80)
    return world


def assert_fits(page: Page, width: int = 360) -> None:
    """No sideways scrolling at phone width; otherwise name what sticks out."""
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


def charts_drawn(page: Page) -> None:
    """Both charts have data and a canvas (dashboard.js marks them data-ready)."""
    for chart in ("#trend-chart", "#map-chart"):
        expect(page.locator(f"{chart}[data-ready='1'] canvas").first).to_be_visible()
        box = page.locator(f"{chart} canvas").first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200, (chart, box)


def test_official_sees_the_figures_drills_down_and_reminds(
    open_page: OpenPage, browser_errors: list[str]
):
    world = build_world()
    page = open_page(**DESKTOP)
    log_in(page, "bob")

    # Home is the dashboard of Baotou as of the newest reported date.
    expect(page).to_have_url(re.compile(r"/stats/$"))
    expect(page.locator("#dash-title")).to_contain_text("包头市")
    expect(page.locator("#dash-title")).to_contain_text("2020-02-21")
    rate = page.locator("#kpi-resumption_rate")
    expect(rate.locator(".rate")).to_have_text("50.0%")  # steel of steel and textile
    expect(rate.locator(".counts")).to_contain_text("1 / 2")
    expect(rate.locator(".delta")).to_contain_text("+0.0")  # Thursday: also 1 of 2
    expect(page.locator("#kpi-staff_return_rate .counts")).to_contain_text("600 / 920")
    expect(page.locator("#kpi-completeness .rate")).to_have_text("50.0%")
    charts_drawn(page)
    # The map shows Baotou's counties as points on Inner Mongolia's map.
    expect(page.locator("#map-chart")).to_have_attribute("data-kind", "points")
    screenshot(page, "dashboard-desktop.png")

    # Other breakdowns come in place with htmx (no page load).
    page.evaluate("window.stillTheSamePage = true")
    page.locator("#tab-division").click()
    expect(page.locator("#tab-division")).to_have_class("on")
    expect(page.locator("#breakdown-table")).to_contain_text("黑色金属冶炼")
    assert page.evaluate("window.stillTheSamePage") is True
    page.locator("#tab-region").click()
    expect(page.locator("#breakdown-table")).to_contain_text("青山区")

    # Drill down to Qingshan, where textile has not reported.
    page.wait_for_load_state("networkidle")
    page.locator("#breakdown-table a", has_text="青山区").click()
    expect(page).to_have_url(re.compile(r"region=150204"))
    expect(page.locator("#crumbs")).to_contain_text("包头市")
    expect(page.locator("#enterprise-table")).to_contain_text("青山纺织")
    expect(page.locator("#enterprise-table tr.missing")).to_contain_text("青山纺织")
    expect(page.locator("#map-chart")).to_have_count(0)  # no boundaries below a city
    expect(page.locator("#trend-chart[data-ready='1'] canvas").first).to_be_visible()
    screenshot(page, "dashboard-county.png")

    # The not-reported list, and a reminder recorded for the enterprise.
    page.wait_for_load_state("networkidle")  # leaving mid-request would abort its scripts
    page.locator("#not-reported-link").click()
    expect(page).to_have_url(re.compile(r"/stats/not-reported/\?region=150204"))
    row = page.locator(f"#nr-{world.textile.uscc}")
    expect(row).to_contain_text("青山纺织")
    expect(row.locator(".phone")).to_have_text("139****1111")  # masked
    row.locator("button.remind").click()
    expect(page.locator("#remind-note")).to_have_text(re.compile(r"(^|\D)1(\D|$)"))
    expect(row.locator(".reminded")).to_be_visible()
    assert Reminder.objects.filter(enterprise=world.textile, date=FRI).count() == 1
    # "Remind all on this page" does not remind it twice.
    page.locator("#remind-all").click()
    expect(page.locator("#remind-note")).to_have_text(re.compile(r"(^|\D)0(\D|$)"))
    assert Reminder.objects.count() == 1
    screenshot(page, "dashboard-not-reported.png")
    assert "13900001111" not in page.content()
    assert browser_errors == []


def test_the_dashboard_on_a_phone(open_page: OpenPage, browser_errors: list[str]):
    build_world()
    page = open_page(**PHONE)
    log_in(page, "bob")
    expect(page.locator("#kpi-resumption_rate .rate")).to_have_text("50.0%")
    charts_drawn(page)
    assert_fits(page)
    # the figures table scrolls inside its box, the page does not
    expect(page.locator("#breakdown-table")).to_be_visible()
    screenshot(page, "dashboard-phone.png")
    page.wait_for_load_state("networkidle")  # leaving mid-request would abort the chart's data
    page.goto("/stats/?region=150204&date=2020-02-21")
    expect(page.locator("#enterprise-table")).to_contain_text("青山纺织")
    assert_fits(page)
    page.wait_for_load_state("networkidle")
    page.locator("#not-reported-link").click()
    expect(page.locator("#not-reported-table")).to_contain_text("青山纺织")
    assert_fits(page)
    screenshot(page, "dashboard-phone-not-reported.png")
    assert browser_errors == []
