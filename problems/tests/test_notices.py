"""Problem steps reach people through the notify outbox, in the step's own transaction."""

import pytest
from django.db import transaction

from notify.models import Event, InboxItem
from problems.models import Problem

from .factories import raise_, step


def test_raising_a_problem_puts_it_in_the_handlers_inbox(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    event = Event.objects.get(ref=f"problem:{p.pk}", kind="problem.assigned")
    assert event.region_code == p.county == world.steel.region_id
    assert event.url.endswith(f"/problems/{p.pk}/")
    assert list(InboxItem.objects.filter(event=event).values_list("user__username", flat=True)) == [
        "henry"
    ]
    assert p.number in event.title and world.steel.name in event.text


def test_an_answer_reaches_the_enterprise_and_a_reopening_the_desk(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    p = step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    p = step("answer", desks.henry, p, when=(2020, 2, 18, 15, 0), text="已安排专场招聘会")
    answered = Event.objects.get(ref=f"problem:{p.pk}", kind="problem.answered")
    assert set(answered.inbox_items.values_list("user__username", flat=True)) == {"dave"}
    step("reopen", world.dave, p, when=(2020, 2, 19, 9, 0), note="招聘会人数不够")
    reopened = Event.objects.get(ref=f"problem:{p.pk}", kind="problem.reopened")
    assert set(reopened.inbox_items.values_list("user__username", flat=True)) == {"henry"}


def test_a_step_that_rolls_back_leaves_no_message(world, desks):
    with pytest.raises(RuntimeError), transaction.atomic():
        raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
        raise RuntimeError("the request failed after the step")
    assert not Problem.objects.exists()
    assert not Event.objects.filter(ref__startswith="problem:").exists()
