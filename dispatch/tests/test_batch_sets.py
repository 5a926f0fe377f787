"""The set-based batch write (PostgreSQL) leaves exactly what the row-by-row write leaves: the
same reports, versions, rollups, audit rows and per-row outcomes, for the same input."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from dispatch import actions, rollups
from dispatch.api import submit_rows
from dispatch.models import Duty, PeriodLock, Report, ReportVersion
from lib import testing

from .factories import BASE, at, report, versions_kept

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based write is PostgreSQL's"
)

THU, FRI, SAT, SUN = date(2020, 2, 20), date(2020, 2, 21), date(2020, 2, 22), date(2020, 2, 23)
WEEKLY_DAY = date(2020, 2, 17)
ROW_BY_ROW = 10**9  # SET_FROM that no batch reaches


def _submit(actor, rows: list[dict[str, Any]], when: tuple) -> dict[str, Any]:
    request = RequestFactory().post("/api/v1/reports/batch")
    request.user = actor
    with at(*when):
        return submit_rows(request, rows, source="batch")


def _state(answer: dict[str, Any]) -> dict[str, Any]:
    """What a write leaves behind, with report ids (which a sequence hands out) replaced by
    (enterprise, date)."""
    key = {
        pk: (eid, day) for pk, eid, day in Report.objects.values_list("pk", "enterprise_id", "date")
    }
    rows = [
        {**row, "report": key[row["report"]] if row.get("report") else None}
        for row in answer["rows"]
    ]
    reports = {
        (r["enterprise_id"], r["date"]): {k: v for k, v in r.items() if k != "id"}
        for r in Report.objects.values()
    }
    versions = sorted(
        (
            key[v["report_id"]],
            v["version"],
            v["actor_id"],
            v["at"],
            v["source"],
            v["values"],
            v["changes"],
        )
        for v in ReportVersion.objects.values()
    )
    audit = sorted(
        AuditEvent.objects.filter(object_type="report").values_list(
            "action", "actor_id", "object_id", "result", "detail", "at"
        ),
        key=repr,
    )
    return {
        "answer": {**answer, "rows": rows},
        "reports": reports,
        "versions": versions,
        "kept": versions_kept(),  # and kept as Report says: rows from a first correction on
        "rollups": rollups.snapshot(),
        "audit": audit,
    }


def both_ways(monkeypatch, batches: list[tuple[Any, list[dict[str, Any]], tuple]]):
    """Run the batches row by row, then by sets, each from the same start (undone after);
    returns both end states, and checks that each took the way it was meant to."""
    states = []
    for set_from in (ROW_BY_ROW, 1):
        monkeypatch.setattr(actions, "SET_FROM", set_from)
        calls = {"write": 0, "_write_set": 0}
        for name in calls:
            monkeypatch.setattr(actions, name, _counted(getattr(actions, name), calls, name))
        with transaction.atomic():
            answers = [_submit(actor, rows, when) for actor, rows, when in batches]
            assert calls["_write_set"] == (calls["write"] if set_from == 1 else 0)
            assert rollups.check() == {}
            states.append({**_state(answers[-1]), "answers": [a["created"] for a in answers]})
            transaction.set_rollback(True)
        monkeypatch.undo()
    return states


def _counted(function, calls: dict[str, int], name: str):
    def counted(*args, **kwargs):
        calls[name] += 1
        return function(*args, **kwargs)

    return counted


def row(enterprise, day: date, **over) -> dict[str, Any]:
    return {**BASE, "enterprise": enterprise.uscc, "date": day.isoformat(), **over}


@pytest.fixture
def scene(world):
    """Earlier reports of daily, weekly and duty-free reporters, and a locked date."""
    weekly = testing.enterprise("150203", above_scale=False, park=world.park, headcount=50)
    free = testing.enterprise("150204", above_scale=False, headcount=40)
    assert Duty.objects.get(pk=weekly.pk).cadence == "weekly"
    assert Duty.objects.get(pk=free.pk).cadence == ""
    report(world.steel, FRI, staff_on_site=600, capacity_pct=80)
    report(world.textile, FRI, staff_on_site=60)
    report(world.dairy, FRI, when=(2020, 2, 21, 19, 0))  # late
    report(weekly, WEEKLY_DAY, staff_on_site=30)
    report(free, FRI, staff_on_site=20)
    PeriodLock.objects.create(region_id="150204", date=SAT, locked_by=world.alice)
    return world, weekly, free


def test_every_kind_of_row_gives_the_same_result(scene, monkeypatch):
    world, weekly, free = scene
    rows = [
        row(world.steel, FRI, staff_on_site=650, status="full", capacity_pct=90),  # correction
        row(world.steel, FRI, staff_on_site=1),  # the same enterprise and date again
        row(world.textile, FRI, staff_on_site=60),  # unchanged
        row(world.textile, SAT),  # locked (its county)
        row(world.dairy, FRI, mask_days=9),  # correction of a late report, measures unchanged
        row(world.dairy, SAT, difficulties=["labour", "资金"], note=" 缺工 "),  # new, on time
        row(world.steel, SAT, status="not_resumed", staff_on_site=0, capacity_pct=0),  # new
        row(world.coal, SAT),  # new (out of scope for Baotou's official)
        row(weekly, WEEKLY_DAY, staff_on_site=35),  # weekly: correction
        row(weekly, WEEKLY_DAY + timedelta(days=3)),  # weekly: new inside the window
        row(free, FRI, staff_on_site=25),  # no duty: correction
        row(free, THU),  # no duty: new
        row(world.steel, THU, status="full", staff_on_site=0),  # breaks a rule
        {**row(world.steel, THU), "enterprise": "91150203MA0000000X"},  # no such enterprise
    ]
    when = (2020, 2, 22, 18, 30)  # after Saturday's cut-off: Saturday's reports are late
    for actor in (world.root, world.bob):
        by_rows, by_sets = both_ways(monkeypatch, [(actor, rows, when)])
        assert by_sets == by_rows
        outcomes = [r["outcome"] for r in by_sets["answer"]["rows"]]
        expected = [
            *("corrected", "rejected", "unchanged", "rejected", "corrected", "created"),
            *("created", "created", "corrected", "created", "corrected", "created"),
            *("rejected", "rejected"),
        ]
        if actor == world.bob:  # Hohhot's dairy and Shanxi's coal are outside Baotou
            expected[4] = expected[5] = expected[7] = "rejected"
        assert outcomes == expected
        saturday = by_sets["reports"][(world.steel.pk, SAT)]
        assert saturday["on_time"] is False and saturday["version"] == 1
        assert by_sets["reports"][(world.steel.pk, FRI)]["version"] == 2


def test_a_second_batch_corrects_the_first(scene, monkeypatch):
    """Corrections of reports written by sets in the same transaction, and a batch of nothing
    but unchanged rows (no version, no audit row, no rollup change)."""
    world, _, free = scene
    first = [
        row(e, SUN, staff_on_site=10 + i) for i, e in enumerate((world.steel, world.dairy, free))
    ]
    second = [
        row(e, SUN, staff_on_site=20 + i) for i, e in enumerate((world.steel, world.dairy, free))
    ]
    when = (2020, 2, 23, 9, 0)
    by_rows, by_sets = both_ways(
        monkeypatch,
        [(world.root, first, when), (world.root, second, when), (world.root, second, when)],
    )
    assert by_sets == by_rows
    assert by_sets["answers"] == [3, 0, 0]
    assert {r["outcome"] for r in by_sets["answer"]["rows"]} == {"unchanged"}
    assert by_sets["reports"][(world.dairy.pk, SUN)]["staff_on_site"] == 21


WRITE = st.tuples(
    st.integers(0, 4),  # which enterprise
    st.integers(0, 8),  # which day
    st.sampled_from(["not_resumed", "partial", "full"]),
    st.integers(1, 40),  # staff
    st.integers(0, 150),  # capacity
    st.integers(0, 2),  # mask days
)


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(st.lists(WRITE, min_size=1, max_size=15), min_size=1, max_size=3),
    hour=st.sampled_from([8, 20]),
)
def test_sets_equal_rows_for_any_batches(world, monkeypatch, batches, hour):
    """Random batches (new rows, corrections, repeats, duplicates, a locked date, daily, weekly
    and duty-free reporters, on time or late): both ways leave the same state."""
    pool = [
        world.steel,
        world.dairy,
        testing.enterprise("150203", above_scale=False, park=world.park, headcount=60),
        testing.enterprise("150102", above_scale=False, headcount=60, tags=("backbone",)),
        testing.enterprise("150204", above_scale=False, headcount=40),
    ]
    start = date(2020, 2, 14)
    PeriodLock.objects.get_or_create(
        region_id="150102", date=start + timedelta(days=4), defaults={"locked_by": world.alice}
    )
    today = start + timedelta(days=8)
    plan = []
    for writes in batches:
        rows = []
        for who, offset, status, staff, capacity, masks in writes:
            capacity = 0 if status == "not_resumed" else capacity
            rows.append(
                row(
                    pool[who],
                    start + timedelta(days=offset),
                    status=status,
                    staff_on_site=staff,
                    capacity_pct=capacity,
                    mask_days=masks,
                )
            )
        plan.append((world.root, rows, (today.year, today.month, today.day, hour, 0)))
    by_rows, by_sets = both_ways(monkeypatch, plan)
    assert by_sets == by_rows
