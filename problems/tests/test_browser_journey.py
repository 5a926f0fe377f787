"""The whole problem journey in a real browser, across apps: a difficulty ticked in a dispatch
report becomes a problem; it lands in the inbox of the handler of the right department (人社 of
the enterprise's county for labour); the handler accepts and answers; the enterprise confirms and
rates it; the official's dashboard and the brief show the problem figures change."""

from datetime import date

import pytest
from playwright.sync_api import expect

from dispatch.tests.factories import report
from lib import testing
from lib.browser import OpenPage, log_in, screenshot
from problems.models import Problem

from .factories import at, desks

pytest_plugins = ["lib.browser"]
pytestmark = pytest.mark.browser

DAY = date(2020, 2, 17)


@pytest.fixture
def attachments_in_tmp():
    """Screenshots go to VAR_DIR here: leave it as it is (nothing is attached)."""


def test_from_a_reported_difficulty_to_a_rated_answer(open_page: OpenPage, browser_errors):
    testing.load_reference_once()
    world = testing.World.build()
    d = desks(world)
    report(world.steel, DAY, actor=world.dave, difficulties=["labour"])

    with at(2020, 2, 17, 10):
        official = open_page()
        log_in(official, "bob")
        official.wait_for_load_state("networkidle")  # the landing dashboard has drawn
        official.goto("/stats/?region=150203&date=2020-02-17")
        expect(official.locator("#problem-satisfaction b")).to_have_text("—")
        expect(official.locator("#problem-figures .counts")).to_contain_text("0")

        enterprise = open_page()
        log_in(enterprise, "dave")
        enterprise.goto("/dispatch/report/?date=2020-02-17")
        with enterprise.expect_navigation():
            enterprise.locator("#raise-labour").click()
        expect(enterprise.locator("#id_category")).to_have_value("labour")
        enterprise.fill("#id_description", "春节后返岗不足一半，急需电焊工20名")
        with enterprise.expect_navigation():
            enterprise.locator("#submit-problem").click()
        expect(enterprise.locator("#problem-status")).to_contain_text("待受理")
        problem = Problem.objects.get()
        assert problem.report is not None and problem.report.date == DAY
        assert (problem.department, problem.handler) == (d.county_hr, d.henry)

        handler = open_page()
        log_in(handler, "henry")
        expect(handler.locator("#inbox-badge")).to_have_text("1")
        handler.goto("/inbox/")
        expect(handler.locator("#inbox-list")).to_contain_text(problem.number)
        with handler.expect_navigation():
            handler.locator("#inbox-list .title").first.click()
        with handler.expect_navigation():
            handler.locator("#form-accept button").click()
        handler.fill("#id_answer", "已联系人社局，2月19日专场招聘会")
        with handler.expect_navigation():
            handler.locator("#form-answer button").click()
        expect(handler.locator("#problem-status")).to_contain_text("已答复")

        enterprise.goto("/inbox/")
        expect(enterprise.locator("#inbox-list")).to_contain_text(problem.number)
        enterprise.goto(f"/problems/{problem.pk}/")
        enterprise.locator("label[for=id_rating_5]").click()
        with enterprise.expect_navigation():
            enterprise.locator("#form-confirm button").click()
        expect(enterprise.locator("#problem-rating")).to_contain_text("5 / 5")
        enterprise.goto("/dispatch/report/?date=2020-02-17")
        expect(enterprise.locator("#difficulty-problem-labour")).to_contain_text(problem.number)

        official.reload()
        expect(official.locator("#problem-satisfaction b")).to_have_text("100.0%")
        expect(official.locator("#problem-resolution b")).to_have_text("100.0%")
        expect(official.locator("#brief")).to_contain_text("本日新增诉求1件")
        official.wait_for_load_state("networkidle")
        screenshot(official, "problems-on-the-dashboard.png")
        official.locator("#problem-metrics-link").click()
        expect(official.locator("#kpi-satisfaction .rate")).to_have_text("100%")
    assert browser_errors == []
