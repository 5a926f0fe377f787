"""Escalation 上联: by hand up one level at a time, and escalate_overdue with frozen time across
the 2020 Spring Festival: a county's overdue problem goes to the city, the city's to the
province, the province's is only flagged; each at most once per level, so a second run at the
same moment does nothing."""

from datetime import datetime

import pytest
from django.utils import timezone

from problems import actions
from problems.models import Problem, ProblemStep

from .factories import raise_, step
from .test_workflow import events


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def test_by_hand_one_level_at_a_time(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    p = step("escalate", desks.henry, p, when=(2020, 2, 17, 10, 0), note="县里无法解决")
    assert (p.department, p.handler, p.status) == (desks.city_hr, world.grace, "submitted")
    assert (p.escalations, p.escalation_level) == (1, 1)
    assert timezone.localtime(p.accept_due) == local(2020, 2, 18, 18)
    s = ProblemStep.objects.filter(problem=p).latest("pk")
    assert (s.action, s.actor, s.note) == ("escalated", desks.henry, "县里无法解决")
    assert s.data == {
        "from": "昆都仑区人力资源和社会保障局",
        "to": "包头市人力资源和社会保障局",
        "automatic": False,
    }
    # the county official who sent it up still sees it, but the city's desk is not hers
    assert actions.allowed_actions(world.carol, p) == []
    assert "escalate" in actions.allowed_actions(world.bob, p)
    p = step("escalate", world.grace, p, note="需自治区协调")
    assert (p.department, p.handler, p.escalation_level) == (desks.province_hr, desks.ivan, 2)
    assert "escalate" not in actions.allowed_actions(world.alice, p)
    with pytest.raises(actions.Illegal) as exc:
        step("escalate", world.alice, p, note="再上联")
    assert "province" in exc.value.reason


def test_escalate_to_a_city_without_that_desk_goes_to_its_industry_desk(world, desks):
    p = raise_(world.dave, world.steel, category="transport")
    p = step("escalate", desks.kate, p, note="跨县运输")
    assert p.department == desks.city_industry and p.handler is None


def test_overdue_sweep_across_the_spring_festival(world, desks):
    # Raised on Thursday 23 January: accept by the next working day, Monday 3 February.
    p = raise_(world.dave, world.steel, when=(2020, 1, 23, 10, 0))
    assert timezone.localtime(p.accept_due) == local(2020, 2, 3, 18)
    assert actions.escalate_overdue(now=local(2020, 1, 31, 12)) == 0  # the holiday counts not
    assert actions.escalate_overdue(now=local(2020, 2, 3, 17, 59)) == 0

    with events() as got:
        assert actions.escalate_overdue(now=local(2020, 2, 3, 19)) == 1
    p.refresh_from_db()
    assert (p.department, p.handler, p.status) == (desks.city_hr, world.grace, "submitted")
    assert (p.escalations, p.escalation_level, p.auto_escalated_level) == (1, 1, 3)
    assert p.missed_accept is True
    # the city's desk starts afresh: 19:00 is after hours, so accept by Wednesday 5 February
    assert timezone.localtime(p.accept_due) == local(2020, 2, 5, 18)
    assert [(e["kind"], e["recipients"], e["actor"]) for e in got] == [
        ("overdue", [desks.henry], None),
        ("escalated", [world.grace], None),
    ]
    assert "2月5日18:00" in got[1]["text"]
    assert actions.escalate_overdue(now=local(2020, 2, 3, 19)) == 0  # a second run: nothing
    assert actions.escalate_overdue(now=local(2020, 2, 5, 17)) == 0

    # Late again at the city: up to the province.
    assert actions.escalate_overdue(now=local(2020, 2, 6, 9)) == 1
    p.refresh_from_db()
    assert (p.department, p.handler, p.auto_escalated_level) == (desks.province_hr, desks.ivan, 2)
    assert actions.escalate_overdue(now=local(2020, 2, 6, 9)) == 0
    assert timezone.localtime(p.accept_due) == local(2020, 2, 7, 18)

    # Late at the province: there is no higher desk, it is flagged (once).
    with events() as got:
        assert actions.escalate_overdue(now=local(2020, 2, 10, 9)) == 1
    p.refresh_from_db()
    assert (p.department, p.flagged, p.auto_escalated_level) == (desks.province_hr, True, 1)
    assert p.escalations == 2
    assert [(e["kind"], e["recipients"]) for e in got] == [("overdue", [desks.ivan])]
    assert actions.escalate_overdue(now=local(2020, 2, 10, 9)) == 0
    assert actions.escalate_overdue(now=local(2020, 3, 10, 9)) == 0  # still once per level

    steps = list(
        ProblemStep.objects.filter(problem=p).order_by("at", "pk").values_list("action", "actor")
    )
    assert steps == [
        ("submitted", world.dave.pk),
        ("assigned", None),
        ("overdue", None),
        ("escalated", None),
        ("overdue", None),
        ("escalated", None),
        ("overdue", None),
    ]
    # it can still be worked and answered at the province
    p = step("accept", desks.ivan, p, when=(2020, 2, 10, 10, 0))
    assert p.accepted_on_time is False  # late once: never "on time"


def test_overdue_answer_is_escalated_too(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0), urgency="urgent")
    step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    p.refresh_from_db()
    assert timezone.localtime(p.answer_due) == local(2020, 2, 20, 18)
    assert actions.escalate_overdue(now=local(2020, 2, 20, 17)) == 0
    assert actions.escalate_overdue(now=local(2020, 2, 21, 9)) == 1
    p.refresh_from_db()
    assert (p.department, p.status, p.missed_accept) == (desks.city_hr, "submitted", False)
    overdue = ProblemStep.objects.get(problem=p, action="overdue")
    assert overdue.data["late"] == "answer"


def test_answered_or_confirmed_problems_are_never_overdue(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    step("answer", desks.henry, p, when=(2020, 2, 17, 11, 0), text="已处理")
    q = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    step("accept", desks.henry, q, when=(2020, 2, 17, 10, 0))
    step("answer", desks.henry, q, when=(2020, 2, 17, 11, 0), text="已处理")
    step("confirm", world.dave, q, when=(2020, 2, 17, 12, 0), rating=5)
    assert actions.escalate_overdue(now=local(2020, 5, 1, 9)) == 0
    assert set(Problem.objects.values_list("department", flat=True)) == {desks.county_hr.pk}


def test_the_sweep_takes_a_new_version_so_a_stale_step_is_refused(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    seen = p.version
    assert actions.escalate_overdue(now=local(2020, 2, 19, 9)) == 1
    with pytest.raises(actions.Conflict):
        actions.accept(actor=desks.henry, problem_id=p.pk, version=seen)
