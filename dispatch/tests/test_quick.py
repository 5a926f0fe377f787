"""dispatch.quick: a reporter's new report on PostgreSQL in two statements. It must write exactly
what the general path writes and answer exactly what it answers, and hand every other case over."""

import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from dispatch import quick, rollups
from dispatch.models import (
    CountyDay,
    Duty,
    IdempotencyKey,
    PeriodLock,
    Report,
    ReportVersion,
    Rollup,
)

from .factories import at, report, versions_kept
from .test_api import DAY, body, client_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the quick path is PostgreSQL's"
)


def _cadence(enterprise, cadence: str = "daily") -> None:
    """Set an enterprise's cadence, and the register's rollups with it (rebuilt)."""
    Duty.objects.filter(enterprise=enterprise).update(cadence=cadence)
    rollups.rebuild()


def _rows() -> dict:
    """Everything a report's write leaves behind, without ids."""

    def values(model, *exclude, order=("pk",)):
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
        return list(model.objects.order_by(*order).values(*names))

    return {
        "reports": values(Report, "id"),
        "versions": values(ReportVersion, "id", "report_id"),
        "rollups": values(Rollup, "id", order=rollups.ROLLUP_KEYS),
        "county_days": values(CountyDay, "id", order=("county", "date", "cadence")),
        "audit": values(AuditEvent, "id"),
        "keys": [
            {**row, "body": {**row["body"], "id": None}} for row in values(IdempotencyKey, "id")
        ],
    }


def _send(client, data, key, *, hour=10, general=False, monkeypatch=None):
    """POST one report at `hour` on DAY, by the general path when asked; the statements it took,
    its answer and the rows it left, all rolled back afterwards."""
    with transaction.atomic():
        if general:
            monkeypatch.setattr(quick, "submit", lambda *args, **kwargs: None)
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        with CaptureQueriesContext(connection) as done, at(2020, 2, 21, hour):
            r = client.post("/api/v1/reports", data, content_type="application/json", **headers)
        if general:
            monkeypatch.undo()
        rows = _rows()
        transaction.set_rollback(True)
    statements = [q["sql"] for q in done.captured_queries]
    return r, statements, rows


@pytest.mark.parametrize(("key", "hour"), [("k-1", 10), (None, 10), ("k-2", 18)])
def test_quick_path_writes_and_answers_what_the_general_path_does(world, monkeypatch, key, hour):
    """Same report, same clock: report, Rollup, CountyDay, audit row and the key's stored
    answer are equal field by field, and so is the response (ids aside); neither stores a
    version (a new report is its own first version). At 18:00 the report is late (the cut-off
    is 17:00)."""
    _cadence(world.steel)
    dave = client_for(world.dave)
    data = body(world.steel, staff_on_site=25, difficulties=["labour", "transport"], note="两班")
    with at(2020, 2, 21, 9):
        assert dave.get("/api/v1/reports").status_code == 200  # the token's first use noted
    fast, fast_sql, fast_rows = _send(dave, data, key, hour=hour)
    slow, slow_sql, slow_rows = _send(
        dave, data, key, hour=hour, general=True, monkeypatch=monkeypatch
    )

    assert fast.status_code == slow.status_code == 201, (fast.content, slow.content)
    assert any("pg_try_advisory_xact_lock(%(lock)s)" in s or "FOR UPDATE" in s for s in fast_sql)
    assert len(fast_sql) < len(slow_sql)
    assert {**fast.json(), "id": None} == {**slow.json(), "id": None}
    assert fast.json()["on_time"] is (hour < 17)
    assert fast_rows == slow_rows
    assert len(fast_rows["reports"]) == 1 and fast_rows["reports"][0]["source"] == "api"
    assert fast_rows["versions"] == []
    assert len(fast_rows["rollups"]) == len(fast_rows["county_days"]) == 1
    assert len(fast_rows["keys"]) == (1 if key else 0)


