"""Reports for tests, written through the real path (actions.write) at a chosen time."""

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from unittest import mock

from django.utils import timezone

from dispatch import actions
from dispatch.models import Report, ReportVersion

BASE = {
    "status": "partial",
    "staff_on_site": 10,
    "capacity_pct": 50,
    "temperature_checks": True,
    "disinfection": True,
    "mask_days": 7,
    "fever": 0,
    "suspected": 0,
    "confirmed": 0,
}


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0):
    """Patch the clock (timezone.now) to a local time."""
    moment = timezone.make_aware(datetime(year, month, day, hour, minute))
    return mock.patch("django.utils.timezone.now", return_value=moment)


def report(enterprise, day: date, *, actor=None, when: tuple | None = None, **values: Any):
    """Submit one report as of `when` (default 09:00 on its date); returns the outcome."""
    raw = {**BASE, "date": day, **values}
    moment = when or (day.year, day.month, day.day, 9, 0)
    with at(*moment):
        cleaned = actions.clean(raw, enterprise)
        assert not cleaned.errors, cleaned.errors
        (outcome,) = actions.write(
            [actions.Item(enterprise, cleaned.values)], actor=actor, source="test"
        )
    assert not outcome.errors, outcome.errors
    return outcome


def versions_kept() -> int:
    """How many versions all reports keep, checking how they are kept: a report never corrected
    is its own one version and has no stored rows; a corrected one has a row for each of its
    versions, 1 to its current one (see Report). A stored version of no report fails here."""
    stored: dict[int, list[int]] = defaultdict(list)
    for report_id, version in ReportVersion.objects.values_list("report_id", "version"):
        stored[report_id].append(version)
    total = 0
    for pk, version in Report.objects.values_list("pk", "version"):
        kept = sorted(stored.pop(pk, []))
        assert kept == ([] if version == 1 else list(range(1, version + 1))), (pk, version, kept)
        total += version
    assert not stored, f"versions of no report: {dict(stored)}"
    return total
