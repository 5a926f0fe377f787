"""The register in a real browser (Playwright driving Debian's chromium, see lib/browser.py).

An official logs in, drills into a city, filters (htmx swaps the rows), opens an enterprise; a
reporter sees only its own enterprise; a 360 px phone never scrolls sideways; the language
switch; a failed login. Screenshots go to VAR_DIR/screenshots/.

live_server is transactional (the database is emptied after each test), so every test loads
the reference data and builds the named world itself.
"""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from lib import testing
from lib.browser import OpenPage, log_in, screenshot
from registry import actions

pytest_plugins = ["lib.browser"]

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def build_world() -> testing.World:
    testing.load_reference_once()
    return testing.World.build()


def listed_names(page: Page):
    return page.locator("#rows tbody td:first-child a")


def count_is(n: int) -> re.Pattern[str]:
    """The count line says n, whatever the language ("3 enterprises", "共 3 家企业")."""
    return re.compile(rf"^\D*\b{n}\b\D*$")


def reveal_contacts(page: Page, uscc: str) -> tuple[int, Any]:
    """POST the audited reveal from the page, as a script on it would (session and CSRF token)."""
    result = page.evaluate(
        """async url => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}});
            return [r.status, await r.json()];
        }""",
        f"/api/v1/enterprises/{uscc}/contacts/reveal",
    )
    return result[0], result[1]


