"""Deadlines in working days from the calendar, with frozen time across the 2020 Spring Festival
(extended to 2 February; Sunday 19 January a working day) and the 2020 National Day week
(1–8 October; Sunday 27 September and Saturday 10 October working days)."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from problems import deadlines
from workdays.models import DayOverride

from .factories import at, raise_, step


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


CASES = [
    # (raised at, urgency, accept by, answer by)
    # Friday before the festival: the working Sunday 19 January counts.
    ((2020, 1, 17, 10), "normal", (2020, 1, 19, 18), (2020, 1, 23, 18)),
    # New Year's Eve (a holiday): counting starts on Monday 3 February, the first working day.
    ((2020, 1, 24, 10), "normal", (2020, 2, 4, 18), (2020, 2, 10, 18)),
    # Saturday 1 February, inside the extension: the same.
    ((2020, 2, 1, 9), "normal", (2020, 2, 4, 18), (2020, 2, 10, 18)),
    # The last working day before the festival, in the afternoon: the next working day is 3 Feb.
    ((2020, 1, 23, 17), "urgent", (2020, 2, 3, 18), (2020, 2, 5, 18)),
    # Critical: accepted the same working day…
    ((2020, 1, 23, 9), "critical", (2020, 1, 23, 18), (2020, 2, 3, 18)),
    # …but after 18:00 the day is over: counting starts on the next working day.
    ((2020, 1, 23, 19), "critical", (2020, 2, 3, 18), (2020, 2, 4, 18)),
    ((2020, 1, 25, 9), "critical", (2020, 2, 3, 18), (2020, 2, 4, 18)),
    # National Day: the day before the holiday…
    ((2020, 9, 30, 10), "urgent", (2020, 10, 9, 18), (2020, 10, 12, 18)),
    # …and inside it: Saturday 10 October is a working day, Sunday 11 is not.
    ((2020, 10, 3, 15), "normal", (2020, 10, 10, 18), (2020, 10, 15, 18)),
    # The working Sunday before National Day counts as a day of its own.
    ((2020, 9, 26, 10), "critical", (2020, 9, 27, 18), (2020, 9, 28, 18)),
]


@pytest.mark.parametrize(("raised", "urgency", "accept", "answer"), CASES)
def test_deadlines_of_a_raised_problem(world, desks, raised, urgency, accept, answer):
    p = raise_(world.dave, world.steel, when=(*raised, 0), urgency=urgency)
    assert timezone.localtime(p.accept_due) == local(*accept)
    assert timezone.localtime(p.answer_due) == local(*answer)
    assert timezone.localtime(p.created_at) == local(*raised)


def test_a_reopened_problem_gets_a_new_answer_deadline_across_national_day(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 9, 25, 9, 0))
    step("accept", desks.henry, p, when=(2020, 9, 25, 10, 0))
    step("answer", desks.henry, p, when=(2020, 9, 29, 10, 0), text="已协调人社局招聘会")
    p = step("reopen", world.dave, p, when=(2020, 9, 30, 16, 0), note="招聘会没有合适的人")
    # five working days after 30 September: 9, 10, 12, 13, 14 October
    assert timezone.localtime(p.answer_due) == local(2020, 10, 14, 18)
    assert p.status == "in_progress"


def test_an_override_makes_a_holiday_a_working_day(db):
    assert deadlines.for_urgency("normal", local(2020, 1, 30, 10)) == (
        local(2020, 2, 4, 18),
        local(2020, 2, 10, 18),
    )
    # An administrator corrects the calendar: 31 January 2020 becomes a working day, so a
    # problem of the 30th starts counting on the 31st.
    DayOverride.objects.create(date=date(2020, 1, 31), is_workday=True, note="test")
    assert deadlines.start_day(local(2020, 1, 30, 10)) == date(2020, 1, 31)
    assert deadlines.for_urgency("normal", local(2020, 1, 30, 10)) == (
        local(2020, 2, 3, 18),
        local(2020, 2, 7, 18),
    )


def test_the_end_of_day_is_a_setting(db, settings):
    settings.FUGONG_PROBLEM_DEADLINE_TIME = "17:30"
    assert deadlines.for_urgency("critical", local(2020, 2, 3, 17, 0)) == (
        local(2020, 2, 3, 17, 30),
        local(2020, 2, 4, 17, 30),
    )
    # 17:45 is after that day's end: counting starts on 4 February.
    assert deadlines.start_day(local(2020, 2, 3, 17, 45)) == date(2020, 2, 4)


def test_frozen_clock_is_what_raise_uses(world, desks):
    with at(2020, 1, 24, 10):
        assert timezone.localdate() == date(2020, 1, 24)
    p = raise_(world.dave, world.steel, when=(2020, 1, 24, 10, 0))
    assert deadlines.start_day(p.created_at) == date(2020, 2, 3)
