"""Every write of dispatch: reports (single, batch, spreadsheet and corrections share one path),
period locks, risk levels and reminders. Validated, atomic, versioned, audited, rolled up."""

import json
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from accounts import scope
from accounts.models import Role
from audit.log import record
from lib.rawrows import Reader, Writer
from regions.models import Region
from registry.models import Enterprise

from . import calendar, rollups, validation
from .models import (
    Cadence,
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


class LockedAbove(PermissionError):
    """A lock set by an official above the actor (or by an administrator): theirs to lift."""

    def __init__(self, lock: PeriodLock):
        super().__init__(f"{lock.region_id}:{lock.date}")
        self.lock = lock
        # the region of whoever set it; None for an administrator without one
        region = lock.locked_by.region if lock.locked_by is not None else None
        self.by: str | None = region.name if region is not None else None


class InvalidReport(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Reportable(NamedTuple):
    """What writing a report needs of its enterprise, read without building an Enterprise."""

    pk: int
    uscc: str
    region_id: str
    headcount: int
    park_id: int | None


@dataclass
class Item:
    """One report to write: the enterprise, its cleaned values, and where it sits in the input."""

    enterprise: Enterprise | Reportable
    values: dict[str, Any]
    index: int = 0


@dataclass(slots=True)
class Outcome:
    """What became of one item. `report` is the Report as written by the row path; the set path
    (batches on PostgreSQL) gives only `report_id`, which both fill."""

    index: int
    report: Report | None = None
    report_id: int | None = None
    created: bool = False
    changed: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def can_report_for(user, enterprise: Enterprise | Reportable) -> bool:
    """The enterprise itself, its park manager, and officials over it (recording for it)."""
    if scope.is_admin(user):
        return True
    if user.role == Role.REPORTER:
        return user.enterprise_id == enterprise.pk
    if user.role == Role.PARK_MANAGER:
        return enterprise.park_id is not None and enterprise.park_id == user.park_id
    return scope.can_edit_enterprise(user, enterprise)


def reportable(user, usccs: Iterable[str]) -> dict[str, Reportable]:
    """The enterprises among `usccs` the user may report for (scope first, then the rule), by
    USCC, as Reportable tuples: for a batch, 10,000 model instances cost more than its checks."""
    wanted = sorted(set(usccs))
    if not wanted:
        return {}
    if user.role == Role.REPORTER and user.is_active and not scope.is_admin(user):
        # The commonest writer, its scope one enterprise (scope.enterprise_filter): the query
        # as text, not compiled for each report.
        if not user.enterprise_id:
            return {}
        where, usccs_params = _in(wanted, "varchar")
        sql = f"{_OWN_ENTERPRISE} AND uscc {where}"
        params: Sequence[Any] = [user.enterprise_id, *usccs_params]
    else:
        found = among(scope.enterprises(user), "uscc", wanted).values_list(*Reportable._fields)
        try:
            sql, params = found.query.sql_with_params()
        except EmptyResultSet:  # a scope that holds nothing
            return {}
    with connection.cursor() as cursor:  # the ORM's SQL, without its per-row cost
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    new = tuple.__new__  # Reportable._make without its checks: the rows have its fields
    if scope.is_admin(user):  # may report for every enterprise it sees
        return {row[1]: new(Reportable, row) for row in rows}
    out = {}
    for row in rows:
        enterprise = new(Reportable, row)
        if can_report_for(user, enterprise):
            out[enterprise.uscc] = enterprise
    return out


_OWN_ENTERPRISE = (
    f"SELECT id, uscc, region_code, headcount, park_id FROM {Enterprise._meta.db_table} "  # noqa: S608
    "WHERE id = %s"
)


def _in(values: Sequence[Any], cast: str) -> tuple[str, list[Any]]:
    """`= ANY(…)` with one parameter on PostgreSQL (_array), `IN (%s, …)` elsewhere."""
    if connection.vendor == "postgresql":
        expression, param = _array(values, cast)
        return f"= ANY({expression})", [param]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)


def _array(values: Sequence[Any], cast: str) -> tuple[str, Any]:
    """An array parameter for PostgreSQL, cast to `cast`[]. Numbers, dates and codes without a
    comma go as one comma-joined string split by the server: psycopg quotes each element of a
    list (30 ms for a batch's 10,000 codes), one string it sends as it is. (An empty string
    would be lost in the split; a list holding one goes as an array.)"""
    texts = [str(v) for v in values]
    if all(t and "," not in t for t in texts):
        return f"string_to_array(%s, ',')::{cast}[]", ",".join(texts)
    return f"%s::{cast}[]", list(values)


def ancestors(county: str) -> list[str]:
    return sorted({county[:2] + "0000", county[:4] + "00", county})


def among(qs: QuerySet, name: str, values: Iterable[Any]) -> QuerySet:
    """qs.filter(name__in=values); on PostgreSQL as `column = ANY(%s)`, one array parameter:
    a batch's 10,000-value IN list costs 50 ms to build and parse, the array next to nothing."""
    values = list(values)
    if connection.vendor != "postgresql":
        return qs.filter(**{f"{name}__in": values})
    q = connection.ops.quote_name
    field = qs.model._meta.get_field(name)
    # Cast to the column's own type: PostgreSQL hashes `bigint = ANY(bigint[])`, but would scan
    # a list of psycopg's default integer[] once per row.
    expression, param = _array(values, field.db_type(connection))
    where = f"{q(qs.model._meta.db_table)}.{q(field.column)} = ANY({expression})"
    return qs.extra(where=[where], params=[param])  # noqa: S610 (our own names)


def locked_dates(counties: set[str], dates: set[date]) -> set[tuple[str, date]]:
    """(county, date) pairs closed by a lock on the county or a region above it."""
    if not counties or not dates:
        return set()
    regions = {a for c in counties for a in ancestors(c)}
    in_regions, region_params = _in(sorted(regions), "varchar")
    in_dates, date_params = _in(sorted(dates), "date")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT region_code, date FROM {PeriodLock._meta.db_table} "  # noqa: S608
            f"WHERE region_code {in_regions} AND date {in_dates}",
            [*region_params, *date_params],
        )
        locks = set(cursor.fetchall())
    if not locks:
        return set()
    return {(c, d) for c in counties for d in dates if any((a, d) in locks for a in ancestors(c))}


