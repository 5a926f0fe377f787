"""RELIABILITY check 9: a database that cannot take writes gives no 2xx without a commit, and a
retried Idempotency-Key commits once afterwards.

A real fault, not a stand-in: on PostgreSQL the session is made read-only
(`default_transaction_read_only`, as on a standby), on SQLite the connection
(`PRAGMA query_only`). A full disk is not made here (SQLite's `max_page_count` still lets a row
into a page with room); both databases report it as an OperationalError, which takes the same way
to a 503 (fugong/errors.py).
"""

import pytest
from django.db import connection
from django.test import Client

from dispatch.models import IdempotencyKey, Report
from lib import testing

from .factories import at
from .test_api import DAY, body, client_for, path, post
from .test_pages import form_data

__all__ = ["path"]  # each test through both ways a report goes on PostgreSQL


def writable(on: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET default_transaction_read_only = {'off' if on else 'on'}")
        else:
            cursor.execute(f"PRAGMA query_only = {0 if on else 1}")


@pytest.fixture
def writable_afterwards():
    """Whatever the test does, the test database takes writes again for the flush after it."""
    yield
    writable(True)


@pytest.mark.django_db(transaction=True)
def test_no_2xx_without_a_commit_and_the_retry_commits_once(path, writable_afterwards):
    world = testing.World.build()
    api = client_for(world.dave)
    with at(2020, 2, 21, 10):
        assert api.get("/api/v1/reports").status_code == 200  # the token's first use noted
    page = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(world.dave)
    writable(False)

    api.raise_request_exception = False
    single = post(api, "/api/v1/reports", body(world.steel), key="r-1")
    assert single.status_code == 503, single.content
    assert single["Retry-After"] == "10" and "数据库" in single.json()["detail"]
    batch = post(api, "/api/v1/reports/batch", {"reports": [body(world.steel)]}, key="b-1")
    assert batch.status_code == 503, batch.content
    with at(2020, 2, 21, 10):
        form = page.post("/dispatch/report/", form_data())
    assert form.status_code == 503 and "cannot use its database" in form.content.decode()

    writable(True)
    assert not Report.objects.exists() and not IdempotencyKey.objects.exists()
    again = post(api, "/api/v1/reports", body(world.steel), key="r-1")
    assert again.status_code == 201, again.content
    replay = post(api, "/api/v1/reports", body(world.steel), key="r-1")
    assert replay.status_code == 200 and replay.json() == again.json()
    assert Report.objects.filter(enterprise=world.steel, date=DAY).count() == 1
