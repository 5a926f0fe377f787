"""Every write of dispatch: reports (single, batch, spreadsheet and corrections share one path),
period locks, risk levels and reminders. Validated, atomic, versioned, audited, rolled up."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts import scope
from accounts.models import Role
from audit.log import record
from regions.models import Region
from registry.models import Enterprise

from . import calendar, rollups, validation
from .models import (
    CountyRisk,
    Duty,
    PeriodLock,
    Reminder,
    Report,
    ReportVersion,
)

STORED = tuple(f for f in validation.FIELDS if f != "date")


class OutOfScope(LookupError):
    """The actor may not report for that enterprise or act on that region; callers answer 404."""


class InvalidReport(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Item:
    """One report to write: the enterprise, its cleaned values, and where it sits in the input."""

    enterprise: Enterprise
    values: dict[str, Any]
    index: int = 0


@dataclass
class Outcome:
    index: int
    report: Report | None = None
    created: bool = False
    changed: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def can_report_for(user, enterprise: Enterprise) -> bool:
    """The enterprise itself, its park manager, and officials over it (recording for it)."""
    if scope.is_admin(user):
        return True
    if user.role == Role.REPORTER:
        return user.enterprise_id == enterprise.pk
    if user.role == Role.PARK_MANAGER:
        return enterprise.park_id is not None and enterprise.park_id == user.park_id
    return scope.can_edit_enterprise(user, enterprise)


def ancestors(county: str) -> list[str]:
    return sorted({county[:2] + "0000", county[:4] + "00", county})


def locked_dates(counties: set[str], dates: set[date]) -> set[tuple[str, date]]:
    """(county, date) pairs closed by a lock on the county or a region above it."""
    if not counties or not dates:
        return set()
    regions = {a for c in counties for a in ancestors(c)}
    locks = set(
        PeriodLock.objects.filter(region_id__in=regions, date__in=dates).values_list(
            "region_id", "date"
        )
    )
    return {(c, d) for c in counties for d in dates if any((a, d) in locks for a in ancestors(c))}


def clean(raw: dict[str, Any], enterprise: Enterprise, today: date | None = None):
    return validation.clean(raw, headcount=enterprise.headcount, today=today or calendar.today())


def _values_of(report: Report) -> dict[str, Any]:
    return {f: getattr(report, f) for f in STORED}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def write(items: Sequence[Item], *, actor, source: str, request=None) -> list[Outcome]:
    """Write cleaned reports in one transaction: new ones, corrections (a new version) and
    unchanged resubmissions (nothing). Locked periods and duplicates are refused per row."""
    now = timezone.now()
    cutoff = calendar.settings_row().cutoff
    who = actor if getattr(actor, "pk", None) else None
    outcomes = [Outcome(index=item.index) for item in items]
    with transaction.atomic():
        ids = sorted({item.enterprise.pk for item in items})
        # Lock the enterprises' duties: one writer per enterprise at a time, so a weekly
        # reporter's window is never computed from a half-written neighbour.
        duties = {d.pk: d for d in Duty.objects.select_for_update().filter(enterprise_id__in=ids)}
        dates = {item.values["date"] for item in items}
        closed = locked_dates({item.enterprise.region_id for item in items}, dates)
        existing = {
            (r.enterprise_id, r.date): r
            for r in Report.objects.filter(enterprise_id__in=ids, date__in=dates)
        }
        weekly = [i for i in ids if i in duties and duties[i].cadence == "weekly"]
        window: dict[int, dict[date, Report]] = {i: {} for i in weekly}
        if weekly:
            for r in Report.objects.filter(
                enterprise_id__in=weekly,
                date__gte=min(dates) - rollups.BACK,
                date__lte=max(dates) + rollups.BACK,
            ):
                window[r.enterprise_id][r.date] = existing.get((r.enterprise_id, r.date), r)

        # First pass: decide each row, change nothing yet.
        plan: list[tuple[Item, Outcome, Report | None, dict[str, Any], dict]] = []
        touched: dict[int, set[date]] = {}
        seen: set[tuple[int, date]] = set()
        for item, outcome in zip(items, outcomes, strict=True):
            e, day = item.enterprise, item.values["date"]
            if (e.region_id, day) in closed:
                outcome.errors = {"date": LOCKED}
                continue
            if (e.pk, day) in seen:
                outcome.errors = {"date": TWICE}
                continue
            seen.add((e.pk, day))
            values = {f: item.values[f] for f in STORED}
            report = existing.get((e.pk, day))
            diff = validation.changes(_values_of(report), values) if report else {}
            outcome.report = report
            if report is not None and not diff:
                continue  # the same answer again: nothing to write
            plan.append((item, outcome, report, values, diff))
            duty = duties.get(e.pk)
            if duty is not None and duty.cadence:
                touched.setdefault(e.pk, set()).update(rollups.reach(duty.cadence, day))

        deltas: rollups.Deltas = {}
        for eid, days in touched.items():
            rollups.add_into(deltas, _contrib(duties[eid], days, window, existing), -1)

        # Second pass: write.
        new_reports: list[Report] = []
        changed_reports: list[Report] = []
        versions: list[tuple[Report, dict[str, Any], dict]] = []
        for item, outcome, report, values, diff in plan:
            e, day = item.enterprise, item.values["date"]
            if report is None:
                report = Report(
                    enterprise_id=e.pk,
                    county=e.region_id,
                    date=day,
                    on_time=now <= calendar.cutoff_at(day, cutoff),
                    version=1,
                    submitted_at=now,
                    updated_at=now,
                    submitted_by=who,
                    **values,
                )
                new_reports.append(report)
                existing[(e.pk, day)] = report
                if e.pk in window:
                    window[e.pk][day] = report
                outcome.created = True
            else:
                for name, value in values.items():
                    setattr(report, name, value)
                report.version += 1
                report.updated_at = now
                changed_reports.append(report)
            outcome.report = report
            outcome.changed = True
            versions.append((report, values, diff))
        if new_reports:
            Report.objects.bulk_create(new_reports, batch_size=2000)
        if changed_reports:
            Report.objects.bulk_update(
                changed_reports, [*STORED, "version", "updated_at"], batch_size=1000
            )
        if any(r.pk is None for r in new_reports):  # backends that do not return ids
            fresh = {(r.enterprise_id, r.date): r for r in new_reports}
            for pk, eid, day in Report.objects.filter(
                enterprise_id__in=ids, date__in=dates
            ).values_list("pk", "enterprise_id", "date"):
                if (eid, day) in fresh:
                    fresh[(eid, day)].pk = pk
        ReportVersion.objects.bulk_create(
            [
                ReportVersion(
                    report_id=r.pk,
                    version=r.version,
                    actor=who,
                    at=now,
                    source=source,
                    values=_jsonable(values),
                    changes=diff,
                )
                for r, values, diff in versions
            ],
            batch_size=2000,
        )
        for eid, days in touched.items():
            rollups.add_into(deltas, _contrib(duties[eid], days, window, existing))
        rollups.apply(deltas)
        if versions:
            one = len(items) == 1
            record(
                "submit" if one else "submit_batch",
                actor=who,
                request=request,
                object_type="report",
                object_id=(
                    f"{items[0].enterprise.uscc}:{items[0].values['date']}"
                    if one
                    else f"{len(versions)} reports"
                ),
                source=source,
                created=sum(1 for o in outcomes if o.created),
                corrected=sum(1 for o in outcomes if o.changed and not o.created),
            )
    return outcomes


LOCKED = "该日期已被锁定，不能再修改 (this date is locked by an official)"
TWICE = "同一批中重复的企业和日期 (the same enterprise and date twice in one batch)"


def _contrib(duty: Duty, days: set[date], window, existing) -> rollups.Deltas:
    """An enterprise's contributions on `days`, from its reports as they stand in memory."""
    if duty.cadence == "weekly":
        reports = list(window[duty.pk].values())
    else:
        reports = [existing[(duty.pk, d)] for d in days if (duty.pk, d) in existing]
    return rollups.contributions(duty, reports, days)