def clean(raw: dict[str, Any], enterprise: Enterprise | Reportable, today: date | None = None):
    return validation.clean(raw, headcount=enterprise.headcount, today=today or calendar.today())


def _values_of(report: Report) -> dict[str, Any]:
    return {f: getattr(report, f) for f in STORED}


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def write(items: Sequence[Item], *, actor, source: str, request=None) -> list[Outcome]:
    """Write cleaned reports in one transaction: new ones, corrections (a new version) and
    unchanged resubmissions (nothing). Locked periods and duplicates are refused per row.

    On PostgreSQL a batch of SET_FROM rows or more goes by sets (_write_set): the same
    decisions, taken from tuples instead of model instances, and the same writes as a few
    statements over a staging table. A weekly reporter's rows always go row by row (_write_rows),
    because its contributions span a window of its other reports."""
    context = _Context(
        now=timezone.now(),
        cutoff=calendar.settings_row().cutoff,
        who=actor if getattr(actor, "pk", None) else None,
        source=source,
    )
    outcomes = [Outcome(index=item.index) for item in items]
    # Inside a caller's transaction (an Idempotency-Key's, a dry run's) no savepoint of its own:
    # nothing here catches a database error, so an error always ends the caller's transaction.
    with transaction.atomic(savepoint=False):
        ids = sorted({item.enterprise.pk for item in items})
        # Lock the enterprises' duties: one writer per enterprise at a time, so a weekly
        # reporter's window is never computed from a half-written neighbour.
        duty_rows = _locked_duty_rows(ids)
        dates = {item.values["date"] for item in items}
        context.closed = locked_dates({item.enterprise.region_id for item in items}, dates)
        # On time or not depends on the date only: decided once per date, not per row.
        context.on_time = {
            day: context.now <= calendar.cutoff_at(day, context.cutoff) for day in dates
        }
        build = _builder(Duty, saved=True)
        if connection.vendor == "postgresql" and len(items) >= SET_FROM:
            weekly = {eid for eid, row in duty_rows.items() if row[_CADENCE] == Cadence.WEEKLY}
            deltas: rollups.Deltas = {}
            set_items, set_outcomes = items, outcomes
            if weekly:
                by_row = [k for k, item in enumerate(items) if item.enterprise.pk in weekly]
                by_set = [k for k, item in enumerate(items) if item.enterprise.pk not in weekly]
                deltas = _write_rows(
                    [items[k] for k in by_row],
                    [outcomes[k] for k in by_row],
                    {eid: build(_duty_fields(duty_rows[eid])) for eid in weekly},
                    context,
                )
                set_items = [items[k] for k in by_set]
                set_outcomes = [outcomes[k] for k in by_set]
            staged = _write_set(set_items, set_outcomes, duty_rows, context)
            rollups.apply_staged(deltas, staged)
        else:
            duties = {eid: build(_duty_fields(row)) for eid, row in duty_rows.items()}
            rollups.apply(_write_rows(items, outcomes, duties, context))
        written = [o for o in outcomes if o.changed]
        if written:
            one = len(items) == 1
            record(
                "submit" if one else "submit_batch",
                actor=context.who,
                request=request,
                object_type="report",
                object_id=(
                    f"{items[0].enterprise.uscc}:{items[0].values['date']}"
                    if one
                    else f"{len(written)} reports"
                ),
                source=source,
                created=sum(1 for o in outcomes if o.created),
                corrected=sum(1 for o in outcomes if o.changed and not o.created),
            )
    return outcomes


