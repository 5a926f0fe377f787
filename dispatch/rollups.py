"""The rollup tables: what each report contributes, kept by delta in the writing transaction, and
rebuilt from raw reports on demand.

A daily reporter's report counts on its own date. A weekly reporter's report counts on each day
from its date until the next report or for seven days, whichever is first ("as of D": its latest
report of the last 7 days). Writing or correcting a report changes the contributions of one
enterprise on at most 7 dates; the difference is added to the rows, so the totals never drift.
"""

import functools
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction

from .models import MEASURES, REGISTER_MEASURES, Cadence, CountyDay, Duty, Report, Rollup

WINDOW = 7  # days a weekly report counts for
BACK = timedelta(days=WINDOW - 1)  # how far a window reaches either side of a date
Key = tuple[
    str, date, str, str, str, str, int
]  # county, date, cadence, division, size, tagset, park
RegisterKey = tuple[str, str, str, str, str, int]  # county, cadence, division, size, tagset, park
Deltas = dict[Any, list[int]]


def duty_dims(duty: Duty) -> tuple[str, str, str, str, int]:
    return (duty.cadence, duty.division, duty.size, duty.tagset, duty.park_id)


VECTOR_FIELDS = (
    "enterprise_id",
    "date",
    "status",
    "on_time",
    "staff_on_site",
    "capacity_pct",
    "fever",
    "suspected",
    "confirmed",
)


def vector(report: Any, weight: int) -> list[int]:
    """One report's measures, in MEASURES order (report: a Report or anything with its fields)."""
    resumed = report.status != "not_resumed"
    return [
        1,
        1 if report.on_time else 0,
        1 if resumed else 0,
        1 if report.status == "full" else 0,
        report.staff_on_site,
        report.capacity_pct * weight,
        weight,
        report.fever,
        report.suspected,
        report.confirmed,
    ]


def counted(cadence: str, reports: Iterable[Any]) -> dict[date, Any]:
    """Which report an enterprise counts with on each date its reports reach."""
    by_date = sorted(reports, key=lambda r: r.date)
    if cadence == Cadence.DAILY:
        return {r.date: r for r in by_date}
    out: dict[date, Any] = {}
    for i, r in enumerate(by_date):
        end = r.date + timedelta(days=WINDOW)
        if i + 1 < len(by_date):
            end = min(end, by_date[i + 1].date)
        day = r.date
        while day < end:
            out[day] = r
            day += timedelta(days=1)
    return out


def contributions(duty: Duty, reports: Iterable[Any], dates: set[date] | None = None) -> Deltas:
    """The rollup rows one enterprise's reports add to (restricted to `dates` when given)."""
    out: Deltas = {}
    if not duty.cadence:
        return out
    dims = duty_dims(duty)
    for day, report in counted(duty.cadence, reports).items():
        if dates is None or day in dates:
            out[(duty.county, day, *dims)] = vector(report, duty.weight)
    return out


def reach(cadence: str, day: date) -> set[date]:
    """The dates a report on `day` can change."""
    if cadence == Cadence.WEEKLY:
        return {day + timedelta(days=i) for i in range(WINDOW)}
    return {day}


def add_into(total: Deltas, part: Mapping[Any, list[int]], sign: int = 1) -> None:
    for key, values in part.items():
        row = total.get(key)
        if row is None:
            total[key] = [sign * v for v in values]
        else:
            for i, v in enumerate(values):
                row[i] += sign * v


_TEXT_KEYS = ("county", "cadence", "division", "size", "tagset")  # ordered as Python orders str

# From this many rows on (PostgreSQL, inside a transaction), the rows go in by COPY into a
# temporary table and one INSERT … SELECT: a batch's 10,000 upserts cost one statement.
COPY_FROM = 200


