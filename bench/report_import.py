"""Batch import of 100,000 reports on PostgreSQL, against COPY of the same rows in the same run.

    python -m bench report_import            # as part of `make bench`, or alone
    python -m bench.report_import worker batch|copy|table ROWS   # one measurement (used by the above)

`batch` sends the rows through dispatch.api.submit_rows, the path of POST /api/v1/reports/batch
and of the park managers' spreadsheet upload (the rule set, then actions.write: duties locked,
reports and their first versions written, rollups updated, one audit event), in calls of 10,000
rows, the most one batch request may carry, and says where its time went (statements by kind,
commits, the rest Python). `copy` writes the same rows, as they are stored, into a bare table of
the report's columns with COPY: the baseline. `table` copies them into dispatch_report itself:
the floor of keeping reports at all while its unique key, indexes and foreign-key checks (at
commit) are kept, before any rule or rollup. Each COPY is timed COPIES times (the table emptied
in between) and the median kept. Each kind runs in its own process on its own fresh database
holding ROWS above-scale daily reporters (set up with COPY, flushed by a CHECKPOINT; not timed).

FUGONG_BENCH_PROFILE=path writes a cProfile of the batch calls there.
"""

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from bench import common

DAY = date(2020, 2, 24)  # a Monday, a working day
CHUNK = 10_000  # dispatch.schemas.BatchIn's limit
COPIES = 3  # each COPY is timed this many times, the median kept


