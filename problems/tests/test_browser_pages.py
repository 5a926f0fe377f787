"""The problem pages in a real browser on a 360 px phone: an enterprise raises a problem, the
desk accepts and answers it, the enterprise confirms and rates it; the metrics page draws its
category chart. Screenshots go to VAR_DIR/screenshots/."""

import pytest
from playwright.sync_api import expect

from lib import testing
from lib.browser import OpenPage, log_in, screenshot
from problems.models import Problem

from .factories import at, desks

pytest_plugins = ["lib.browser"]
pytestmark = pytest.mark.browser


@pytest.fixture
def attachments_in_tmp():
    """Screenshots go to VAR_DIR here: leave it as it is (nothing is attached)."""


PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide"


def test_raise_answer_confirm_on_a_phone(open_page: OpenPage, browser_errors: list[str]):
    testing.load_reference_once()
    world = testing.World.build()
    d = desks(world)
    reporter = open_page(**PHONE)
    handler = open_page(**PHONE)

    with at(2020, 2, 17, 10):
        log_in(reporter, "dave")
        reporter.goto("/problems/new/")
        reporter.select_option("#id_category", "labour")
        reporter.locator("#field-urgency label.choice").nth(1).click()  # urgent
        reporter.fill("#id_description", "春节后返岗不足一半，急需电焊工20名")
        screenshot(reporter, "problems-new-phone.png")
        no_sideways_scroll(reporter)
        with reporter.expect_navigation():
            reporter.locator("#submit-problem").click()
        expect(reporter.locator("#problem-status")).to_contain_text("待受理")
        p = Problem.objects.get()
        assert (p.urgency, p.handler) == ("urgent", d.henry)

        log_in(handler, "henry")
        handler.goto("/problems/")
        screenshot(handler, "problems-list-phone.png")
        no_sideways_scroll(handler)
        handler.locator(f"#problem-{p.pk} a").first.click()
        with handler.expect_navigation():
            handler.locator("#form-accept button").click()
        handler.fill("#id_answer", "已联系人社局，2月19日专场招聘会")
        with handler.expect_navigation():
            handler.locator("#form-answer button").click()
        expect(handler.locator("#problem-status")).to_contain_text("已答复")

        reporter.reload()
        reporter.locator("label[for=id_rating_5]").click()
        with reporter.expect_navigation():
            reporter.locator("#form-confirm button").click()
        expect(reporter.locator("#problem-rating")).to_contain_text("5 / 5")
        expect(reporter.locator("#timeline li")).to_have_count(5)
        screenshot(reporter, "problems-detail-phone.png")
        no_sideways_scroll(reporter)

        official = open_page(**PHONE)
        log_in(official, "bob")
        official.wait_for_load_state("networkidle")  # the landing dashboard has drawn
        official.goto("/problems/metrics/?from=2020-02-10&to=2020-02-17")
        expect(official.locator("#category-chart[data-ready='1']")).to_have_count(1)
        expect(official.locator("#kpi-satisfaction .rate")).to_have_text("100%")
        screenshot(official, "problems-metrics-phone.png")
    assert browser_errors == []
