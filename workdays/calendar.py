"""Is a date a working day? Overrides first, then the chinesecalendar package, then Mon–Fri."""

import logging
from datetime import date, timedelta

import chinese_calendar

from .models import DayOverride

log = logging.getLogger(__name__)


def is_workday(day: date) -> bool:
    override = DayOverride.objects.filter(date=day).values_list("is_workday", flat=True).first()
    if override is not None:
        return override
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("chinesecalendar has no data for %s; assuming Monday to Friday", day.year)
        return day.weekday() < 5


def add_workdays(start: date, count: int) -> date:
    """The date `count` working days after `start` (start itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def package_years() -> list[int]:
    """The years the installed chinesecalendar release knows."""
    return sorted(
        {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    )
