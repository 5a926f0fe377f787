"""One measurement of `make bench`'s import benchmark, in a process of its own.

    python -m bench.import_worker bare|import ROWS

Migrates the database named by DATABASE_URL, loads the reference data, builds ROWS deterministic
enterprises, then either bulk-inserts them as model rows (`bare`: the floor any import pays) or
imports them from an .xlsx through the real path (`import`: read, check, classify and write in
one transaction, with history rows). Prints one JSON line: seconds, rows/s, peak MB and the
phases. Peak memory is VmHWM of this process, so each measurement counts only itself.
"""

import io
import json
import os
import random
import sys
import time

import django


def peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return 0.0


def rows(n: int) -> list[list]:
    from industries.models import Industry, Level
    from lib.uscc import make
    from regions.models import Level as RegionLevel
    from regions.models import Region

    rnd = random.Random(2020)
    counties = list(
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="15").values_list(
            "code", flat=True
        )
    )
    classes = list(
        Industry.objects.filter(
            level=Level.CLASS, code__regex=r"^(1[3-9]|[23]\d|4[0-3])"
        ).values_list("code", flat=True)
    )
    out = []
    for i in range(n):
        county = rnd.choice(counties)
        headcount = int(rnd.lognormvariate(4.5, 1.0)) + 5
        out.append(
            [
                make(f"91{county}MA{i:07d}"),
                f"基准测试企业{i:06d}",
                county,
                rnd.choice(classes),
                headcount,
                round(headcount * rnd.uniform(20, 80), 2),
                round(headcount * rnd.uniform(10, 60), 2),
                "是" if headcount > 100 else "否",
                rnd.choice(["", "", "", "骨干", "龙头、外贸", "民生保障"]),
                "",
                "",
            ]
        )
    return out


def main() -> None:
    kind, n = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fugong.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)

    from accounts.models import Role, User
    from registry import imports
    from registry.models import Enterprise, ImportJob

    admin = User.objects.create(username="bench", role=Role.ADMIN)
    data_rows = rows(n)
    result: dict = {"rows": n}
    if kind == "bare":
        started = time.perf_counter()
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    uscc=r[0],
                    name=r[1],
                    region_id=r[2],
                    industry_id=r[3],
                    headcount=r[4],
                    revenue=r[5],
                    output_value=r[6],
                    above_scale=r[7] == "是",
                    size_class="small",
                )
                for r in data_rows
            ],
            batch_size=imports.BATCH,
        )
        result["seconds"] = time.perf_counter() - started
    else:
        from lib.spreadsheets import safe_workbook

        buf = io.BytesIO()
        workbook = safe_workbook(buf)
        ws = workbook.add_worksheet("企业名录")
        ws.write_row(0, 0, imports.HEADERS)
        for i, r in enumerate(data_rows, start=1):
            ws.write_row(i, 0, r)
        workbook.close()
        data = buf.getvalue()
        del data_rows
        job = imports.submit(actor=admin, data=data, filename="bench.xlsx", dry_run=False)
        check = imports.check

        def timed_check(*args, **kwargs):
            begun = time.perf_counter()
            plan = check(*args, **kwargs)
            result["check_seconds"] = time.perf_counter() - begun
            return plan

        imports.check = timed_check  # type: ignore[assignment]
        started = time.perf_counter()
        claimed = imports.claim()
        assert claimed is not None and claimed.pk == job.pk
        imports.run_job(claimed)
        result["seconds"] = time.perf_counter() - started
        job.refresh_from_db()
        if job.status != ImportJob.Status.DONE or job.created_count != n:
            raise SystemExit(
                f"import did not complete: {job.status} {job.message} {job.errors[:3]}"
            )
        result["file_mb"] = len(data) / 1024 / 1024
        result["write_seconds"] = result["seconds"] - result["check_seconds"]
    result["rows_per_s"] = n / result["seconds"]
    result["peak_mb"] = peak_mb()
    result["stored"] = Enterprise.objects.count()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