def test_quick_path_keeps_rollups_equal_to_a_rebuild(world):
    for enterprise in (world.steel, world.textile, world.dairy):
        _cadence(enterprise)
    dave = client_for(world.dave)
    with at(2020, 2, 21, 10):
        for day in (19, 20, 21):
            data = body(world.steel, date=f"2020-02-{day}", staff_on_site=day)
            r = dave.post("/api/v1/reports", data, content_type="application/json")
            assert r.status_code == 201
    report(world.textile, date(2020, 2, 20))  # the general path beside it
    assert Report.objects.count() == 4
    assert rollups.check() == {}


def test_replay_and_mismatch_are_answered_by_the_quick_path(world):
    _cadence(world.steel)
    dave = client_for(world.dave)
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-r"}
    with at(2020, 2, 21, 10):
        first = dave.post("/api/v1/reports", body(world.steel), "application/json", **headers)
        with CaptureQueriesContext(connection) as done:
            again = dave.post("/api/v1/reports", body(world.steel), "application/json", **headers)
        statements = len(done.captured_queries)  # read before the next request clears the log
        other = dave.post(
            "/api/v1/reports", body(world.steel, fever=1), "application/json", **headers
        )
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert statements == 4  # token, savepoint, the look, release: no write
    assert other.status_code == 422
    assert other.json()["detail"][0]["type"] == "idempotency_mismatch"
    assert Report.objects.count() == versions_kept() == 1


@pytest.mark.parametrize(
    "case", ["correction", "unchanged", "locked", "weekly", "invalid", "not_own"]
)
def test_other_cases_go_the_general_way(world, case):
    """Each leaves the quick path before writing and gets the general path's answer."""
    _cadence(world.steel)
    dave = client_for(world.dave)
    data = body(world.steel)
    expected = 201
    if case in ("correction", "unchanged"):
        report(world.steel, DAY, when=(2020, 2, 21, 8))
        data = body(world.steel, staff_on_site=30) if case == "correction" else data
        expected = 200
    elif case == "locked":
        PeriodLock.objects.create(region_id="150200", date=DAY, locked_by=world.bob)
        expected = 422
    elif case == "weekly":
        _cadence(world.steel, "weekly")
    elif case == "invalid":
        data = body(world.steel, status="full", staff_on_site=0)
        expected = 422
    else:
        data = body(world.textile)
        expected = 404
    with at(2020, 2, 21, 10):
        r = dave.post("/api/v1/reports", data, "application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == expected, r.content
    if case == "correction":
        assert r.json()["version"] == 2 and r.json()["staff_on_site"] == 30
    if case == "unchanged":
        assert r.json()["version"] == 1
    assert IdempotencyKey.objects.get().status_code == expected  # stored once, by the general path
    assert rollups.check() == {}


@pytest.mark.django_db(transaction=True)
def test_a_report_written_while_the_look_waits_is_corrected_not_duplicated(world):
    """The look waits for the duty lock held by another writer of the same enterprise; its
    snapshot predates that writer's commit, so it sees no report. The insert then finds one and
    does nothing; the general path takes over and answers with a correction."""
    _cadence(world.steel)
    dave = client_for(world.dave)
    with at(2020, 2, 21, 9):
        assert dave.get("/api/v1/reports").status_code == 200
    holding, commit = threading.Event(), threading.Event()
    answers: list = []

    def other_writer() -> None:
        with transaction.atomic():
            report(world.steel, DAY, when=(2020, 2, 21, 8))  # locks the duty, writes the report
            holding.set()
            assert commit.wait(10)
        connection.close()

    def request() -> None:
        with at(2020, 2, 21, 10):
            answers.append(
                dave.post(
                    "/api/v1/reports", body(world.steel, staff_on_site=40), "application/json"
                )
            )
        connection.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert holding.wait(10)
    asker = threading.Thread(target=request)
    asker.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the request waits for the duty lock
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.02)
        else:
            pytest.fail("the request never waited for the duty lock")
    finally:
        commit.set()
        writer.join()
        asker.join()
    (r,) = answers
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2 and r.json()["staff_on_site"] == 40
    assert Report.objects.count() == 1
    assert list(ReportVersion.objects.order_by("version").values_list("version", flat=True)) == [
        1,
        2,
    ]
    assert rollups.check() == {}
