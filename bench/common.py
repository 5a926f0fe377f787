"""Shared pieces of the dispatch benchmarks: a fresh PostgreSQL database per measurement, a worker
subprocess per measurement (so peak memory is its own), and synthetic enterprises, duties and
reports written straight into their tables with COPY (the set-up is not what is measured).

The generated data keep the tables consistent the way the application does: every enterprise is
an above-scale daily reporter with a Duty mirroring it (county, division, size, headcount,
weight), and every report's county is its enterprise's region.
"""

import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.getenv("FUGONG_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
VAR_DIR = Path(os.getenv("FUGONG_VAR_DIR", ROOT / "var"))  # as fugong.settings has it


# --- databases and worker processes ------------------------------------------------------------


def postgres_url(name: str) -> str | None:
    """A fresh PostgreSQL database called `name`, or None when no server answers."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    except Exception as exc:
        print(f"  (PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}; skipped)")
        return None
    return url_of(name)


def url_of(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def exists(name: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            return row is not None
    except Exception:
        return False


def drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_worker(module: str, args: Sequence[str], database_url: str, **env: str) -> dict:
    """Run `python -m module args` on that database; its last stdout line is a JSON result.
    Its stderr (progress lines) passes through, so long set-ups show where they are."""
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": os.environ.get("FUGONG_BENCH_SETTINGS", "fugong.settings"),
        "FUGONG_DEBUG": "False",
        **env,
    }
    out = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{out.stdout[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return 0.0


def progress(message: str) -> None:
    print(f"    … {message}", file=sys.stderr, flush=True)


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fugong.settings")
    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)


def median_p95(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def quantile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- synthetic register -------------------------------------------------------------------------


def counties() -> list[str]:
    """Every county-level code an enterprise may sit in (registry.validation.Lookups)."""
    from registry.validation import Lookups

    return sorted(Lookups().counties)


def classes() -> list[str]:
    """Manufacturing classes (GB/T 4754 divisions 13–43)."""
    from industries.models import Industry, Level

    return sorted(
        Industry.objects.filter(
            level=Level.CLASS, code__regex=r"^(1[3-9]|[23]\d|4[0-3])"
        ).values_list("code", flat=True)
    )


def size_of(headcount: int) -> str:
    if headcount >= 1000:
        return "large"
    if headcount >= 300:
        return "medium"
    if headcount >= 20:
        return "small"
    return "micro"


class Register:
    """n deterministic above-scale enterprises (ids 1..n) spread evenly over `where`."""

    def __init__(self, n: int, where: Sequence[str], industries: Sequence[str], seed: int = 2020):
        rnd = random.Random(seed)
        self.n = n
        self.county: list[str] = [""] * (n + 1)
        self.industry: list[str] = [""] * (n + 1)
        self.headcount: list[int] = [0] * (n + 1)
        self.output: list[int] = [0] * (n + 1)
        for i in range(1, n + 1):
            self.county[i] = where[(i * 7919) % len(where)]
            self.industry[i] = industries[rnd.randrange(len(industries))]
            self.headcount[i] = int(rnd.lognormvariate(4.5, 1.0)) + 5
            self.output[i] = int(self.headcount[i] * rnd.uniform(20, 80))

    def uscc(self, i: int) -> str:
        from lib.uscc import make

        return make(f"91{self.county[i]}MA{i:07d}")


def _cursor():
    from django.db import connection

    connection.ensure_connection()
    return connection.connection.cursor()


def bulk_session() -> None:
    """Session settings for loading: index builds get memory, commits do not wait for the disk."""
    with _cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET synchronous_commit = off")


class BareTable:
    """Drop a table's keys, foreign keys and indexes (and the foreign keys pointing at it) for a
    COPY, then put every one back under its own name: loading then indexing once is the usual
    way to fill a large table, and leaves the same schema behind."""

    def __init__(self, table: str):
        self.table = table
        self.constraints: list[tuple[str, str, str]] = []  # (table, name, definition)
        self.indexes: list[str] = []

    def __enter__(self) -> "BareTable":
        with _cursor() as cur:
            cur.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), "
                "c.contype FROM pg_constraint c WHERE (c.conrelid = %s::regclass "
                "AND c.contype IN ('p', 'u', 'f')) OR (c.confrelid = %s::regclass "
                "AND c.contype = 'f' AND c.conrelid <> %s::regclass)",
                [self.table, self.table, self.table],
            )
            rows = cur.fetchall()
            order = {"p": 0, "u": 1, "f": 2}
            rows.sort(key=lambda r: (order[r[3]], r[0] != self.table))
            self.constraints = [(t, n, d) for t, n, d, _ in rows]
            names = {n for _, n, _ in self.constraints}
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [self.table]
            )
            self.indexes = [d for n, d in cur.fetchall() if n not in names]
            for t, n, _ in reversed(self.constraints):
                cur.execute(f'ALTER TABLE {t} DROP CONSTRAINT "{n}"')
            cur.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname <> ALL(%s)",
                [self.table, list(names)],
            )
            for (n,) in cur.fetchall():
                cur.execute(f'DROP INDEX "{n}"')
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is not None:
            return
        with _cursor() as cur:
            for t, n, d in self.constraints:
                cur.execute(f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}')
            for d in self.indexes:
                cur.execute(d)
            cur.execute(f"ANALYZE {self.table}")


def copy_register(reg: Register, *, enterprises: bool = True) -> None:
    """registry_enterprise and dispatch_duty for every enterprise of `reg` (ids 1..n)."""
    created = "2020-01-01 00:00:00+08"
    with _cursor() as cur:
        if enterprises:
            with BareTable("registry_enterprise"):
                with cur.copy(
                    "COPY registry_enterprise (id, uscc, name, region_code, industry_code, "
                    "headcount, revenue, output_value, size_class, size_overridden, above_scale, "
                    "park_id, created_at, updated_at) FROM STDIN"
                ) as copy:
                    lines = []
                    for i in range(1, reg.n + 1):
                        lines.append(
                            f"{i}\t{reg.uscc(i)}\t基准企业{i:07d}\t{reg.county[i]}\t"
                            f"{reg.industry[i]}\t{reg.headcount[i]}\t{reg.output[i] * 2}\t"
                            f"{reg.output[i]}\t{size_of(reg.headcount[i])}\tf\tt\t\\N\t"
                            f"{created}\t{created}\n"
                        )
                        if len(lines) >= 20_000:
                            copy.write("".join(lines))
                            lines = []
                    copy.write("".join(lines))
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('registry_enterprise', 'id'), %s)", [reg.n]
            )
        with BareTable("dispatch_duty"):
            with cur.copy(
                "COPY dispatch_duty (enterprise_id, cadence, county, division, size, tagset, "
                "park_id, headcount, weight) FROM STDIN"
            ) as copy:
                lines = []
                for i in range(1, reg.n + 1):
                    lines.append(
                        f"{i}\tdaily\t{reg.county[i]}\t{reg.industry[i][:2]}\t"
                        f"{size_of(reg.headcount[i])}\t\t0\t{reg.headcount[i]}\t"
                        f"{max(1, reg.output[i])}\n"
                    )
                    if len(lines) >= 20_000:
                        copy.write("".join(lines))
                        lines = []
                copy.write("".join(lines))
    # The register rollups (expected enterprises) follow from the duties.
    from django.db import connection

    with connection.cursor() as c:
        for table in ("dispatch_countyregister", "dispatch_registerrollup"):
            c.execute(f"DELETE FROM {table}")  # noqa: S608 (our names)
        c.execute(
            "INSERT INTO dispatch_registerrollup (county, cadence, division, size, tagset, "
            "park_id, enterprises, headcount, weight) SELECT county, cadence, division, size, "
            "tagset, park_id, COUNT(*), SUM(headcount), SUM(weight) FROM dispatch_duty "
            "WHERE cadence <> '' GROUP BY county, cadence, division, size, tagset, park_id"
        )
        c.execute(
            "INSERT INTO dispatch_countyregister (county, cadence, enterprises, headcount, "
            "weight) SELECT county, cadence, SUM(enterprises), SUM(headcount), SUM(weight) "
            "FROM dispatch_registerrollup GROUP BY county, cadence"
        )


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=k) for k in range(count)]


def _fragments(k: int, total: int) -> list[tuple[str, int, str]]:
    """1,024 report bodies for day k of `total`: (text before staff, staff %, text after staff).
    Resumption rises over the period; every body passes the rule set for its enterprise."""
    rnd = random.Random(k)
    share = 0.35 + 0.55 * k / max(1, total - 1)
    out = []
    for _ in range(1024):
        x = rnd.random()
        if x > share:
            status, staff, capacity = "not_resumed", 0, 0
        elif x > share * 0.4:
            status, staff, capacity = "partial", rnd.randint(10, 90), rnd.randint(10, 90)
        else:
            status, staff, capacity = "full", rnd.randint(70, 100), rnd.randint(80, 120)
        checks = "t" if status != "not_resumed" or rnd.random() < 0.3 else "f"
        fever = 1 if rnd.random() < 0.002 else 0
        difficulties = rnd.choice(["[]", "[]", "[]", '["labour"]', '["raw_materials", "funds"]'])
        on_time = "t" if rnd.random() < 0.88 else "f"
        hour = "09:30:00" if on_time == "t" else "18:10:00"
        before = f"\t{status}\t"
        after = (
            f"\t{capacity}\t{checks}\t{checks}\t{rnd.randint(0, 30)}\t{fever}\t0\t0\t"
            f"{difficulties}\t\t\t{on_time}\t1\t"
        )
        out.append(
            (before, staff, after + "{day} " + hour + "+08\t{day} " + hour + "+08\t\\N\tapi\n")
        )
    return out


REPORT_COLUMNS = (
    "enterprise_id, county, date, status, staff_on_site, capacity_pct, temperature_checks, "
    "disinfection, mask_days, fever, suspected, confirmed, difficulties, over_headcount_reason, "
    "note, on_time, version, submitted_at, updated_at, submitted_by_id, source"
)


def report_lines(reg: Register, dates: Sequence[date]) -> Iterator[str]:
    """COPY text for one report per enterprise per date, in chunks."""
    for k, day in enumerate(dates):
        iso = day.isoformat()
        frags = [
            (f"\t{iso}{b}", s, a.replace("{day}", iso)) for b, s, a in _fragments(k, len(dates))
        ]
        lines = []
        county, headcount = reg.county, reg.headcount
        for i in range(1, reg.n + 1):
            b, s, a = frags[(i * 2654435761 + k * 40503) >> 7 & 1023]
            lines.append(f"{i}\t{county[i]}{b}{headcount[i] * s // 100}{a}")
            if len(lines) >= 50_000:
                yield "".join(lines)
                lines = []
        if lines:
            yield "".join(lines)


def copy_reports(reg: Register, dates: Sequence[date]) -> int:
    """dispatch_report rows for every enterprise on every date; returns how many."""
    with _cursor() as cur:
        with BareTable("dispatch_report"):
            with cur.copy(f"COPY dispatch_report ({REPORT_COLUMNS}) FROM STDIN") as copy:
                for k, chunk in enumerate(report_lines(reg, dates)):
                    copy.write(chunk)
                    if k % 40 == 0:
                        progress(f"reports: {k * 50_000:,} rows sent")
            progress("reports: rebuilding keys and indexes")
    return reg.n * len(dates)


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.started
