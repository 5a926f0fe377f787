"""dispatch.quick: a reporter's new report on PostgreSQL in one statement. It must write exactly
what the general path writes and answer exactly what it answers, and hand every other case over."""

import re
import threading
import time
from datetime import date
from datetime import time as clock

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import ApiToken, User
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
    Settings,
)
from dispatch.schemas import ReportIn

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


def _without_id(response) -> bytes:
    return re.sub(rb'^\{"id": \d+,', b'{"id": null,', response.content)


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
    assert _without_id(fast) == _without_id(slow)  # rendered alike, byte for byte
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


def test_replay_and_mismatch_write_nothing_and_are_rendered_as_the_first(world):
    """A key with an answer: the statement writes nothing, and django-ninja gives the first
    answer again, byte for byte, or 422 for another body."""
    _cadence(world.steel)
    dave = client_for(world.dave)
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-r"}
    with at(2020, 2, 21, 10):
        first = dave.post("/api/v1/reports", body(world.steel), "application/json", **headers)
        with CaptureQueriesContext(connection) as done:
            again = dave.post("/api/v1/reports", body(world.steel), "application/json", **headers)
        statements = [q["sql"] for q in done.captured_queries]
        other = dave.post(
            "/api/v1/reports", body(world.steel, fever=1), "application/json", **headers
        )
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json() and again.content == first.content
    assert not any(s.startswith(("INSERT", "UPDATE")) for s in statements)
    assert other.status_code == 422
    assert other.json()["detail"][0]["type"] == "idempotency_mismatch"
    assert Report.objects.count() == versions_kept() == 1
    assert IdempotencyKey.objects.count() == 1


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
def test_a_report_written_while_the_statement_waits_is_corrected_not_duplicated(world):
    """The statement waits for the duty lock held by another writer of the same enterprise; its
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


def test_a_changed_cutoff_is_read_again(world):
    """The process keeps the cut-off it last read; the statement writes only while it is still
    the one in force. A changed one hands the report to the general path, which reads it, and
    the next report is the quick path's again, with the new one."""
    _cadence(world.steel)
    dave = client_for(world.dave)
    with at(2020, 2, 21, 10):  # the process has read the cut-off (17:00)
        assert (
            dave.post(
                "/api/v1/reports", body(world.steel, date="2020-02-19"), "application/json"
            ).status_code
            == 201
        )
    Settings.objects.update_or_create(
        id=Settings.objects.values_list("id", flat=True).first(), defaults={"cutoff": clock(19, 0)}
    )
    with at(2020, 2, 20, 18), CaptureQueriesContext(connection) as first:
        late_before = dave.post(
            "/api/v1/reports", body(world.steel, date="2020-02-20"), "application/json"
        )
    with at(2020, 2, 21, 18), CaptureQueriesContext(connection) as second:
        late_after = dave.post("/api/v1/reports", body(world.steel), "application/json")
    assert late_before.status_code == late_after.status_code == 201
    assert late_before.json()["on_time"] is late_after.json()["on_time"] is True  # 18:00 < 19:00
    assert len(first.captured_queries) > len(second.captured_queries) == 3
    assert rollups.check() == {}


@pytest.mark.parametrize("who", ["revoked", "inactive", "unknown", "official", "park"])
def test_tokens_the_statement_does_not_take_are_django_ninjas(world, who):
    """The statement reads the token itself and takes only a live one of an active reporter;
    any other gets django-ninja's answer: 401, or the general path's for another role."""
    _cadence(world.steel)
    user = {"official": world.carol, "park": world.erin}.get(who, world.dave)
    token, raw = ApiToken.issue(user)
    if who == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    elif who == "inactive":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif who == "unknown":
        raw = raw[:-2] + "xx"
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with at(2020, 2, 21, 10):
        r = client.post("/api/v1/reports", body(world.steel), "application/json")
    assert r.status_code == (201 if who in ("official", "park") else 401), r.content
    assert Report.objects.count() == (1 if r.status_code == 201 else 0)
    noted = ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert noted is (who in ("official", "park"))  # by django-ninja's look, not the statement
    assert rollups.check() == {}


def test_the_statement_notes_the_tokens_use_every_few_minutes(world):
    _cadence(world.steel)
    token, raw = ApiToken.issue(world.dave)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    moments = []
    for day, minute in ((19, 0), (20, 2), (21, 6)):
        with at(2020, 2, 21, 10, minute):
            data = body(world.steel, date=f"2020-02-{day}")
            assert client.post("/api/v1/reports", data, "application/json").status_code == 201
        moments.append(ApiToken.objects.get(pk=token.pk).last_used_at)
    first, second, third = moments
    assert first == second != third  # noted at 10:00, not at 10:02, again at 10:06


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"staff_on_site": "25"}, 201),  # django-ninja reads "25" as 25
        ({"capacity_pct": 60.0}, 201),
        ({"difficulties": None}, 422),  # django-ninja refuses what the rules alone would take
        ({"note": None}, 422),
        ({"difficulties": ["labour"] * 21}, 422),
        ({"extra": 1}, 201),
    ],
)
def test_bodies_the_lane_does_not_read_are_django_ninjas(world, monkeypatch, change, status):
    """The lane takes only bodies django-ninja's ReportIn takes as they are; any other goes to
    django-ninja, which answers as it always has: the lane never reads a body another way."""
    _cadence(world.steel)
    taken: list = []
    real = quick.submit
    monkeypatch.setattr(quick, "submit", lambda *a, **k: taken.append(1) or real(*a, **k))
    dave = client_for(world.dave)
    with at(2020, 2, 21, 10):
        r = dave.post("/api/v1/reports", {**body(world.steel), **change}, "application/json")
    assert r.status_code == status, r.content
    assert taken == []
    assert quick.plain(body(world.steel))


_INT = st.one_of(st.none(), st.integers(min_value=-2, max_value=10_000_002))
_GOOD = st.fixed_dictionaries(
    {"enterprise": st.text(max_size=42)},
    optional={
        "date": st.one_of(st.none(), st.text(max_size=34)),
        "status": st.one_of(st.none(), st.sampled_from(["partial", "full", "x" * 33])),
        **dict.fromkeys(
            ["staff_on_site", "capacity_pct", "mask_days", "fever", "suspected", "confirmed"], _INT
        ),
        "temperature_checks": st.one_of(st.none(), st.booleans()),
        "disinfection": st.one_of(st.none(), st.booleans()),
        "difficulties": st.lists(st.text(max_size=8), max_size=21),
        "over_headcount_reason": st.text(max_size=401),
        "note": st.text(max_size=4001),
    },
)
_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.one_of(st.text(max_size=3), st.integers()), max_size=3),
)
_NAMES = st.sampled_from([*ReportIn.model_fields, "extra"])


@given(_GOOD, st.dictionaries(_NAMES, _ODD, max_size=2))
@settings(max_examples=400, deadline=None)
def test_plain_bodies_are_what_reportin_makes_of_them(good, odd):
    """Bodies of the right shape, some with a field or two of another type or beyond a limit:
    whichever the lane reads, ReportIn reads as it is (defaults filled in)."""
    raw = {**good, **odd}
    if not quick.plain(raw):
        return
    defaults = {
        name: field.get_default(call_default_factory=True)
        for name, field in ReportIn.model_fields.items()
        if not field.is_required()
    }
    assert ReportIn.model_validate(raw).dict() == {**defaults, **raw}
