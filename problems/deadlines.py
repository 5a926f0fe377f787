"""Deadlines by urgency, in working days of the calendar (workdays.calendar).

A deadline is the end of a working day: FUGONG_PROBLEM_DEADLINE_TIME (18:00) local time. The
count starts from the day a problem arrives when that is a working day and the day is not over
(before 18:00); otherwise — a weekend, a holiday, the evening — from the next working day, as if
it had arrived that morning. "Within n working days" is the end of the n-th working day after the
starting day; within 0 is the end of the starting day itself.

| urgency | accept within | answer within |
|---|---|---|
| normal | 1 | 5 |
| urgent | 1 | 3 |
| critical | 0 (the same working day) | 1 |
"""

from datetime import date, datetime, time

from django.conf import settings
from django.utils import timezone

from workdays.calendar import add_workdays, is_workday

from .models import Urgency

# urgency → (working days to accept, working days to answer)
DAYS: dict[str, tuple[int, int]] = {
    Urgency.NORMAL: (1, 5),
    Urgency.URGENT: (1, 3),
    Urgency.CRITICAL: (0, 1),
}


def end_of_day() -> time:
    return time.fromisoformat(settings.FUGONG_PROBLEM_DEADLINE_TIME)


def end_of(day: date) -> datetime:
    """The deadline moment of a working day: its end-of-day time, local."""
    return timezone.make_aware(datetime.combine(day, end_of_day()))


def start_day(moment: datetime) -> date:
    """The working day the count starts from for something arriving at `moment`."""
    local = timezone.localtime(moment)
    day = local.date()
    if is_workday(day) and local.time() < end_of_day():
        return day
    return add_workdays(day, 1)


def due(moment: datetime, working_days: int) -> datetime:
    """The end of the `working_days`-th working day after the starting day of `moment`."""
    return end_of(add_workdays(start_day(moment), working_days))


def for_urgency(urgency: str, moment: datetime) -> tuple[datetime, datetime]:
    """(accept by, answer by) for a problem of this urgency arriving at `moment`."""
    accept, answer = DAYS[urgency]
    base = start_day(moment)
    return end_of(add_workdays(base, accept)), end_of(add_workdays(base, answer))


def answer_due(urgency: str, moment: datetime) -> datetime:
    """A fresh answer deadline (a reopened problem) counted from `moment`."""
    return due(moment, DAYS[urgency][1])