# From this many rows on (PostgreSQL), write() works on sets; below, row by row is as quick.
SET_FROM = 100


@dataclass
class _Context:
    """What every row of one write() shares."""

    now: Any
    cutoff: Any
    who: Any
    source: str
    closed: set[tuple[str, date]] = field(default_factory=set)
    on_time: dict[date, bool] = field(default_factory=dict)


def _write_rows(
    items: Sequence[Item], outcomes: Sequence[Outcome], duties: dict[int, Duty], context: _Context
) -> rollups.Deltas:
    """Write `items` (their duties locked) with model instances; returns the rollup deltas."""
    if not items:
        return {}
    now, who, source = context.now, context.who, context.source
    closed, on_time = context.closed, context.on_time
    ids = sorted({item.enterprise.pk for item in items})
    dates = {item.values["date"] for item in items}
    existing = {(r.enterprise_id, r.date): r for r in _reports_of(ids, dates)}
    weekly = [i for i in ids if i in duties and duties[i].cadence == "weekly"]
    window: dict[int, dict[date, Report]] = {i: {} for i in weekly}
    if weekly:
        for r in among(
            Report.objects.filter(
                date__gte=min(dates) - rollups.BACK, date__lte=max(dates) + rollups.BACK
            ),
            "enterprise",
            weekly,
        ):
            window[r.enterprise_id][r.date] = existing.get((r.enterprise_id, r.date), r)

    # First pass: decide each row, change nothing yet. A daily reporter's report counts on
    # its own date only, so its old contribution is taken off here and the new one added in
    # the second pass; a weekly reporter's dates are recomputed from its window.
    plan: list[tuple[Item, Outcome, Report | None, dict[str, Any], dict, dict[str, Any]]] = []
    touched: dict[int, set[date]] = {}
    deltas: rollups.Deltas = {}
    for item, outcome, key in _admitted(items, outcomes, closed):
        e, given = item.enterprise, item.values
        day = given["date"]
        values = {f: given[f] for f in STORED}
        report = existing.get(key)
        before = _values_of(report) if report else {}
        diff = validation.changes(before, values) if report else {}
        outcome.report = report
        outcome.report_id = report.pk if report is not None else None
        if report is not None and not diff:
            continue  # the same answer again: nothing to write
        plan.append((item, outcome, report, values, diff, before))
        duty = duties.get(e.pk)
        if duty is not None and duty.cadence:
            if duty.cadence == "daily":
                if report is not None:
                    _add(deltas, _daily_key(duty, day), rollups.vector(report, duty.weight), -1)
            else:
                touched.setdefault(e.pk, set()).update(rollups.reach(duty.cadence, day))

    for eid, days in touched.items():
        rollups.add_into(deltas, _contrib(duties[eid], days, window, existing), -1)

    # Second pass: write.
    new_reports: list[Report] = []
    changed_reports: list[Report] = []
    build = _builder(Report, saved=False)
    who_id = who.pk if who is not None else None
    versions: list[tuple[Report, tuple]] = []  # (report, _VERSION_FIELDS but the report's id)
    for item, outcome, report, values, diff, before in plan:
        e, day = item.enterprise, item.values["date"]
        if report is None:
            # Report(submitted_by=who, …), built cheaply (see _builder).
            report = build(
                {
                    "id": None,
                    "enterprise_id": e.pk,
                    "county": e.region_id,
                    "date": day,
                    "on_time": on_time[day],
                    "version": 1,
                    "submitted_at": now,
                    "updated_at": now,
                    "submitted_by_id": who_id,
                    "source": source,
                    **values,
                }
            )
            report._state.fields_cache["submitted_by"] = who
            new_reports.append(report)
            existing[(e.pk, day)] = report
            if e.pk in window:
                window[e.pk][day] = report
            outcome.created = True
        else:
            if report.version == 1:  # its first correction: the first version is kept now
                versions.append((report, _first_version(report, before)))
            for name, value in values.items():
                setattr(report, name, value)
            report.version += 1
            report.updated_at = now
            changed_reports.append(report)
            versions.append((report, (report.version, who_id, now, source, values, diff)))
        outcome.report = report
        outcome.changed = True
        duty = duties.get(e.pk)
        if duty is not None and duty.cadence == "daily":
            _add(deltas, _daily_key(duty, day), rollups.vector(report, duty.weight), 1)
    if new_reports:
        _insert_reports(new_reports)
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
    for _, outcome, *_ in plan:
        outcome.report_id = outcome.report.pk if outcome.report is not None else None
    _insert_versions([(r.pk, *version) for r, version in versions])
    for eid, days in touched.items():
        rollups.add_into(deltas, _contrib(duties[eid], days, window, existing))
    return deltas


