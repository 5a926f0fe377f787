"""The inbox on a phone, in a real browser: the reporter sees the unread count in the header,
marks one item read in place (htmx: the count follows), opens a reminder straight into the
report form for its date, marks the rest read, and chooses e-mail on the user page."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from dispatch.tests.factories import at
from lib import testing
from lib.browser import OpenPage, log_in, screenshot
from notify.models import InboxItem, Kind, Preference
from notify.reminders import send_cutoff_reminders
from notify.services import publish

pytest_plugins = ["lib.browser"]
pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"


def test_a_reporter_reads_the_inbox_on_a_phone(open_page: OpenPage, browser_errors: list[str]):
    testing.load_reference_once()
    world = testing.World.build()
    testing.user("tina", Role.REPORTER, enterprise=world.textile)
    with at(2020, 2, 21, 17, 5):
        assert send_cutoff_reminders() == 2  # steel (dave) and textile (tina)
        publish(
            Kind.PROBLEM_ANSWERED,
            recipients=[world.dave],
            title="您的诉求已答复：原材料运输",
            text="市交通运输局已答复：绿色通道已开通，请持通行证通行。",
        )
    page = open_page(**PHONE)
    log_in(page, "dave")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#inbox-badge")).to_have_text("2")
    page.locator("#inbox-link").click()
    expect(page.locator(".inbox-item.unread")).to_have_count(2)
    expect(page.locator("#inbox-list")).to_contain_text("请填报2月21日复工复产日报")
    no_sideways_scroll(page)
    screenshot(page, "inbox-phone.png")

    answered = page.locator(".inbox-item", has_text="您的诉求已答复")
    answered.locator("button.mark-read").click()
    expect(page.locator("#inbox-badge")).to_have_text("1")  # updated in place
    expect(page.locator(".inbox-item.unread")).to_have_count(1)
    assert "/inbox/" in page.url

    with page.expect_navigation():
        page.locator(".inbox-item.unread a.title").click()
    assert page.url.endswith("/dispatch/report/?date=2020-02-21")
    expect(page.locator("#inbox-badge")).to_have_text("")
    assert not InboxItem.objects.filter(user=world.dave, read_at__isnull=True).exists()

    page.goto("/accounts/me/")
    section = page.locator("#notifications")
    page.fill("#id_email", "dave@example.org")
    section.locator(f'input[value="{Kind.PROBLEM_ASSIGNED}"]').uncheck()
    with page.expect_navigation():
        page.locator("#save-notifications").click()
    expect(page.locator(".message")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, "me-notifications-phone.png")
    assert Preference.objects.get(user=world.dave, kind=Kind.PROBLEM_ASSIGNED).email is False
    assert Preference.objects.get(user=world.dave, kind=Kind.REPORT_REMINDER).email is True
    assert browser_errors == []


def test_mark_all_read_clears_the_count(open_page: OpenPage, browser_errors: list[str]):
    testing.load_reference_once()
    world = testing.World.build()
    for n in range(3):
        publish(Kind.PROBLEM_ASSIGNED, recipients=[world.bob], title=f"诉求{n}", text="待办理")
    page = open_page(**PHONE)
    log_in(page, "bob")
    page.wait_for_load_state("networkidle")  # the landing dashboard has fetched its charts
    page.goto("/inbox/")
    expect(page.locator("#inbox-badge")).to_have_text("3")
    with page.expect_navigation():
        page.locator("#read-all").click()
    expect(page.locator(".inbox-item.read")).to_have_count(3)
    expect(page.locator("#inbox-badge")).to_have_text("")
    assert browser_errors == []