@functools.cache
def upsert_sql(table: str, keys: tuple[str, ...], measures: tuple[str, ...]) -> tuple[str, str]:
    """The quoted column list and the ON CONFLICT clause of an upsert into `table` (built once:
    every report's write needs them)."""
    q = connection.ops.quote_name
    quoted = ", ".join(q(c) for c in (*keys, *measures))
    updates = ", ".join(f"{q(m)} = {table}.{q(m)} + excluded.{q(m)}" for m in measures)
    return quoted, f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {updates}"


def _upsert(table: str, keys: tuple[str, ...], measures: tuple[str, ...], rows: Deltas) -> None:
    if not rows:
        return
    columns = (*keys, *measures)
    quoted, conflict = upsert_sql(table, keys, measures)
    # Sorted, so concurrent writers take row locks in the same order and never deadlock.
    params = [(*k, *v) for k, v in sorted(rows.items()) if any(v)]
    if not params:
        return
    if (
        len(params) >= COPY_FROM
        and connection.vendor == "postgresql"
        and connection.in_atomic_block
    ):
        _upsert_copy(table, keys, columns, conflict, params)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders}) {conflict}"  # noqa: S608
    with connection.cursor() as cursor:
        if len(params) == 1:  # one report's row: executemany's set-up costs more than the row
            cursor.execute(sql, params[0])
        else:
            cursor.executemany(sql, params)


def _upsert_copy(
    table: str, keys: tuple[str, ...], columns: tuple[str, ...], conflict: str, params: list
) -> None:
    """The same upsert for many rows: COPY into a temporary table dropped at commit, then one
    INSERT … SELECT in the same key order as the sorted rows (byte order, as Python sorts)."""
    q = connection.ops.quote_name
    quoted = ", ".join(q(c) for c in columns)
    staging = q(f"staging_{table}")
    order = ", ".join(f'{q(k)} COLLATE "C"' if k in _TEXT_KEYS else q(k) for k in keys)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {quoted} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.cursor.copy(f"COPY {staging} ({quoted}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {staging} "  # noqa: S608
            f"ORDER BY {order} {conflict}"
        )


ROLLUP_KEYS = ("county", "date", "cadence", "division", "size", "tagset", "park_id")
REGISTER_KEYS = ("county", "cadence", "division", "size", "tagset", "park_id")


def apply(deltas: Deltas) -> None:
    """Add report deltas to Rollup and CountyDay (inside the caller's transaction)."""
    county_day: Deltas = {}
    for key, values in deltas.items():
        day = (key[0], key[1], key[2])
        row = county_day.get(day)
        if row is None:
            county_day[day] = list(values)
        else:
            for i, v in enumerate(values):
                row[i] += v
    _upsert(Rollup._meta.db_table, ROLLUP_KEYS, MEASURES, deltas)
    _upsert(CountyDay._meta.db_table, ("county", "date", "cadence"), MEASURES, county_day)


# Rollup deltas computed in Python beside a set-based write, added up by apply_staged.
DELTAS = "staging_rollup_deltas"