_REPORT_READER = Reader(Report, [f.name for f in Report._meta.concrete_fields])


def _reports_of(ids: Sequence[int], dates: set[date]) -> list[Report]:
    """The reports of these enterprises on these dates, as model instances; the query as text,
    not compiled for every report."""
    in_ids, id_params = _in(ids, "bigint")
    in_dates, date_params = _in(sorted(dates), "date")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_REPORT_READER.select()} FROM {Report._meta.db_table} "  # noqa: S608
            f"WHERE enterprise_id {in_ids} AND date {in_dates}",
            [*id_params, *date_params],
        )
        return [_REPORT_READER.build(row) for row in cursor.fetchall()]


# The staging table of a set-based write: one row per report to write, new or corrected, with a
# corrected report's old measures beside the new ones (its old contribution comes off the rollups)
# and its enterprise's duty's key and weight (read with the duty's lock: no join to find them).
# The key's text is in byte order ("C"), the order the rollups' rows are locked in
# (rollups._staged_sql): the delta rows are grouped and sorted without the language's rules.
STAGING = "staging_dispatch_reports"
_MEASURED = ("status", "staff_on_site", "capacity_pct", "fever", "suspected", "confirmed")
_OLD = tuple(f"old_{m}" for m in _MEASURED)
_STAGING_DDL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} (id bigint, enterprise_id bigint, "
    "county text, date date, version integer, on_time boolean, status text, "
    "staff_on_site bigint, capacity_pct bigint, temperature_checks boolean, "
    "disinfection boolean, mask_days bigint, fever bigint, suspected bigint, confirmed bigint, "
    "difficulties jsonb, over_headcount_reason text, note text, changes jsonb, "
    "old_status text, old_staff_on_site bigint, old_capacity_pct bigint, old_fever bigint, "
    'old_suspected bigint, old_confirmed bigint, duty_county text COLLATE "C", '
    'cadence text COLLATE "C", division text COLLATE "C", size text COLLATE "C", '
    'tagset text COLLATE "C", park_id bigint, weight bigint) ON COMMIT DROP'
)
_DUTY_KEY = ("county", "cadence", "division", "size", "tagset", "park_id", "weight")
_PLAIN = tuple(f for f in STORED if f != "difficulties")  # STORED but the one sent as JSON text
_PLAIN_OF = operator.itemgetter(*_PLAIN)
_STAGED = (
    *("id", "enterprise_id", "county", "date", "version", "on_time", *_PLAIN, "difficulties"),
    *("changes", *_OLD, "duty_county", *_DUTY_KEY[1:]),
)
_EXISTING = ("id", "enterprise_id", "date", "version", "on_time", *STORED)


