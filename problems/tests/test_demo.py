"""The demo desks and problems (problems/demo.py): deterministic, idempotent, every state there,
the overdue sweep of 22 February escalating what is late."""

import hashlib

from django.utils import timezone

from accounts.models import Role, User
from lib import testing
from problems import demo
from problems.models import Department, Problem, ProblemStep


def _demo_users(world) -> None:
    testing.user("nmg_official", Role.OFFICIAL, region_id="150000")
    testing.user("baotou_official", Role.OFFICIAL, region_id="150200")
    testing.user("kundulun_official", Role.OFFICIAL, region_id="150203")
    testing.user("handler", Role.HANDLER, region_id="150000")
    testing.user("reporter", Role.REPORTER, enterprise=world.steel)


def digest() -> str:
    h = hashlib.sha256()
    for p in Problem.objects.order_by("created_at", "enterprise__uscc", "category"):
        h.update(
            repr(
                (
                    p.enterprise.uscc,
                    p.category,
                    p.urgency,
                    p.status,
                    p.department.name,
                    p.handler.username if p.handler else None,
                    p.rating,
                    timezone.localtime(p.created_at).isoformat(),
                    [
                        (s.action, s.actor.username if s.actor else None, s.at.isoformat())
                        for s in ProblemStep.objects.filter(problem=p).order_by("at", "pk")
                    ],
                )
            ).encode()
        )
    return h.hexdigest()


def test_the_demo_is_the_same_every_time_and_adds_nothing_twice(world):
    _demo_users(world)
    first = demo.load()
    assert first.problems_created == demo.PROBLEMS and first.desks_created == len(demo.DESKS)
    assert sorted(first.users_created) == sorted(demo.HANDLERS)
    assert (
        User.objects.get(username="kundulun_hr").desks.get().name == "昆都仑区人力资源和社会保障局"
    )
    assert User.objects.get(username="handler").desks.get().kind == "human_resources"
    assert first.escalated > 0
    assert set(first.by_status) == {
        "submitted",
        "accepted",
        "in_progress",
        "answered",
        "confirmed",
        "closed",
    }
    # the demo reporter has one answered and waiting for it, one closed with its rating
    mine = Problem.objects.filter(enterprise=world.steel, raised_by__role="reporter")
    assert {"answered", "closed"} <= set(mine.values_list("status", flat=True))
    # Baotou's own rule: funds go to the central bank's branch there
    funds = Problem.objects.filter(category="funds", county__startswith="1502").first()
    if funds is not None:
        assert funds.department.kind == "central_bank" or funds.escalations
    once = digest()

    again = demo.load()
    assert (again.problems_created, again.problems_kept, again.desks_created) == (0, 60, 0)
    assert again.users_created == []
    assert digest() == once

    Problem.objects.all().delete()
    Department.objects.exclude(name__in=[d[2] for d in demo.DESKS]).delete()
    demo.load()
    assert digest() == once