def apply_staged(extra: Deltas, staged: tuple[str, list] | None = None) -> None:
    """apply() for the delta rows of the query `staged` (SQL and parameters; ROLLUP_KEYS then
    MEASURES, a row per report or more) plus `extra` (PostgreSQL, inside a transaction). One
    statement adds their sums by key to Rollup, then by county and date to CountyDay, each in
    the same key order as apply() takes its row locks."""
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in (*ROLLUP_KEYS, *MEASURES))
    parts, params = ([staged[0]], list(staged[1])) if staged else ([], [])
    with connection.cursor() as cursor:
        if extra:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {DELTAS} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {Rollup._meta.db_table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {DELTAS}")
            with cursor.cursor.copy(f"COPY {DELTAS} ({columns}) FROM STDIN") as copy:
                for key, values in extra.items():
                    copy.write_row((*key, *values))
            parts.append(f"SELECT {columns} FROM {DELTAS}")  # noqa: S608
        if not parts:
            return
        cursor.execute(_staged_sql(" UNION ALL ".join(parts)), params)


@functools.cache
def _staged_sql(source: str) -> str:
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in (*ROLLUP_KEYS, *MEASURES))
    measures = ", ".join(q(m) for m in MEASURES)

    def sums(table: str) -> tuple[str, str]:
        added = ", ".join(f"SUM({table}.{q(m)}) AS {q(m)}" for m in MEASURES)
        return added, " OR ".join(f"SUM({table}.{q(m)}) <> 0" for m in MEASURES)

    def order(keys: tuple[str, ...]) -> str:
        return ", ".join(f'{q(k)} COLLATE "C"' if k in _TEXT_KEYS else q(k) for k in keys)

    day_keys = ROLLUP_KEYS[:3]
    by_key, by_key_nonzero = sums("x")
    by_day, by_day_nonzero = sums("d")
    rollup_columns, rollup_conflict = upsert_sql(Rollup._meta.db_table, ROLLUP_KEYS, MEASURES)
    day_columns, day_conflict = upsert_sql(CountyDay._meta.db_table, day_keys, MEASURES)
    names = ", ".join(q(k) for k in ROLLUP_KEYS)
    day_names = ", ".join(q(k) for k in day_keys)
    # CountyDay's rows are written after Rollup's, as apply() writes them: its insert waits for
    # the count of Rollup's rows written.
    return (
        f"WITH d AS MATERIALIZED (SELECT {names}, {by_key} FROM ({source}) "  # noqa: S608
        f"AS x({columns}) GROUP BY {names} HAVING {by_key_nonzero}), "
        f"u AS (INSERT INTO {Rollup._meta.db_table} ({rollup_columns}) SELECT {names}, "
        f"{measures} FROM d ORDER BY {order(ROLLUP_KEYS)} {rollup_conflict} RETURNING 1) "
        f"INSERT INTO {CountyDay._meta.db_table} ({day_columns}) SELECT {day_names}, {by_day} "
        f"FROM d WHERE (SELECT count(*) FROM u) >= 0 GROUP BY {day_names} "
        f"HAVING {by_day_nonzero} ORDER BY {order(day_keys)} {day_conflict}"
    )


def register_vector(duty: Duty) -> list[int]:
    return [1, duty.headcount, duty.weight]


def apply_register(deltas: Deltas) -> None:
    """Add register deltas (expected enterprises) to RegisterRollup and CountyRegister."""
    from .models import CountyRegister, RegisterRollup

    county: Deltas = {}
    for key, values in deltas.items():
        add_into(county, {(key[0], key[1]): values})
    _upsert(RegisterRollup._meta.db_table, REGISTER_KEYS, REGISTER_MEASURES, deltas)
    _upsert(CountyRegister._meta.db_table, ("county", "cadence"), REGISTER_MEASURES, county)


# --- rebuilding from raw reports ---------------------------------------------------------------


