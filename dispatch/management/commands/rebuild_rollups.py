"""Recompute reporting duties and every rollup table from the register and the raw reports."""

import time

from django.core.management.base import BaseCommand

from dispatch import duties, rollups


class Command(BaseCommand):
    help = (
        "Bring every enterprise's reporting duty in line with the register and the cadence rules, "
        "then rebuild the rollup tables from raw reports. With --check, compare the rebuilt tables "
        "with the ones kept incrementally and report any difference (nothing is changed then)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare only; change nothing")

    def handle(self, *args, check: bool, **options):
        started = time.perf_counter()
        if check:
            differences = rollups.check()
            if differences:
                for table, count in differences.items():
                    self.stdout.write(f"{table}: {count} rows differ")
                raise SystemExit(1)
            self.stdout.write(f"rollups match a rebuild ({time.perf_counter() - started:.1f} s)")
            return
        changed = duties.sync(None)
        counts = rollups.rebuild()
        self.stdout.write(
            f"{changed} duties changed; rebuilt {counts['rollup_rows']} rollup rows, "
            f"{counts['county_days']} county-days, {counts['register_rows']} register rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
