"""Optimistic locking: a change names the version it saw. Of two sessions acting on the same
version exactly one wins, the other gets Conflict, and the timeline has every step that won and
none that lost. With threads, each on its own database connection, the same holds when they
really act at once (row lock, then UPDATE … WHERE version = seen)."""

import threading

import pytest
from django.db import connection

from accounts.models import Role
from lib import testing
from problems import actions
from problems.models import Department, Problem, ProblemStep

from .factories import at, raise_


def test_two_sessions_on_the_same_version(world, desks):
    p = raise_(world.dave, world.steel)
    first = Problem.objects.get(pk=p.pk)  # what henry's page shows
    second = Problem.objects.get(pk=p.pk)  # what carol's page shows
    with at(2020, 2, 17, 11):
        actions.accept(actor=desks.henry, problem_id=p.pk, version=first.version)
        with pytest.raises(actions.Conflict) as exc:
            actions.transfer(
                actor=world.carol,
                problem_id=p.pk,
                version=second.version,
                kind="transport",
                note="转交通",
            )
    assert exc.value.problem.version == 2 and exc.value.problem.status == "accepted"
    p.refresh_from_db()
    assert (p.version, p.status, p.department) == (2, "accepted", desks.county_hr)
    assert list(p.steps.values_list("action", flat=True)) == ["submitted", "assigned", "accepted"]
    # with the fresh version carol's step goes through
    with at(2020, 2, 17, 12):
        actions.transfer(
            actor=world.carol, problem_id=p.pk, version=2, kind="transport", note="转交通"
        )
    p.refresh_from_db()
    assert (p.version, p.department) == (3, desks.county_transport)


def test_a_comment_needs_no_version_and_takes_none(world, desks):
    p = raise_(world.dave, world.steel)
    with at(2020, 2, 17, 11):
        actions.comment(actor=world.dave, problem_id=p.pk, text="请尽快")
        actions.accept(actor=desks.henry, problem_id=p.pk, version=1)  # still version 1
    assert Problem.objects.get(pk=p.pk).version == 2


THREADS = 8


def _run_at_once(work) -> list[object]:
    """Run work(n) in THREADS threads released together; their results (or exceptions)."""
    start = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = work(n)
        except Exception as exc:  # kept and examined by the test
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_threads_on_the_same_version_exactly_one_wins():
    testing.load_reference_once()
    e = testing.enterprise("150203", "3110")
    dave = testing.user("dave", Role.REPORTER, enterprise=e)
    henry = testing.user("henry", Role.HANDLER, region_id="150203")
    carol = testing.user("carol", Role.OFFICIAL, region_id="150203")
    hr = Department.objects.create(region_id="150203", kind="human_resources", name="人社局")
    hr.members.add(henry)
    Department.objects.create(region_id="150203", kind="transport", name="交通局")
    p = raise_(dave, e)
    connection.close()

    def work(n: int):
        if n % 2:
            return actions.accept(actor=henry, problem_id=p.pk, version=1)
        return actions.transfer(
            actor=carol, problem_id=p.pk, version=1, kind="transport", note=f"转办{n}"
        )

    results = _run_at_once(work)
    won = [r for r in results if isinstance(r, Problem)]
    lost = [r for r in results if isinstance(r, actions.Conflict)]
    assert len(won) == 1, results
    assert len(lost) == THREADS - 1, results
    p.refresh_from_db()
    assert p.version == 2
    steps = list(ProblemStep.objects.filter(problem=p).values_list("action", flat=True))
    assert len(steps) == 3 and steps[-1] in ("accepted", "transferred")


@pytest.mark.django_db(transaction=True)
def test_threads_that_retry_lose_no_step():
    """Every thread assigns a handler five times, re-reading the version after a Conflict: the
    version and the timeline count every assignment that won, and all of them won in the end."""
    testing.load_reference_once()
    e = testing.enterprise("150203", "3110")
    dave = testing.user("dave", Role.REPORTER, enterprise=e)
    carol = testing.user("carol", Role.OFFICIAL, region_id="150203")
    hr = Department.objects.create(region_id="150203", kind="human_resources", name="人社局")
    people = [testing.user(f"h{n}", Role.HANDLER, region_id="150203") for n in range(3)]
    hr.members.set(people)
    p = raise_(dave, e)
    connection.close()
    rounds = 5

    def work(n: int) -> int:
        done = conflicts = 0
        while done < rounds:
            version = Problem.objects.values_list("version", flat=True).get(pk=p.pk)
            try:
                actions.assign(
                    actor=carol,
                    problem_id=p.pk,
                    version=version,
                    handler=people[(n + done) % 3].username,
                )
                done += 1
            except actions.Conflict:
                conflicts += 1
        return conflicts

    results = _run_at_once(work)
    assert all(isinstance(r, int) for r in results), results
    p.refresh_from_db()
    assert p.version == 1 + THREADS * rounds
    assigned = ProblemStep.objects.filter(problem=p, action="assigned", actor=carol).count()
    assert assigned == THREADS * rounds
    print(f"\n{connection.vendor}: {sum(results)} conflicts retried by {THREADS} threads")