def _sum_case(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


ON_TIME = _sum_case("r.on_time")
RESUMED = _sum_case("r.status <> 'not_resumed'")
FULL = _sum_case("r.status = 'full'")


@transaction.atomic
def rebuild() -> dict[str, int]:
    """Recompute every rollup table from the register copy (Duty) and the raw reports."""
    from .models import CountyRegister, RegisterRollup

    for model in (Rollup, CountyDay, RegisterRollup, CountyRegister):
        model.objects.all().delete()
    q = connection.ops.quote_name
    rollup, countyday = Rollup._meta.db_table, CountyDay._meta.db_table
    report, duty = Report._meta.db_table, Duty._meta.db_table
    with connection.cursor() as cursor:
        # Daily reporters: a report counts on its own date, so this is one GROUP BY.
        cursor.execute(
            f"INSERT INTO {rollup} ({', '.join(q(c) for c in (*ROLLUP_KEYS, *MEASURES))}) "  # noqa: S608
            f"SELECT d.county, r.date, d.cadence, d.division, d.size, d.tagset, d.park_id, "
            f"COUNT(*), {ON_TIME}, {RESUMED}, "
            f"{FULL}, SUM(r.staff_on_site), "
            f"SUM(r.capacity_pct * d.weight), SUM(d.weight), SUM(r.fever), SUM(r.suspected), "
            f"SUM(r.confirmed) FROM {report} r JOIN {duty} d ON d.enterprise_id = r.enterprise_id "
            f"WHERE d.cadence = %s "
            f"GROUP BY d.county, r.date, d.cadence, d.division, d.size, d.tagset, d.park_id",
            [Cadence.DAILY.value],
        )
    # Weekly reporters: walk each one's reports in date order.
    weekly: Deltas = {}
    duties = {d.pk: d for d in Duty.objects.filter(cadence=Cadence.WEEKLY)}
    current: int | None = None
    batch: list[Any] = []
    fields = VECTOR_FIELDS
    rows = (
        Report.objects.filter(enterprise__duty__cadence=Cadence.WEEKLY)
        .order_by("enterprise_id", "date")
        .only(*fields)
    )
    for r in rows.iterator(chunk_size=5000):
        if r.enterprise_id != current:
            if batch and current is not None:
                add_into(weekly, contributions(duties[current], batch))
            current, batch = r.enterprise_id, []
        batch.append(r)
    if batch and current is not None:
        add_into(weekly, contributions(duties[current], batch))
    _upsert(rollup, ROLLUP_KEYS, MEASURES, weekly)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {countyday} ({', '.join(q(c) for c in ('county', 'date', 'cadence', *MEASURES))}) "  # noqa: S608
            f"SELECT county, date, cadence, {', '.join(f'SUM({q(m)})' for m in MEASURES)} "
            f"FROM {rollup} GROUP BY county, date, cadence"
        )
        regroll, countyreg = RegisterRollup._meta.db_table, CountyRegister._meta.db_table
        cursor.execute(
            f"INSERT INTO {regroll} ({', '.join(q(c) for c in (*REGISTER_KEYS, *REGISTER_MEASURES))}) "  # noqa: S608
            f"SELECT county, cadence, division, size, tagset, park_id, COUNT(*), SUM(headcount), "
            f"SUM(weight) FROM {duty} WHERE cadence <> '' "
            f"GROUP BY county, cadence, division, size, tagset, park_id"
        )
        cursor.execute(
            f"INSERT INTO {countyreg} ({', '.join(q(c) for c in ('county', 'cadence', *REGISTER_MEASURES))}) "  # noqa: S608
            f"SELECT county, cadence, SUM(enterprises), SUM(headcount), SUM(weight) "
            f"FROM {regroll} GROUP BY county, cadence"
        )
    return {
        "rollup_rows": Rollup.objects.count(),
        "county_days": CountyDay.objects.count(),
        "register_rows": RegisterRollup.objects.count(),
    }


def snapshot() -> dict[str, dict]:
    """Every non-zero row of every rollup table, for comparing incremental with rebuilt."""
    from .models import CountyRegister, RegisterRollup

    out: dict[str, dict] = {}
    for model, keys, measures in (
        (Rollup, ROLLUP_KEYS, MEASURES),
        (CountyDay, ("county", "date", "cadence"), MEASURES),
        (RegisterRollup, REGISTER_KEYS, REGISTER_MEASURES),
        (CountyRegister, ("county", "cadence"), REGISTER_MEASURES),
    ):
        rows = {}
        for row in model.objects.values_list(*keys, *measures):
            values = row[len(keys) :]
            if any(values):
                rows[row[: len(keys)]] = values
        out[model.__name__] = rows
    return out


def check() -> dict[str, int]:
    """Rebuild inside a transaction that is rolled back, and count the rows that differ."""
    kept = snapshot()
    with transaction.atomic():
        rebuild()
        rebuilt = snapshot()
        transaction.set_rollback(True)
    out = {}
    for table, rows in kept.items():
        other = rebuilt[table]
        differing = sum(1 for k in rows.keys() | other.keys() if rows.get(k) != other.get(k))
        if differing:
            out[table] = differing
    return out
