"""RELIABILITY check 7, in process: a lost database answers a generic 503 with Retry-After, for
pages and the API; any other failure a generic 500. Neither shows a traceback, SQL or the
exception's text. (The same against a real server whose database goes away and comes back:
test_database_down.py.)"""

import socket
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from fugong.errors import RETRY_AFTER_SECONDS

LEAKS = (
    "Traceback",
    "SELECT",
    "FROM ",
    "psycopg",
    "sqlite",
    "OperationalError",
    "not for visitors",
)


def closed_port() -> int:
    """A port on which nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_gone(transactional_db, tmp_path: Path):
    """The default connection pointed at a database that cannot be reached: a closed port on
    PostgreSQL, a file in a directory that does not exist on SQLite. Restored afterwards."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "fugong.sqlite3")
    else:
        connection.settings_dict["HOST"] = "127.0.0.1"
        connection.settings_dict["PORT"] = str(closed_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def no_leaks(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, leak


def test_a_page_without_its_database_is_503_in_the_visitors_language(database_gone):
    c = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    c.cookies["sessionid"] = "x" * 32  # loading the session needs the database
    r = c.get("/enterprises/")
    assert r.status_code == 503
    assert r["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert r["Cache-Control"] == "no-store" and "default-src 'self'" in r["Content-Security-Policy"]
    page = r.content.decode()
    assert "cannot use its database" in page and '<html lang="en">' in page
    no_leaks(page)
    zh = Client(raise_request_exception=False)
    zh.cookies["sessionid"] = "x" * 32
    page = zh.get("/enterprises/").content.decode()
    assert "暂时无法使用数据库" in page and '<html lang="zh-hans">' in page


def test_the_api_without_its_database_is_503_json(database_gone):
    c = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    for method, path in (("get", "/api/v1/stats"), ("post", "/api/v1/reports")):
        r = getattr(c, method)(
            path, content_type="application/json", HTTP_AUTHORIZATION="Bearer fg_" + "a" * 40
        )
        assert r.status_code == 503, path
        assert r["Content-Type"] == "application/json" and r["Retry-After"] == "10"
        assert "cannot use its database" in r.json()["detail"]
        no_leaks(r.content.decode())


@pytest.mark.urls("fugong.tests.urls_failing")
def test_any_other_failure_is_a_generic_500(db):
    c = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    r = c.get("/failing/")
    assert r.status_code == 500 and not r.has_header("Retry-After")
    assert "Something went wrong on our side" in r.content.decode()
    no_leaks(r.content.decode())
    r = c.get("/api/v1/failing")
    assert r.status_code == 500 and "Something went wrong" in r.json()["detail"]
    no_leaks(r.content.decode())


def test_with_its_database_the_same_requests_are_answered_as_usual(db):
    """The control: what the tests above ask is not a 5xx when the database is there."""
    c = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    c.cookies["sessionid"] = "x" * 32
    assert c.get("/enterprises/").status_code == 302  # to the login page
    r = c.get("/api/v1/stats", HTTP_AUTHORIZATION="Bearer fg_" + "a" * 40)
    assert r.status_code == 401