def _write_set(
    items: Sequence[Item],
    outcomes: Sequence[Outcome],
    duty_rows: dict[int, tuple],
    context: _Context,
) -> tuple[str, list] | None:
    """_write_rows' decisions and writes for daily reporters (and those with no duty) on
    PostgreSQL: each row is decided from tuples, and what is to be written goes by COPY into a
    staging table, from which one statement each inserts the new reports, updates the corrected
    ones and writes their versions (the first one's too at a first correction). Returns the
    query of their rollup deltas (SQL and parameters) for rollups.apply_staged, or None when
    nothing was written. `duty_rows`: the enterprises' locked duties (DUTY_FIELDS).
    """
    if not items:
        return None
    no_duty = (None,) * len(_DUTY_KEY)
    dims = {eid: _DUTY_DIMS(row) for eid, row in duty_rows.items()}
    closed, on_time = context.closed, context.on_time
    ids = sorted({item.enterprise.pk for item in items})
    dates = {item.values["date"] for item in items}
    existing = {
        (row[1], row[2]): row
        for row in among(Report.objects.filter(date__in=dates), "enterprise", ids).values_list(
            *_EXISTING
        )
    }
    dumps = json.dumps
    rows: list[list[Any]] = []  # _STAGED, the new ones' ids still to come
    new: list[tuple[Outcome, list[Any]]] = []
    none = (None,) * len(_OLD)
    plain = _PLAIN_OF
    for item, outcome, key in _admitted(items, outcomes, closed):
        e, given = item.enterprise, item.values
        day = given["date"]
        old = existing.get(key)
        if old is None:
            row = [None, e.pk, e.region_id, day, 1, on_time[day], *plain(given)]
            row += (
                _difficulties_json(given["difficulties"]),
                "{}",
                *none,
                *dims.get(e.pk, no_duty),
            )
            new.append((outcome, row))
            outcome.created = True
        else:
            before = dict(zip(STORED, old[5:], strict=True))
            diff = validation.changes(before, {f: given[f] for f in STORED})
            outcome.report_id = old[0]
            if not diff:
                continue  # the same answer again: nothing to write
            row = [old[0], e.pk, e.region_id, day, old[3] + 1, old[4], *plain(given)]
            row += (_difficulties_json(given["difficulties"]), dumps(diff))
            row += (*(before[m] for m in _MEASURED), *dims.get(e.pk, no_duty))
        rows.append(row)
        outcome.changed = True
    if not rows:
        return None
    table = Report._meta.db_table
    with connection.cursor() as cursor:
        if new:
            pks = _new_ids(cursor, table, len(new))
            for (outcome, row), pk in zip(new, pks, strict=True):
                row[0] = outcome.report_id = pk
        cursor.execute(_STAGING_DDL)
        cursor.execute(f"TRUNCATE {STAGING}")
        with cursor.cursor.copy(f"COPY {STAGING} ({', '.join(_STAGED)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        stored = ", ".join(STORED)
        who_id = context.who.pk if context.who is not None else None
        now = context.now
        cursor.execute(
            f"INSERT INTO {table} (id, enterprise_id, county, date, {stored}, on_time, "  # noqa: S608
            f"version, submitted_at, updated_at, submitted_by_id, source) SELECT id, "
            f"enterprise_id, county, date, {stored}, on_time, 1, %s, %s, %s, %s FROM {STAGING} "
            "WHERE version = 1 ORDER BY id",
            [now, now, who_id, context.source],
        )
        if len(new) < len(rows):
            # Versions are kept from a report's first correction on (see Report): the first
            # version's row from the report as it stands, before it changes, then the new one's.
            versions = ReportVersion._meta.db_table
            built = ", ".join(f"'{f}', {{0}}.{f}" for f in STORED)
            cursor.execute(
                f"INSERT INTO {versions} ({', '.join(_VERSION_COLUMNS)}) SELECT r.id, 1, "  # noqa: S608
                f"r.submitted_by_id, r.submitted_at, r.source, "
                f"jsonb_build_object({built.format('r')}), '{{}}'::jsonb FROM {table} r "
                f"JOIN {STAGING} s ON s.id = r.id WHERE s.version = 2 ORDER BY r.id"
            )
            cursor.execute(
                f"UPDATE {table} r SET {', '.join(f'{f} = s.{f}' for f in STORED)}, "  # noqa: S608
                f"version = s.version, updated_at = %s FROM {STAGING} s "
                "WHERE s.version > 1 AND r.id = s.id",
                [now],
            )
            cursor.execute(
                f"INSERT INTO {versions} ({', '.join(_VERSION_COLUMNS)}) SELECT id, version, "  # noqa: S608
                f"%s, %s, %s, jsonb_build_object({built.format(STAGING)}), changes "
                f"FROM {STAGING} WHERE version > 1 ORDER BY id",
                [who_id, now, context.source],
            )
    # Each report's contribution where its enterprise counts daily, and a corrected report's
    # old one taken off (on_time stays as first submitted): rollups.vector in SQL, read by
    # rollups.apply_staged from the staging table before it is dropped.
    sign = "v.sign"
    duty = f"duty_county, {', '.join(_DUTY_KEY[1:])}"
    return (
        "SELECT v.duty_county, v.date, v.cadence, v.division, v.size, "  # noqa: S608
        f"v.tagset, v.park_id, {sign}, CASE WHEN v.on_time THEN {sign} ELSE 0 END, "
        f"CASE WHEN v.status <> 'not_resumed' THEN {sign} ELSE 0 END, "
        f"CASE WHEN v.status = 'full' THEN {sign} ELSE 0 END, {sign} * v.staff_on_site, "
        f"{sign} * v.capacity_pct * v.weight, {sign} * v.weight, {sign} * v.fever, "
        f"{sign} * v.suspected, {sign} * v.confirmed FROM ("
        f"SELECT {duty}, date, 1 AS sign, on_time, {', '.join(_MEASURED)} "
        f"FROM {STAGING} UNION ALL SELECT {duty}, date, -1, on_time, "
        f"{', '.join(_OLD)} FROM {STAGING} WHERE version > 1) v "
        "WHERE v.cadence = %s",
        [Cadence.DAILY.value],
    )


_DIFFICULTIES_JSON: dict[tuple[str, ...], str] = {}


def _difficulties_json(codes: list[str]) -> str:
    """A report's difficulties as JSON text. The lists are few (chosen from 15 codes, in their
    order): each is written once and remembered, not encoded again for each of a batch's rows."""
    key = tuple(codes)
    text = _DIFFICULTIES_JSON.get(key)
    if text is None:
        text = _DIFFICULTIES_JSON[key] = json.dumps(codes)
    return text


DUTY_FIELDS = tuple(f.attname for f in Duty._meta.concrete_fields)
_DUTY_READER = Reader(Duty, [f.name for f in Duty._meta.concrete_fields])
_DUTY_COLUMNS = ", ".join(_DUTY_READER.columns)
_CADENCE = DUTY_FIELDS.index("cadence")
_DUTY_DIMS = operator.itemgetter(*(DUTY_FIELDS.index(name) for name in _DUTY_KEY))


def _admitted(
    items: Sequence[Item], outcomes: Sequence[Outcome], closed: set[tuple[str, date]]
) -> Iterable[tuple[Item, Outcome, tuple[int, date]]]:
    """The rows a write goes on with, keyed (enterprise id, date): a row for a locked period, or
    a second row for the same enterprise and date, gets its reason and is left out."""
    keys = [(item.enterprise.pk, item.values["date"]) for item in items]
    if not closed and len(set(keys)) == len(keys):  # the usual case: every row goes on
        return zip(items, outcomes, keys, strict=True)
    admitted = []
    seen: set[tuple[int, date]] = set()
    for item, outcome, key in zip(items, outcomes, keys, strict=True):
        if closed and (item.enterprise.region_id, key[1]) in closed:
            outcome.errors = {"date": LOCKED}
            continue
        if key in seen:
            outcome.errors = {"date": TWICE}
            continue
        seen.add(key)
        admitted.append((item, outcome, key))
    return admitted


def _locked_duty_rows(ids: list[int]) -> dict[int, tuple]:
    """The enterprises' duties as tuples (DUTY_FIELDS), locked (FOR UPDATE, in id order) until
    the transaction ends."""
    if not ids:
        return {}
    where, params = _in(ids, "bigint")
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:  # as text: the ORM compiles it anew for every report
        cursor.execute(
            f"SELECT {_DUTY_COLUMNS} FROM {Duty._meta.db_table} "  # noqa: S608
            f"WHERE enterprise_id {where} ORDER BY enterprise_id{lock}",
            params,
        )
        rows = _DUTY_READER.rows(cursor.fetchall())
    return {row[0]: row for row in rows}


def _duty_fields(row: tuple) -> dict[str, Any]:
    return dict(zip(DUTY_FIELDS, row, strict=True))


def _daily_key(duty: Duty, day: date) -> tuple:
    """The rollup row a daily reporter's report on `day` counts in (rollups.contributions)."""
    return (duty.county, day, *rollups.duty_dims(duty))


def _add(deltas: rollups.Deltas, key: tuple, values: list[int], sign: int) -> None:
    row = deltas.get(key)
    if row is None:
        deltas[key] = values if sign == 1 else [-v for v in values]
    else:
        for i, v in enumerate(values):
            row[i] += sign * v


def _builder(model, *, saved: bool) -> Callable[[dict[str, Any]], Any]:
    """A maker of `model(**fields)` without Model.__init__'s cost (10 µs a row, a tenth of a
    batch's time): every concrete field is given by attname, so there are no defaults to apply.
    With an init signal receiver connected, the ordinary constructor runs instead. `saved`:
    the instance stands for a stored row, as if read from the database."""
    db = model.objects.db
    plain = not (pre_init.has_listeners(model) or post_init.has_listeners(model))
    new = model.__new__

    def build(fields: dict[str, Any]):
        if plain:
            obj = new(model)
            obj.__dict__.update(fields)
            obj._state = ModelState()
        else:
            obj = model(**fields)
        if saved:
            obj._state.adding = False
            obj._state.db = db
        return obj

    return build


REPORT_FIELDS = tuple(f.attname for f in Report._meta.concrete_fields if not f.primary_key)
_REPORT_WRITER = Writer(Report, REPORT_FIELDS)
_VERSION_FIELDS = ("report", "version", "actor", "at", "source", "values", "changes")
_VERSION_COLUMNS = tuple(
    {f.name: f.column for f in ReportVersion._meta.concrete_fields}[name]
    for name in _VERSION_FIELDS
)
_VERSION_WRITER = Writer(ReportVersion, list(_VERSION_FIELDS))
# Below this many rows a multi-row INSERT is as quick as COPY's extra round trip.
COPY_FROM = 100


def _new_ids(cursor, table: str, n: int) -> list[int]:
    """`n` ids from the table's sequence (PostgreSQL): one array, not a row per id (10,000 rows
    cost 20 ms to fetch), and the sequence looked up once (a subquery), not for every id (40 ms
    in 10,000)."""
    cursor.execute(
        "SELECT array_agg(nextval((SELECT pg_get_serial_sequence(%s, 'id'))::regclass)) "
        "FROM generate_series(1, %s)",
        [table, n],
    )
    return cursor.fetchone()[0]


def _insert_reports(reports: list[Report]) -> None:
    """INSERT the new reports and give them their ids: COPY on PostgreSQL for a batch (ids taken
    from the table's sequence first), multi-row INSERTs otherwise."""
    if connection.vendor != "postgresql" or len(reports) < COPY_FROM:
        db = Report.objects.db
        ids = _REPORT_WRITER.insert(
            [[getattr(r, a) for a in REPORT_FIELDS] for r in reports], returning=True
        )
        for r, pk in zip(reports, ids, strict=True):
            r.id = pk
            r._state.adding = False
            r._state.db = db
        return
    table = Report._meta.db_table
    with connection.cursor() as cursor:
        ids = _new_ids(cursor, table, len(reports))
        dumps = json.dumps
        with cursor.cursor.copy(
            f"COPY {table} (id, enterprise_id, county, date, status, staff_on_site, "
            "capacity_pct, temperature_checks, disinfection, mask_days, fever, suspected, "
            "confirmed, difficulties, over_headcount_reason, note, on_time, version, "
            "submitted_at, updated_at, submitted_by_id, source) FROM STDIN"
        ) as copy:
            for r, pk in zip(reports, ids, strict=True):
                copy.write_row(
                    (
                        pk,
                        r.enterprise_id,
                        r.county,
                        r.date,
                        str(r.status),
                        r.staff_on_site,
                        r.capacity_pct,
                        r.temperature_checks,
                        r.disinfection,
                        r.mask_days,
                        r.fever,
                        r.suspected,
                        r.confirmed,
                        dumps(r.difficulties),
                        r.over_headcount_reason,
                        r.note,
                        r.on_time,
                        r.version,
                        r.submitted_at,
                        r.updated_at,
                        r.submitted_by_id,
                        r.source,
                    )
                )
    db = Report.objects.db
    for r, pk in zip(reports, ids, strict=True):
        r.id = pk
        r._state.adding = False
        r._state.db = db


def _first_version(report: Report, values: dict[str, Any]) -> tuple:
    """A report's first version as ReportVersion stores it (_VERSION_FIELDS but the report's
    id), from the report as it stood before its first correction (`values`: its STORED)."""
    return (1, report.submitted_by_id, report.submitted_at, report.source, values, {})


def versions(report: Report) -> list[ReportVersion]:
    """Every version of `report`, oldest first. A report never corrected has none stored: its
    first version is the report itself (see Report), given here as an unsaved ReportVersion."""
    if report.version > 1:
        return list(ReportVersion.objects.filter(report=report).select_related("actor"))
    fields = _first_version(report, jsonable(_values_of(report)))
    first = ReportVersion(report=report, **dict(zip(_VERSION_COLUMNS[1:], fields, strict=True)))
    if report.submitted_by_id is not None:
        first.actor = report.submitted_by
    return [first]


def _insert_versions(rows: list[tuple]) -> None:
    """INSERT versions given as _VERSION_FIELDS tuples (values and changes as dicts): COPY on
    PostgreSQL for a batch, multi-row INSERTs otherwise."""
    if not rows:
        return
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        _VERSION_WRITER.insert([(*r[:5], jsonable(r[5]), r[6]) for r in rows])
        return
    dumps = json.dumps
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {ReportVersion._meta.db_table} ({', '.join(_VERSION_COLUMNS)}) FROM STDIN"
        ) as copy:
            for r in rows:
                copy.write_row((*r[:5], dumps(jsonable(r[5])), dumps(r[6])))


