"""Periodic jobs (lib/jobs.py, notify/schedule.py) and the ones registered: each runs when due,
never twice at once, again after a killed run's lease; the nightly rollup check tells
administrators about a difference; old sent deliveries are cleaned up; `run_worker --once`
delivers the outbox and runs the due jobs."""

import logging
from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.models import CountyDay
from dispatch.tests.factories import report
from lib import jobs as jobs_module
from lib import testing
from lib.jobs import jobs, periodic
from notify import schedule
from notify.models import Channel, Delivery, Event, InboxItem, JobState, Kind, Robot
from notify.services import publish

from .receiver import Receiver


def local(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(y, m, d, hour, minute))


@pytest.fixture
def only_test_jobs(monkeypatch):
    """An empty registry for jobs defined by the test (the real ones are left alone)."""
    monkeypatch.setattr(jobs_module, "_registry", {})
    monkeypatch.setattr(jobs_module, "_discovered", True)


def test_every_apps_jobs_are_found():
    assert {
        "notify.cutoff_reminders",
        "notify.cleanup",
        "dispatch.rollup_check",
        "registry.forget_old_files",
    } <= set(jobs())
    assert jobs()["dispatch.rollup_check"].at == time(2, 0)


def test_a_job_needs_exactly_one_schedule(only_test_jobs):
    with pytest.raises(ValueError):
        periodic("x")
    with pytest.raises(ValueError):
        periodic("x", every=timedelta(minutes=1), at=time(2))
    with pytest.raises(ValueError):
        periodic("x", every=timedelta(0))


def test_an_interval_job_runs_at_once_then_every_interval(db, only_test_jobs):
    runs: list[datetime] = []
    periodic("test.tick", every=timedelta(minutes=5))(runs.append)
    start = local(2020, 2, 21, 9)
    assert schedule.run_due(start) == 1
    assert schedule.run_due(start + timedelta(minutes=4)) == 0
    assert schedule.run_due(start + timedelta(minutes=5)) == 1
    assert runs == [start, start + timedelta(minutes=5)]
    state = JobState.objects.get(name="test.tick")
    assert state.runs == 2 and state.leased_until is None and state.last_error == ""
    assert state.next_run_at == start + timedelta(minutes=10)


def test_a_daily_job_waits_for_its_hour(db, only_test_jobs):
    runs: list[datetime] = []
    periodic("test.nightly", at=time(2, 0))(runs.append)
    assert schedule.run_due(local(2020, 2, 21, 10)) == 0  # a new worker: not at once
    assert schedule.run_due(local(2020, 2, 22, 1, 59)) == 0
    assert schedule.run_due(local(2020, 2, 22, 2, 0)) == 1
    assert schedule.run_due(local(2020, 2, 22, 23)) == 0
    assert schedule.run_due(local(2020, 2, 23, 2, 1)) == 1
    assert runs == [local(2020, 2, 22, 2), local(2020, 2, 23, 2, 1)]
    assert JobState.objects.get().next_run_at == local(2020, 2, 24, 2)


def test_a_running_job_is_not_started_by_a_second_worker(db, only_test_jobs):
    inner: list[int] = []

    def job(now):
        inner.append(schedule.run_due(now))  # another worker looks while this one runs

    periodic("test.long", every=timedelta(minutes=1))(job)
    assert schedule.run_due(local(2020, 2, 21, 9)) == 1
    assert inner == [0]


def test_a_killed_run_is_taken_up_again_after_its_lease(db, only_test_jobs):
    runs: list[datetime] = []

    def job(now):
        runs.append(now)
        if len(runs) == 1:
            raise SystemExit  # the worker dies mid-job: nothing after this line runs

    periodic("test.killed", every=timedelta(hours=1), lease=timedelta(minutes=10))(job)
    start = local(2020, 2, 21, 9)
    with pytest.raises(SystemExit):
        schedule.run_due(start)
    state = JobState.objects.get()
    assert state.leased_until == start + timedelta(minutes=10) and state.runs == 0
    assert schedule.run_due(start + timedelta(minutes=9)) == 0  # still leased
    assert schedule.run_due(start + timedelta(minutes=11)) == 1
    assert runs == [start, start + timedelta(minutes=11)]
    assert JobState.objects.get().runs == 1


