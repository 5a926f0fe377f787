"""Browser-test fixtures: one Debian chromium per session through Playwright, a context per page.

Use from a test module with ``pytest_plugins = ["lib.browser"]`` (PYTEST_DONT_REWRITE: the
module also imports the helpers, so pytest would warn that it cannot rewrite it). No browser is downloaded:
Playwright drives ``/usr/bin/chromium`` (``make test`` installs it with apt-get). Every request
that does not go to the live server is aborted and reported, so a page needing the network fails.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, sync_playwright

from lib.testing import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

OpenPage = Callable[..., Page]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's chromium, started once for the whole session."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    # Playwright's sync API keeps an event loop running in this thread, and Django then refuses
    # ORM calls (SynchronousOnlyOperation) from the test body and the live server's flush.
    # Nothing here is async, so lift that guard while the browser is up, and restore it after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_errors() -> list[str]:
    """What went wrong in the test's pages: script errors, failed assets and XHRs, blocked requests."""
    return []


@pytest.fixture
def open_page(chromium: Browser, live_server, browser_errors: list[str]) -> Iterator[OpenPage]:
    """open_page(**context_options) -> a page in a fresh context (own cookies) on the live server.

    Contexts default to a Chinese browser (zh-CN), as the platform's users have.
    """
    base = live_server.url
    contexts: list[BrowserContext] = []

    def record_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            browser_errors.append(f"{response.status} {response.request.method} {response.url}")

    def record_failure(request: Request) -> None:
        browser_errors.append(f"failed {request.method} {request.url}: {request.failure}")

    def record_console(message: Any) -> None:
        # Failed loads are reported by record_response with their URL; a 404 page is expected.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            browser_errors.append(f"console: {message.text}")

    def local_only(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def factory(**options: Any) -> Page:
        options.setdefault("locale", "zh-CN")
        context = chromium.new_context(base_url=base, **options)
        contexts.append(context)
        context.route("**/*", local_only)
        page = context.new_page()
        page.on("response", record_response)
        page.on("requestfailed", record_failure)
        page.on("console", record_console)
        page.on("pageerror", lambda error: browser_errors.append(f"script: {error}"))
        return page

    yield factory
    for context in contexts:
        context.close()


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form; returns once the next page (not the form) has loaded."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("form:has(#id_password) button[type=submit]").click()
    if "/accounts/login/" in page.url:
        raise AssertionError(f"{username} could not log in")


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG under VAR_DIR/screenshots/ (follows FUGONG_VAR_DIR)."""
    directory = Path(settings.VAR_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    page.screenshot(path=str(path), full_page=True)
    return path