LOCKED = "该日期已被锁定，不能再修改 (this date is locked by an official)"
TWICE = "同一批中重复的企业和日期 (the same enterprise and date twice in one batch)"


def _contrib(duty: Duty, days: set[date], window, existing) -> rollups.Deltas:
    """An enterprise's contributions on `days`, from its reports as they stand in memory."""
    if duty.cadence == "weekly":
        reports = list(window[duty.pk].values())
    else:
        reports = [existing[(duty.pk, d)] for d in days if (duty.pk, d) in existing]
    return rollups.contributions(duty, reports, days)


def submit(
    *, actor, enterprise: Enterprise | Reportable, raw: dict[str, Any], source: str, request=None
):
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


def can_unlock(actor, lock: PeriodLock) -> bool:
    """Whether the actor may lift this lock: an official of its region (or above) may, unless
    it was set from above them (a city's lock of a county is not the county's to lift, so the
    figures a city has reported upward stay as they were); administrators always may."""
    if not can_manage(actor, lock.region):
        return False
    if scope.is_admin(actor) or lock.locked_by is None:
        return True
    if scope.is_admin(lock.locked_by):
        return False
    theirs, mine = scope.region_prefix(lock.locked_by), scope.region_prefix(actor)
    return theirs is None or mine is None or theirs.startswith(mine)


@transaction.atomic
def unlock_period(*, actor, region: Region, day: date, request=None) -> int:
    _region_in_scope(actor, region)
    lock = (
        PeriodLock.objects.select_for_update(of=("self",))  # not the outer-joined locker
        .select_related("region", "locked_by")
        .filter(region=region, date=day)
        .first()
    )
    if lock is not None and not can_unlock(actor, lock):
        raise LockedAbove(lock)
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
    """Record reminders to non-reporters (one per enterprise and date); the worker delivers them
    at its next run (notify.reminders)."""
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