def submit(*, actor, enterprise: Enterprise, raw: dict[str, Any], source: str, request=None):
    """One report from the form or the API: (report, created). Raises InvalidReport, OutOfScope."""
    if not can_report_for(actor, enterprise):
        raise OutOfScope(enterprise.uscc)
    cleaned = clean(raw, enterprise)
    if cleaned.errors:
        raise InvalidReport(cleaned.errors)
    (outcome,) = write(
        [Item(enterprise, cleaned.values)], actor=actor, source=source, request=request
    )
    if outcome.errors:
        raise InvalidReport(outcome.errors)
    return outcome.report, outcome.created


def no_change(*, actor, enterprise: Enterprise, day: date, request=None):
    """ "No change since last report": the latest earlier report again, for `day`, in one action."""
    last = Report.objects.filter(enterprise=enterprise, date__lt=day).order_by("-date").first()
    if last is None:
        raise InvalidReport({"date": NOTHING_TO_REPEAT})
    raw = {f: getattr(last, f) for f in STORED}
    raw["date"] = day
    return submit(actor=actor, enterprise=enterprise, raw=raw, source="no_change", request=request)


NOTHING_TO_REPEAT = "还没有以前的填报可沿用 (there is no earlier report to repeat)"


# --- period locks, risk levels, reminders --------------------------------------------------------