def bodies(reg: "common.Register") -> list[dict]:
    """One valid report per enterprise for DAY, typed as the batch API hands them on."""
    import random

    from dispatch.schemas import ReportIn

    rnd = random.Random(24)
    out = []
    for i in range(1, reg.n + 1):
        headcount = reg.headcount[i]
        x = rnd.random()
        if x < 0.2:
            status, staff, capacity = "not_resumed", 0, 0
        elif x < 0.7:
            status, staff, capacity = "partial", headcount * rnd.randint(10, 90) // 100, 50
        else:
            status, staff, capacity = "full", max(1, headcount * rnd.randint(70, 100) // 100), 95
        body = ReportIn(
            enterprise=reg.uscc(i),
            date=DAY.isoformat(),
            status=status,
            staff_on_site=staff,
            capacity_pct=capacity,
            temperature_checks=True,
            disinfection=status != "not_resumed",
            mask_days=rnd.randint(0, 30),
            fever=0,
            suspected=0,
            confirmed=0,
            difficulties=rnd.choice([[], [], ["labour"], ["raw_materials", "funds"]]),
            note="",
        )
        out.append(body.dict())
    return out


def worker(kind: str, n: int) -> dict:
    common.setup_django()
    common.migrate()
    from accounts.models import Role, User
    from dispatch.models import Report, ReportVersion

    reg = common.Register(n, common.counties(), common.classes())
    common.copy_register(reg)
    admin = User.objects.create(username="bench", role=Role.ADMIN)
    rows = bodies(reg)
    settled()
    result: dict = {"rows": n}
    if kind == "batch":
        from django.test import RequestFactory

        from dispatch.api import submit_rows

        request = RequestFactory().post("/api/v1/reports/batch")
        request.user = admin
        profile = os.getenv("FUGONG_BENCH_PROFILE")
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
        spent: dict[str, float] = {}
        timer = common.Timer()
        created = 0
        with _statements_timed(spent):
            for start in range(0, n, CHUNK):
                if profiler:
                    profiler.enable()
                answer = submit_rows(request, rows[start : start + CHUNK], source="batch")
                if profiler:
                    profiler.disable()
                created += answer["created"]
                if answer["rejected"]:
                    bad = next(r for r in answer["rows"] if r["outcome"] == "rejected")
                    raise SystemExit(f"rejected rows: {answer['rejected']}, e.g. {bad}")
        result["seconds"] = timer()
        result["spent"] = spent
        if profiler and profile:
            profiler.dump_stats(profile)
        # New reports are their own first versions: no version rows (see dispatch.models.Report).
        if created != n or Report.objects.count() != n or ReportVersion.objects.exists():
            raise SystemExit(f"created {created} of {n}")
    else:
        rows_out = stored(rows, reg, admin.pk)
        from django.db import connection

        table = "dispatch_report"  # kind "table": its keys, indexes and foreign keys
        if kind == "copy":
            table = "bench_bare_report"
            with connection.cursor() as c:
                c.execute(f"CREATE TABLE {table} (LIKE dispatch_report INCLUDING DEFAULTS)")
        cur = connection.connection.cursor()
        times = []
        for attempt in range(COPIES):  # short: the median of a few, emptied in between
            if attempt:
                cur.execute(f"TRUNCATE {table} CASCADE")
                connection.connection.commit()
            timer = common.Timer()
            with connection.connection.transaction():  # committed in the time: foreign keys
                with cur.copy(f"COPY {table} (id, {common.REPORT_COLUMNS}) FROM STDIN") as copy:
                    for row in rows_out:
                        copy.write_row(row)
            times.append(timer())
        result["seconds"] = sorted(times)[len(times) // 2]
        cur.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        (count,) = cur.fetchone() or (0,)
        if count != n:
            raise SystemExit(f"copied {count} of {n}")
    result["rows_per_s"] = n / result["seconds"]
    result["peak_mb"] = common.peak_mb()
    return result


def settled() -> None:
    """Flush the set-up's writes (CHECKPOINT, with VACUUM ANALYZE before it) so that each kind is
    timed on a server at rest; a role that may not checkpoint is timed without."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")
        try:
            c.execute("CHECKPOINT")
        except Exception as exc:
            common.progress(f"no CHECKPOINT before timing ({exc.__class__.__name__})")


# What the batch's statements are, by a piece of their text (the first that matches names it).
STATEMENTS = (
    ("rollups (Rollup, then CountyDay)", "WITH d AS MATERIALIZED"),
    ("reports inserted", "INSERT INTO dispatch_report "),
    ("enterprises looked up", '"registry_enterprise"'),
    ("duties locked", "FOR UPDATE"),
    ("existing reports looked up", 'FROM "dispatch_report"'),
)


@contextmanager
def _statements_timed(spent: dict[str, float]) -> Iterator[None]:
    """Time every statement of the block from the client, by kind (STATEMENTS, else "other
    statements"), and every commit ("commit: foreign-key checks"), into `spent` (seconds)."""
    import time

    import psycopg
    from django.db import connection

    def count(name: str, started: float) -> None:
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            count(next((n for n, text in STATEMENTS if text in sql), "other statements"), started)

    commit = psycopg.Connection.commit

    def timed_commit(self) -> None:
        started = time.perf_counter()
        try:
            commit(self)
        finally:
            count("commit (the foreign-key checks)", started)

    psycopg.Connection.commit = timed_commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(timed):
            yield
    finally:
        psycopg.Connection.commit = commit  # type: ignore[method-assign]


def stored(rows: list[dict], reg: "common.Register", actor: int) -> list[tuple]:
    """The rows as dispatch_report holds them (id, then common.REPORT_COLUMNS)."""
    from django.utils import timezone

    now = timezone.now()
    return [
        (
            i,
            i,
            reg.county[i],
            DAY,
            r["status"],
            r["staff_on_site"],
            r["capacity_pct"],
            r["temperature_checks"],
            r["disinfection"],
            r["mask_days"],
            r["fever"],
            r["suspected"],
            r["confirmed"],
            json.dumps(r["difficulties"]),
            r["over_headcount_reason"],
            r["note"],
            False,
            1,
            now,
            now,
            actor,
            "batch",
        )
        for i, r in enumerate(rows, start=1)
    ]


def main(rows: int = 100_000) -> None:
    print(f"\n== Report batch import: {rows:,} reports on PostgreSQL, calls of {CHUNK:,} rows")
    print(f"  {'what':<40}{'seconds':>9}{'rows/s':>11}{'peak MB':>9}{'vs COPY':>9}")
    results = {}
    for kind in ("copy", "table", "batch"):
        name = f"fugong_bench_reports_{kind}"
        url = common.postgres_url(name)
        if url is None:
            return
        try:
            results[kind] = common.run_worker(
                "bench.report_import", ["worker", kind, str(rows)], url
            )
        finally:
            common.drop(name)
    floor = results["copy"]["rows_per_s"]
    for kind, what in (
        ("copy", "COPY into a bare table"),
        ("table", "COPY into dispatch_report itself"),
        ("batch", "batch API path (check + write + rollups)"),
    ):
        r = results[kind]
        print(
            f"  {what:<40}{r['seconds']:>9.2f}{r['rows_per_s']:>11,.0f}{r['peak_mb']:>9.0f}"
            f"{r['rows_per_s'] / floor:>8.0%}"
        )
    spent = results["batch"]["spent"]
    database = sum(spent.values())
    print(
        f"  where the batch path's {results['batch']['seconds']:.2f} s went (timed from the client):"
    )
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"    {name:<44}{seconds:>6.2f} s")
    print(
        f"    {'Python (rules, decisions, COPY, answers)':<44}"
        f"{results['batch']['seconds'] - database:>6.2f} s"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        print(json.dumps(worker(sys.argv[2], int(sys.argv[3]))))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