def test_a_failing_job_is_logged_and_the_others_still_run(db, only_test_jobs, caplog):
    ran: list[str] = []

    def broken(now):
        raise RuntimeError("boom")

    periodic("test.a_broken", every=timedelta(minutes=5))(broken)
    periodic("test.b_fine", every=timedelta(minutes=5))(lambda now: ran.append("fine"))
    start = local(2020, 2, 21, 9)
    assert schedule.run_due(start) == 2
    assert ran == ["fine"]
    broken_state = JobState.objects.get(name="test.a_broken")
    assert broken_state.last_error == "RuntimeError" and broken_state.leased_until is None
    assert broken_state.next_run_at == start + timedelta(minutes=5)
    assert "periodic job test.a_broken failed" in caplog.text


# --- the registered jobs -------------------------------------------------------------------------


def test_the_nightly_rollup_check_tells_administrators_about_a_difference(world, caplog):
    day = date(2020, 2, 20)
    report(world.steel, day, actor=world.dave)
    job = jobs()["dispatch.rollup_check"]
    job.func(local(2020, 2, 21, 2))
    assert not Event.objects.exists()  # the rollups agree with a rebuild

    CountyDay.objects.filter(county="150203", date=day).update(reported=5)
    with caplog.at_level(logging.WARNING):
        job.func(local(2020, 2, 21, 2))
        job.func(local(2020, 2, 21, 2, 30))  # once a night, whatever happens
    event = Event.objects.get()
    assert event.kind == Kind.ROLLUP_CHECK and "rebuild_rollups" in event.text
    assert event.title.startswith("2月21日夜间核对")
    assert set(InboxItem.objects.values_list("user__username", flat=True)) == {"root"}
    assert "rollup check: rows differ from a rebuild" in caplog.text


def test_cleanup_keeps_a_month_of_sent_deliveries(world):
    robot = Robot.objects.create(
        kind=Channel.WECOM, name="r", webhook_url="http://127.0.0.1:9/", kinds=[Kind.ROLLUP_CHECK]
    )
    now = timezone.now()
    for n in range(3):
        publish(Kind.ROLLUP_CHECK, recipients=[world.root], title=f"t{n}", text="x")
    old, recent, waiting = Delivery.objects.filter(robot=robot).order_by("id")
    Delivery.objects.filter(pk=old.pk).update(status="sent", sent_at=now - timedelta(days=31))
    Delivery.objects.filter(pk=recent.pk).update(status="sent", sent_at=now - timedelta(days=29))
    jobs()["notify.cleanup"].func(now)
    assert set(Delivery.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert Event.objects.count() == 3  # events and inboxes stay


@pytest.mark.django_db(transaction=True)
def test_run_worker_once_delivers_the_outbox_and_runs_the_due_jobs():
    testing.load_reference_once()
    bob = testing.user("bob", "official", region_id="150200")
    with Receiver() as receiver:
        Robot.objects.create(
            kind=Channel.DINGTALK,
            name="r",
            webhook_url=receiver.url(),
            kinds=[Kind.PROBLEM_ASSIGNED],
        )
        event = publish(Kind.PROBLEM_ASSIGNED, recipients=[bob], title="t", text="x")
        assert event is not None
        call_command("run_worker", "--once")
    assert [s.event_id for s in receiver.requests] == [str(event.id)]
    assert Delivery.objects.get().status == Delivery.Status.SENT
    states = {s.name: s for s in JobState.objects.all()}
    assert set(jobs()) <= set(states)
    assert states["notify.cutoff_reminders"].runs == 1
    assert states["dispatch.rollup_check"].runs == 0  # waits for 02:00
