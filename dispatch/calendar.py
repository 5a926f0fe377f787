"""Reporting days and the cut-off: working days from the calendar, every day while an emergency
period is on; the report for a date is on time when it arrives by that date's cut-off."""

from datetime import date, datetime, time

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from lib.rawrows import Reader
from workdays.calendar import is_workday

from .models import EmergencyPeriod, Settings

_SETTINGS = Reader(Settings, ["id", "cutoff"])
DEFAULT_CUTOFF = time(17, 0)  # before an official sets one
# The dates figures may be asked for: a report's date is from 2000 on (dispatch.validation);
# the far ends of Python's dates would overflow the date arithmetic of trends and windows.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def settings_row() -> Settings:
    """The one settings row (read on every report: its query as text, not compiled each time)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_SETTINGS.select()} FROM {Settings._meta.db_table} ORDER BY id LIMIT 1"  # noqa: S608
        )
        row = cursor.fetchone()
    return _SETTINGS.build(row) if row is not None else Settings(cutoff=DEFAULT_CUTOFF)


def askable(day: date) -> bool:
    """Whether figures may be asked for this date (FIRST_DAY to LAST_DAY)."""
    return FIRST_DAY <= day <= LAST_DAY


def in_emergency(day: date) -> bool:
    return EmergencyPeriod.objects.filter(
        Q(end__isnull=True) | Q(end__gte=day), start__lte=day
    ).exists()


def is_reporting_day(day: date) -> bool:
    """Daily reporters owe a report on this date."""
    return in_emergency(day) or is_workday(day)


def cutoff_at(day: date, cutoff: time | None = None) -> datetime:
    cutoff = cutoff or settings_row().cutoff
    return timezone.make_aware(datetime.combine(day, cutoff))


def today() -> date:
    return timezone.localdate()