def can_manage(actor, region: Region) -> bool:
    """Locks and risk levels: officials within their subtree, and administrators."""
    if scope.is_admin(actor):
        return True
    prefix = scope.region_prefix(actor)
    return actor.role == Role.OFFICIAL and prefix is not None and region.code.startswith(prefix)


def _region_in_scope(actor, region: Region) -> None:
    if not can_manage(actor, region):
        raise OutOfScope(region.code)


@transaction.atomic
def lock_period(*, actor, region: Region, day: date, request=None) -> PeriodLock:
    _region_in_scope(actor, region)
    lock, _ = PeriodLock.objects.get_or_create(
        region=region, date=day, defaults={"locked_by": actor}
    )
    record(
        "lock", actor=actor, request=request, object_type="period", object_id=f"{region.code}:{day}"
    )
    return lock


@transaction.atomic
def unlock_period(*, actor, region: Region, day: date, request=None) -> int:
    _region_in_scope(actor, region)
    deleted, _ = PeriodLock.objects.filter(region=region, date=day).delete()
    record(
        "unlock",
        actor=actor,
        request=request,
        object_type="period",
        object_id=f"{region.code}:{day}",
    )
    return deleted


@transaction.atomic
def set_risk(
    *, actor, region: Region, level: str, effective_from: date, source: str = "web", request=None
) -> CountyRisk:
    _region_in_scope(actor, region)
    risk, _ = CountyRisk.objects.update_or_create(
        region=region,
        effective_from=effective_from,
        defaults={"level": level, "set_by": actor, "source": source},
    )
    record(
        "set_risk",
        actor=actor,
        request=request,
        obj=risk,
        level=level,
        effective_from=str(effective_from),
    )
    return risk


@transaction.atomic
def remind(*, actor, enterprises: Sequence[Enterprise], day: date, request=None) -> int:
    """Record reminders to non-reporters (one per enterprise and date; delivery comes later)."""
    have = set(
        Reminder.objects.filter(enterprise__in=enterprises, date=day).values_list(
            "enterprise_id", flat=True
        )
    )
    new = [
        Reminder(enterprise=e, date=day, created_by=actor) for e in enterprises if e.pk not in have
    ]
    Reminder.objects.bulk_create(new)
    if new:
        record(
            "remind",
            actor=actor,
            request=request,
            object_type="reminder",
            object_id=str(day),
            count=len(new),
        )
    return len(new)
