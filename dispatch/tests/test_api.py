"""POST /api/v1/reports and /reports/batch: rules, scope, corrections, replays, locks, versions."""

import threading
import time
from datetime import date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from audit.log import build as log_build
from audit.models import AuditEvent
from dispatch import actions, quick
from dispatch.models import IdempotencyKey, PeriodLock, Report, ReportVersion, Rollup
from lib import idempotency
from stats import queries

from .factories import BASE, at, versions_kept

DAY = date(2020, 2, 21)


def client_for(user) -> Client:
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def body(enterprise, **over):
    return {**BASE, "enterprise": enterprise.uscc, "date": DAY.isoformat(), **over}


def post(client, path, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    with at(2020, 2, 21, 10):
        return client.post(path, data, content_type="application/json", **headers)


def test_reporter_submits_then_corrects(world):
    dave = client_for(world.dave)
    r = post(dave, "/api/v1/reports", body(world.steel))
    assert r.status_code == 201, r.content
    assert r.json()["version"] == 1 and r.json()["on_time"] is True
    url = f"/api/v1/reports/{world.steel.uscc}/{DAY}/versions"
    (first,) = dave.get(url).json()  # the report is its own first version until corrected
    assert first["version"] == 1 and first["actor"] == "dave" and first["source"] == "api"
    moment = datetime.fromisoformat
    assert first["changes"] == {} and moment(first["at"]) == moment(r.json()["submitted_at"])
    r = post(dave, "/api/v1/reports", body(world.steel, staff_on_site=20))
    assert r.status_code == 200 and r.json()["version"] == 2
    assert Report.objects.count() == 1
    versions = dave.get(url).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0] == first  # kept at the correction as it was
    assert versions[1]["changes"] == {"staff_on_site": [10, 20]} and versions[1]["actor"] == "dave"
    assert versions_kept() == 2
    assert AuditEvent.objects.filter(action="submit", actor=world.dave).count() == 2


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"fever": None}, "fever", "0也要填写"),
        ({"status": "maybe"}, "status", "partial"),
        ({"capacity_pct": 151}, "capacity_pct", "150"),
        ({"status": "full", "staff_on_site": 0}, "staff_on_site", "nobody on site"),
        ({"staff_on_site": 900}, "over_headcount_reason", "800"),
        ({"date": "2020-02-30"}, "date", "2020-02-22"),
        ({"date": "2020-03-01"}, "date", "future"),
        ({"status": "not_resumed", "capacity_pct": 20}, "capacity_pct", "not resumed"),
        ({"difficulties": ["aliens"]}, "difficulties", "unknown"),
        ({"temperature_checks": None}, "temperature_checks", "required"),
    ],
)
def test_rule_violations_name_the_field(world, over, field, words):
    r = post(client_for(world.dave), "/api/v1/reports", body(world.steel, **over))
    assert r.status_code == 422, r.content
    messages = {e["loc"][-1]: e["msg"] for e in r.json()["detail"]}
    assert field in messages and words in messages[field]
    assert not Report.objects.exists()


@pytest.mark.parametrize("sent", ["²", "9" * 5000])
def test_a_number_that_is_no_whole_number_is_422_for_one_and_for_a_batch(world, sent):
    dave = client_for(world.dave)
    r = post(dave, "/api/v1/reports", body(world.steel, staff_on_site=sent, capacity_pct=sent))
    assert r.status_code == 422, r.content
    assert {e["loc"][-1] for e in r.json()["detail"]} == {"staff_on_site", "capacity_pct"}
    rows = [body(world.steel), body(world.steel, date="2020-02-20", fever=sent)]
    r = post(dave, "/api/v1/reports/batch", {"reports": rows})
    assert r.status_code == 422, r.content
    assert [e["loc"][-2:] for e in r.json()["detail"]] == [[1, "fever"]]
    assert not Report.objects.exists()


def test_staff_above_headcount_with_a_reason_is_accepted(world):
    r = post(
        client_for(world.dave),
        "/api/v1/reports",
        body(world.steel, staff_on_site=900, over_headcount_reason="临时增援的保供人员"),
    )
    assert r.status_code == 201


def test_out_of_scope_enterprise_is_404_and_writes_nothing(world):
    for user, enterprise in [(world.dave, world.textile), (world.carol, world.coal)]:
        r = post(client_for(user), "/api/v1/reports", body(enterprise))
        assert r.status_code == 404
    # read-only roles see the enterprise but may not report for it
    r = post(client_for(world.frank), "/api/v1/reports", body(world.steel))
    assert r.status_code == 404
    assert not Report.objects.exists()