def assert_no_sideways_scrolling(page: Page, width: int = 360) -> None:
    """The page is no wider than the screen; otherwise name the elements that stick out."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(
            """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                     + ' ' + Math.round(e.getBoundingClientRect().right))
                .slice(0, 12)""",
            width,
        )
        pytest.fail(f"{page.url} is {scroll_width} px wide on a {width} px screen: {wide}")


def test_official_drills_into_a_city_filters_and_opens_an_enterprise(
    open_page: OpenPage, browser_errors: list[str]
):
    world = build_world()
    page = open_page(**DESKTOP)
    log_in(page, "alice")
    expect(page).to_have_url(re.compile(r"/stats/$"))  # officials land on the dashboard
    page.wait_for_load_state("networkidle")  # its charts have loaded
    page.locator("header nav a", has_text=re.compile("Enterprises|企业名录")).click()

    # Inner Mongolia's three enterprises, not Shanxi's coal mine; ordered by region code.
    expect(page).to_have_url(re.compile(r"/enterprises/$"))
    expect(listed_names(page)).to_have_text(["新城乳业", "包钢示范钢铁", "青山纺织"])
    expect(page.locator("#count")).to_have_text(count_is(3))
    expect(page.get_by_text("晋中煤业")).to_have_count(0)
    expect(page.locator(".crumbs")).to_contain_text("内蒙古")
    screenshot(page, "official-list.png")

    # Drill down: the city chip narrows the list to Baotou and offers its counties.
    page.locator("#region-children a", has_text="包头市").click()
    expect(page).to_have_url(re.compile(r"region=150200"))
    expect(listed_names(page)).to_have_text(["包钢示范钢铁", "青山纺织"])
    expect(page.locator(".crumbs")).to_contain_text("包头市")
    expect(page.locator("#region-children")).to_contain_text("昆都仑区")
    screenshot(page, "official-baotou.png")

    # Filter by tag: htmx swaps the rows in place (no page load) and keeps the region.
    page.evaluate("window.stillTheSamePage = true")
    page.select_option("#id_tag", "leading")
    expect(page.locator("#count")).to_have_text(count_is(1))
    expect(listed_names(page)).to_have_text(["包钢示范钢铁"])
    expect(page).to_have_url(re.compile(r"region=150200.*tag=leading"))
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot(page, "official-filtered.png")

    # The enterprise page: name, USCC, and the contact masked, as for everyone on a page.
    listed_names(page).filter(has_text="包钢示范钢铁").click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{world.steel.uscc}/$"))
    expect(page.locator("h1")).to_have_text("包钢示范钢铁")
    expect(page.locator("dl.facts").first).to_contain_text(world.steel.uscc)
    expect(page.locator(".phone")).to_have_text("138****5678")
    assert "13812345678" not in page.content()
    screenshot(page, "official-enterprise.png")

    # An official over it gets the full number on an explicit reveal, which is audited: the
    # page's button (htmx swaps the contacts in place) and the API alike.
    page.evaluate("window.stillTheSamePage = true")
    page.locator("button.reveal").click()
    expect(page.locator(".phone")).to_have_text("13812345678")
    expect(page.locator("#contacts")).to_contain_text("王建国")
    expect(page.locator("button.reveal")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    revealed = AuditEvent.objects.filter(
        action="reveal", actor=world.alice, object_id=world.steel.uscc, result="ok"
    )
    assert revealed.count() == 1
    screenshot(page, "official-enterprise-revealed.png")
    status, contacts = reveal_contacts(page, world.steel.uscc)
    assert status == 200
    assert contacts == [{"name": "王建国", "title": "办公室主任", "phone": "13812345678"}]
    assert revealed.count() == 2
    assert browser_errors == []


def test_reporter_sees_only_its_own_enterprise(open_page: OpenPage, browser_errors: list[str]):
    world = build_world()
    page = open_page(**DESKTOP)
    log_in(page, "dave")
    page.wait_for_load_state("networkidle")  # the landing page's charts have loaded
    page.goto("/enterprises/")  # the register, not the landing page

    expect(listed_names(page)).to_have_text(["包钢示范钢铁"])
    expect(page.locator("#count")).to_have_text(count_is(1))
    screenshot(page, "reporter-list.png")

    for other in (world.textile, world.coal):
        response = page.goto(f"/enterprises/{other.uscc}/")
        assert response is not None and response.status == 404
        expect(page.get_by_text(other.name)).to_have_count(0)
    response = page.goto(f"/enterprises/{world.steel.uscc}/")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text("包钢示范钢铁")
    expect(page.locator(".phone")).to_have_text("138****5678")
    # Its own contacts on a reveal; another enterprise's do not exist for it.
    status, contacts = reveal_contacts(page, world.steel.uscc)
    assert status == 200 and [c["phone"] for c in contacts] == ["13812345678"]
    status, _ = reveal_contacts(page, world.textile.uscc)
    assert status == 404
    expected = f"/api/v1/enterprises/{world.textile.uscc}/contacts/reveal"
    assert [e for e in browser_errors if not e.endswith(expected)] == []


def test_phone_width_never_scrolls_sideways(open_page: OpenPage, browser_errors: list[str]):
    world = build_world()
    # A change, so the enterprise page's history table has a row to lay out.
    actions.update_enterprise(
        actor=world.bob,
        enterprise=world.steel,
        raw={"headcount": 820, "revenue": "123456789.50"},
        source="web",
    )
    page = open_page(**PHONE)
    page.goto("/accounts/login/")
    screenshot(page, "phone-login.png")
    assert_no_sideways_scrolling(page)
    log_in(page, "bob")
    page.wait_for_load_state("networkidle")  # the landing page's charts have loaded
    page.goto("/enterprises/")  # the register, not the landing page

    expect(listed_names(page)).to_have_text(["包钢示范钢铁", "青山纺织"])
    screenshot(page, "phone-list.png")
    assert_no_sideways_scrolling(page)

    listed_names(page).filter(has_text="包钢示范钢铁").click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{world.steel.uscc}/$"))
    expect(page.locator(".phone")).to_have_text("138****5678")
    expect(page.locator(".card", has_text="820")).to_contain_text("bob")
    screenshot(page, "phone-enterprise.png")
    assert_no_sideways_scrolling(page)
    assert browser_errors == []


def test_language_switch(open_page: OpenPage, browser_errors: list[str]):
    build_world()
    page = open_page(**DESKTOP)  # a Chinese browser (zh-CN)
    log_in(page, "bob")
    page.wait_for_load_state("networkidle")  # the landing page's charts have loaded
    page.goto("/enterprises/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")
    # The project's msgids are English; Chinese comes from the catalogues. "All" is in Django's
    # own zh_Hans catalogue (全部), so it is Chinese even before the project's is translated.
    expect(page.locator("#id_tag option[value='']")).to_have_text(CHINESE)
    expect(page.locator("form.lang button")).to_have_text("English")
    screenshot(page, "language-zh.png")

    with page.expect_navigation():
        page.locator("form.lang button").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/enterprises/$"))  # back where the switch was made
    expect(page.locator("main h1")).to_have_text("Enterprises")
    expect(page.locator("header nav")).to_contain_text("Enterprises")
    expect(page.locator("form.lang button")).to_have_text("中文")
    expect(page.locator("#id_tag option[value='']")).to_have_text("All")
    expect(listed_names(page)).to_have_text(["包钢示范钢铁", "青山纺织"])
    screenshot(page, "language-en.png")

    # The choice sticks for the next page, and switches back.
    page.goto("/enterprises/?region=150203")
    expect(html).to_have_attribute("lang", "en")
    with page.expect_navigation():
        page.locator("form.lang button").click()
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(re.compile(r"region=150203"))
    assert browser_errors == []


def test_wrong_password_shows_the_form_again(open_page: OpenPage, browser_errors: list[str]):
    build_world()
    page = open_page(**DESKTOP)
    page.goto("/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "not-the-password")
    with page.expect_navigation() as navigation:
        page.locator("form:has(#id_password) button[type=submit]").click()
    response = navigation.value
    assert response is not None and response.status == 200

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".login .errorlist")).to_be_visible()
    expect(page.locator("#id_username")).to_have_value("alice")
    expect(page.locator("#id_password")).to_have_value("")
    screenshot(page, "login-failed.png")

    # One failure locks nothing: the right password still works.
    log_in(page, "alice")
    page.wait_for_load_state("networkidle")  # the landing page's charts have loaded
    page.goto("/enterprises/")  # the register, not the landing page
    expect(listed_names(page)).to_have_count(3)
    assert browser_errors == []


def test_official_checks_a_sheet_sees_its_errors_fixes_it_and_imports_on_a_phone(
    open_page: OpenPage, browser_errors: list[str], tmp_path
):
    """The import journey: template, a check with a bad row, the fix, progress, the import."""
    from registry import imports
    from registry.models import Enterprise
    from registry.tests.test_import import good_row, xlsx

    build_world()
    page = open_page(**PHONE)
    log_in(page, "bob")
    page.wait_for_load_state("networkidle")  # the landing page's charts have loaded
    page.goto("/enterprises/")  # the register, not the landing page
    page.locator("#import").click()
    expect(page.locator("h1")).to_have_text(CHINESE)
    with page.expect_download() as download:
        page.locator("#template").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    bad = tmp_path / "包头企业.xlsx"
    bad.write_bytes(xlsx([good_row(1), good_row(2, headcount="很多")]))
    page.set_input_files("#id_file", str(bad))
    page.locator("button[value=check]").click()
    expect(page.locator("#job")).to_have_attribute("data-status", "queued")
    imports.run_pending()  # the worker's turn; the page polls and shows the outcome
    expect(page.locator("#job")).to_have_attribute("data-status", "rejected")
    expect(page.locator("table.errors tbody tr")).to_have_count(1)
    expect(page.locator("table.errors")).to_contain_text("E（正常用工人数）")
    assert_no_sideways_scrolling(page)
    screenshot(page, "import-rejected-phone.png")

    page.goto("/enterprises/import/")
    good = tmp_path / "包头企业-改.xlsx"
    good.write_bytes(xlsx([good_row(1), good_row(2)]))
    page.set_input_files("#id_file", str(good))
    page.locator("button[value=check]").click()
    imports.run_pending()
    expect(page.locator("#created")).to_have_text("2")
    page.locator("#run-import").click()
    imports.run_pending()
    expect(page.locator("#job")).to_have_attribute("data-status", "done")
    expect(page.locator("#created")).to_have_text("2")
    assert Enterprise.objects.filter(name__startswith="导入企业").count() == 2
    screenshot(page, "import-done-phone.png")
    # A link that downloads ends its navigation as "aborted" in Chromium; nothing else may fail.
    assert [e for e in browser_errors if not e.endswith("template.xlsx: net::ERR_ABORTED")] == []
