"""Importing 100,000 enterprises from an .xlsx, on SQLite and on PostgreSQL, against a bare
bulk insert of the same rows in the same run.

Each measurement runs in a fresh subprocess on a fresh database, so peak memory (max RSS) is
that measurement's own. Printed: rows/s, seconds, peak MB, and the import's share of the bare
insert's speed.
"""

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.getenv("FUGONG_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _postgres_url(name: str) -> str | None:
    """A fresh PostgreSQL database for one measurement, or None when no server answers."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    except Exception as exc:
        print(f"  (PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}; skipped)")
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _measure(kind: str, database_url: str, rows: int, workdir: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FUGONG_VAR_DIR": workdir,
        "DJANGO_SETTINGS_MODULE": "fugong.settings",
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.import_worker", kind, str(rows)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(rows: int) -> None:
    print(
        f"\n== Enterprise import: {rows:,} rows from .xlsx (parse + check + write, all-or-nothing)"
    )
    print(f"  {'database':<11}{'what':<24}{'seconds':>9}{'rows/s':>11}{'peak MB':>9}{'vs bare':>9}")
    with tempfile.TemporaryDirectory() as tmp:

        def sqlite_url(name: str) -> str | None:
            return f"sqlite:///{tmp}/{name}.sqlite3"

        targets: list[tuple[str, Callable[[str], str | None]]] = [
            ("SQLite", sqlite_url),
            ("PostgreSQL", _postgres_url),
        ]
        for label, make_url in targets:
            results = {}
            for kind in ("bare", "import"):
                url = make_url(f"fugong_bench_{kind}")
                if url is None:
                    break
                results[kind] = _measure(kind, url, rows, tmp)
            if len(results) < 2:
                continue
            bare = results["bare"]
            for kind, what in (("bare", "bare bulk insert"), ("import", "import (xlsx → rows)")):
                r = results[kind]
                ratio = r["rows_per_s"] / bare["rows_per_s"]
                print(
                    f"  {label:<11}{what:<24}{r['seconds']:>9.2f}{r['rows_per_s']:>11,.0f}"
                    f"{r['peak_mb']:>9.0f}{ratio:>8.0%}"
                )
            r = results["import"]
            print(
                f"  {'':<11}{'  of which':<24}read+check {r['check_seconds']:.2f} s, "
                f"decide+write {r['write_seconds']:.2f} s ({r['file_mb']:.1f} MB file)"
            )