def test_official_and_park_manager_report_within_scope(world):
    assert post(client_for(world.carol), "/api/v1/reports", body(world.steel)).status_code == 201
    r = post(client_for(world.erin), "/api/v1/reports", body(world.steel, staff_on_site=5))
    assert r.status_code == 200 and r.json()["version"] == 2


def test_replay_returns_the_first_answer_and_counts_once(world):
    dave = client_for(world.dave)
    first = post(dave, "/api/v1/reports", body(world.steel), key="k-1")
    again = post(dave, "/api/v1/reports", body(world.steel), key="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert versions_kept() == 1
    assert queries.figures(queries.View(prefix="150203"), DAY)["reported"] == 1


def test_one_report_costs_a_fixed_number_of_queries(world):
    """A new report with an Idempotency-Key. On PostgreSQL (dispatch.quick) one statement, which
    reads the token too, once the process has read the cut-off (its first report, here the day
    before's); inside the test's transaction a savepoint and its release. Elsewhere the token,
    then in one transaction (a savepoint and its release here) ten: the key's earlier answer, the enterprise in scope, settings, duty lock, period locks, existing
    report, report (its own first version: no version row), two rollup upserts, audit row, the
    key's answer."""
    dave = client_for(world.dave)
    with at(2020, 2, 21, 10):
        assert dave.get("/api/v1/reports").status_code == 200  # the token's first use is noted
    day_before = body(world.steel, date=(DAY - timedelta(days=1)).isoformat())
    assert post(dave, "/api/v1/reports", day_before, key="k-warm").status_code == 201
    with CaptureQueriesContext(connection) as done:
        r = post(dave, "/api/v1/reports", body(world.steel), key="k-count")
    assert r.status_code == 201
    expected = 3 if connection.vendor == "postgresql" else 14
    assert len(done.captured_queries) == expected, [q["sql"][:60] for q in done.captured_queries]


def test_same_key_with_another_body_is_422(world):
    dave = client_for(world.dave)
    post(dave, "/api/v1/reports", body(world.steel), key="k-2")
    r = post(dave, "/api/v1/reports", body(world.steel, staff_on_site=11), key="k-2")
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "idempotency_mismatch"
    assert Report.objects.get().staff_on_site == 10


PATHS = ["general", "quick"] if connection.vendor == "postgresql" else ["general"]


@pytest.fixture(params=PATHS)
def path(request, monkeypatch) -> str:
    """Each report write test through both ways a report goes: dispatch.quick's one statement
    (PostgreSQL), and the general path (idempotency.run → actions.submit), forced here."""
    if request.param == "general":
        monkeypatch.setattr(quick, "submit", lambda *args, **kwargs: None)
    return request.param


def _held_elsewhere(user, key: str, inside: threading.Event, release: threading.Event) -> None:
    """What a request in flight holds on PostgreSQL: its key's advisory lock, in its
    transaction (here another connection's), until `release`."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [idempotency.lock_id(user.pk, key)])
        inside.set()
        assert release.wait(10)
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_key_still_running_is_409(world, monkeypatch, path):
    """RELIABILITY 2: while a request runs (held inside its write), another with its key is told
    409 at once and writes nothing; once the first has answered, the same request replays it.
    The quick path's write is one statement: a request in flight holds its key's lock while that
    statement runs, which another connection holds here instead."""
    real = actions.clean  # called inside the general path's transaction
    inside, release = threading.Event(), threading.Event()
    first: list = []

    def slow(*args, **kwargs):
        inside.set()
        assert release.wait(10)
        return real(*args, **kwargs)

    # Both tokens used once beforehand: noting a first use is a write, which on SQLite would
    # wait for the first request's transaction.
    dave, other = client_for(world.dave), client_for(world.dave)
    for c in (dave, other):
        with at(2020, 2, 21, 10):
            assert c.get("/api/v1/reports").status_code == 200
    if path == "quick":
        thread = threading.Thread(target=_held_elsewhere, args=(world.dave, "k-3", inside, release))
    else:
        monkeypatch.setattr("dispatch.actions.clean", slow)

        def send_first() -> None:
            first.append(post(other, "/api/v1/reports", body(world.steel), key="k-3"))
            connection.close()

        thread = threading.Thread(target=send_first)
    thread.start()
    try:
        assert inside.wait(10)
        r = post(dave, "/api/v1/reports", body(world.steel), key="k-3")
        assert r.status_code == 409 and r.json()["detail"][0]["type"] == "idempotency_in_progress"
        assert not Report.objects.exists()
    finally:
        release.set()
        thread.join()
    if path == "quick":
        first.append(post(other, "/api/v1/reports", body(world.steel), key="k-3"))
    assert first[0].status_code == 201
    again = post(dave, "/api/v1/reports", body(world.steel), key="k-3")
    assert again.status_code == 200 and again.json() == first[0].json()
    assert Report.objects.count() == 1 and versions_kept() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writers never overlap")
def test_key_stored_by_another_during_the_write_is_409_and_keeps_nothing(world, monkeypatch, path):
    """The race the lock's snapshot leaves open: another transaction stores the same key while
    this request writes. The key's unique constraint refuses ours; the report goes with it.
    On the quick path the other transaction has stored it, uncommitted, before the statement
    runs: the statement's key insert waits for it and is refused when it commits."""
    stored, commit = threading.Event(), threading.Event()

    def other(wait: bool) -> None:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                user=world.dave, key="k-5", fingerprint="f", status_code=201, body={}
            )
            stored.set()
            assert not wait or commit.wait(10)
        connection.close()

    answers: list = []
    dave = client_for(world.dave)
    if path == "general":
        real = actions.clean

        def racing(*args, **kwargs):
            thread = threading.Thread(target=other, args=(False,))
            thread.start()
            thread.join()
            return real(*args, **kwargs)

        monkeypatch.setattr("dispatch.actions.clean", racing)
        answers.append(post(dave, "/api/v1/reports", body(world.steel), key="k-5"))
    else:
        writer = threading.Thread(target=other, args=(True,))
        writer.start()
        assert stored.wait(10)

        def request() -> None:
            answers.append(post(dave, "/api/v1/reports", body(world.steel), key="k-5"))
            connection.close()

        asker = threading.Thread(target=request)
        asker.start()
        try:
            _until_a_lock_is_awaited()
        finally:
            commit.set()
            writer.join()
            asker.join()
    (r,) = answers
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "idempotency_in_progress"
    assert not Report.objects.exists() and not ReportVersion.objects.exists()
    assert not Rollup.objects.exists() and not AuditEvent.objects.filter(action="submit").exists()
    assert IdempotencyKey.objects.get().fingerprint == "f"


def _until_a_lock_is_awaited(seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    pytest.fail("the request never waited for the other transaction")


def test_a_failed_request_keeps_no_key(world, monkeypatch, path):
    """An error inside the write rolls back the key with it: the same request runs afresh. On the
    quick path the statement fails at its audit row, after the report and its rollups."""
    dave = client_for(world.dave)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    def overlong(*args, **kwargs):
        event = log_build(*args, **kwargs)
        event.object_id = "x" * 65  # longer than the column: the database refuses the row
        return event

    if path == "quick":
        monkeypatch.setattr("audit.log.build", overlong)
    else:
        monkeypatch.setattr("dispatch.actions.clean", broken)
    dave.raise_request_exception = False
    assert post(dave, "/api/v1/reports", body(world.steel), key="k-4").status_code == 500
    assert not IdempotencyKey.objects.exists()
    assert not Report.objects.exists() and not Rollup.objects.exists()
    monkeypatch.undo()
    assert post(dave, "/api/v1/reports", body(world.steel), key="k-4").status_code == 201
    assert IdempotencyKey.objects.get().status_code == 201


def test_rejected_answer_is_replayed_and_keys_are_per_user(world):
    dave = client_for(world.dave)
    bad = post(dave, "/api/v1/reports", body(world.steel, fever=None), key="k-4")
    assert bad.status_code == 422
    assert post(dave, "/api/v1/reports", body(world.steel, fever=None), key="k-4").json() == (
        bad.json()
    )
    # another user's same key is another key
    assert (
        post(client_for(world.carol), "/api/v1/reports", body(world.steel), key="k-4").status_code
        == 201
    )


def test_batch_keeps_good_rows_and_lists_bad_ones(world):
    carol = client_for(world.bob)
    rows = [
        body(world.steel),
        body(world.textile, fever=None),
        body(world.coal),  # Shanxi: out of Baotou's scope
        body(world.textile),
        body(world.steel, staff_on_site=12),  # the same enterprise and date twice
    ]
    r = post(carol, "/api/v1/reports/batch", {"reports": rows}, key="b-1")
    assert r.status_code == 200, r.content
    data = r.json()
    assert [row["outcome"] for row in data["rows"]] == [
        "created",
        "rejected",
        "rejected",
        "created",
        "rejected",
    ]
    assert data["rows"][1]["errors"]["fever"].startswith("必填")
    assert "enterprise" in data["rows"][2]["errors"]
    assert (data["created"], data["rejected"]) == (2, 3)
    assert Report.objects.count() == 2
    replay = post(carol, "/api/v1/reports/batch", {"reports": rows}, key="b-1")
    assert replay.json() == data and Report.objects.count() == 2


def test_batch_rows_are_checked_with_the_collector_paused(world, monkeypatch):
    """lib.gcpause around submit_rows: off while the rows are checked, back on afterwards."""
    import gc

    from dispatch import validation

    seen: list[bool] = []
    original = validation.clean

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(validation, "clean", watched)
    assert gc.isenabled()
    rows = [body(world.steel), body(world.textile)]
    r = post(client_for(world.bob), "/api/v1/reports/batch", {"reports": rows})
    assert r.status_code == 200 and r.json()["created"] == 2
    assert seen == [False, False] and gc.isenabled()


def test_locked_date_refuses_changes(world):
    carol, dave = client_for(world.carol), client_for(world.dave)
    assert post(dave, "/api/v1/reports", body(world.steel)).status_code == 201
    r = post(carol, "/api/v1/reports/locks", {"region": "150203", "date": DAY.isoformat()})
    assert r.status_code == 200 and r.json()["locked"] is True
    r = post(dave, "/api/v1/reports", body(world.steel, staff_on_site=20))
    assert r.status_code == 422 and "locked" in r.json()["detail"][0]["msg"]
    # a county official cannot lock the city; the city official can unlock the county
    assert (
        post(carol, "/api/v1/reports/locks", {"region": "150200", "date": "2020-02-21"}).status_code
        == 404
    )
    r = post(
        client_for(world.bob), "/api/v1/reports/unlocks", {"region": "150203", "date": "2020-02-21"}
    )
    assert r.status_code == 200
    assert post(dave, "/api/v1/reports", body(world.steel, staff_on_site=20)).status_code == 200


def test_a_lock_set_from_above_is_403_to_unlock_from_below(world):
    bob, carol = client_for(world.bob), client_for(world.carol)
    where = {"region": "150203", "date": DAY.isoformat()}
    assert post(bob, "/api/v1/reports/locks", where).status_code == 200
    r = post(carol, "/api/v1/reports/unlocks", where)
    assert r.status_code == 403 and "包头市" in r.json()["detail"]
    assert PeriodLock.objects.filter(region_id="150203", date=DAY).exists()
    assert post(bob, "/api/v1/reports/unlocks", where).status_code == 200
    assert not PeriodLock.objects.exists()


def test_lists_are_scoped(world):
    post(
        client_for(world.root),
        "/api/v1/reports/batch",
        {"reports": [body(e) for e in (world.steel, world.textile, world.coal)]},
    )
    assert client_for(world.dave).get("/api/v1/reports").json()["count"] == 1
    assert client_for(world.bob).get("/api/v1/reports").json()["count"] == 2
    assert client_for(world.root).get("/api/v1/reports?region=140000").json()["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_same_key_executes_once(world):
    """RELIABILITY 2: the same key sent twice at once runs once; the other gets 409 or the replay."""
    results: list[int] = []
    clients = [client_for(world.dave) for _ in range(4)]

    def send(client):
        headers = {"HTTP_IDEMPOTENCY_KEY": "same"}
        r = client.post(
            "/api/v1/reports", body(world.steel), content_type="application/json", **headers
        )
        results.append(r.status_code)
        connection.close()

    # The clock is patched once, here: a patch entered and left by several threads at once can
    # restore another thread's mock and leave the clock frozen for the rest of the session.
    with at(2020, 2, 21, 10):
        threads = [threading.Thread(target=send, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert set(results) <= {200, 201, 409} and results.count(201) == 1
    assert versions_kept() == 1
