"""The stats API at national scale on PostgreSQL, beside the same figures from raw reports.

    python -m bench dispatch_stats                      # as part of `make bench`, or alone
    FUGONG_BENCH_ENTERPRISES=100000 FUGONG_BENCH_DAYS=5 python -m bench dispatch_stats  # quick

Set-up (one process): 1,000,000 above-scale enterprises spread over every county-level region,
each a daily reporter with its Duty, and a report from each for each of 30 days (30 M rows), all
written with COPY; then `dispatch.rollups.rebuild()` builds the rollup tables from the raw
reports, as `manage.py rebuild_rollups` would. Measurement (a second process): GET
/api/v1/stats through Django's test client with an administrator's bearer token, for the whole
country, a province, a city and a county, on three working days, 30 calls each; then one SQL
aggregate over dispatch_report joined to dispatch_duty for the same region and date (the query a
dashboard without rollups would run), three runs each. Printed: median and p95 per level for the
API, the median for the raw query, and whether both give the same counts.

FUGONG_BENCH_KEEP_DB=1 keeps the database (fugong_bench_national) and reuses it next time when
its size matches, so the measurement can be repeated without the set-up.
"""

import json
import os
import statistics
import sys
from datetime import date

from bench import common

NAME = "fugong_bench_national"
FIRST_DAY = date(2020, 2, 10)  # a Monday, after the Spring Festival's extended holiday
CALLS = 30
RAW_RUNS = 3


def setup(n: int, days: int) -> dict:
    common.setup_django()
    timer = common.Timer()
    common.migrate()
    common.bulk_session()
    from dispatch import rollups

    reg = common.Register(n, common.counties(), common.classes())
    common.progress(f"register of {n:,} built in memory ({timer():.0f} s)")
    common.copy_register(reg)
    register_s = timer()
    common.progress(f"enterprises and duties copied ({register_s:.0f} s)")
    rows = common.copy_reports(reg, common.days(FIRST_DAY, days))
    reports_s = timer() - register_s
    common.progress(f"{rows:,} reports copied and indexed ({reports_s:.0f} s)")
    started = timer()
    counts = rollups.rebuild()
    rebuild_s = timer() - started
    common.progress(f"rollups rebuilt ({rebuild_s:.0f} s): {counts}")
    from django.db import connection

    with connection.cursor() as c:
        c.execute("ANALYZE")
    return {
        "enterprises": n,
        "days": days,
        "reports": rows,
        "register_s": register_s,
        "reports_s": reports_s,
        "rebuild_s": rebuild_s,
        "setup_s": timer(),
        **counts,
        "peak_mb": common.peak_mb(),
    }


RAW = """
SELECT COUNT(*), SUM(CASE WHEN r.on_time THEN 1 ELSE 0 END),
       SUM(CASE WHEN r.status <> 'not_resumed' THEN 1 ELSE 0 END),
       SUM(CASE WHEN r.status = 'full' THEN 1 ELSE 0 END), SUM(r.staff_on_site),
       SUM(r.capacity_pct * d.weight), SUM(d.weight)
FROM dispatch_report r JOIN dispatch_duty d ON d.enterprise_id = r.enterprise_id
WHERE r.date = %s AND d.cadence = 'daily' AND r.county LIKE %s
"""


def levels() -> list[tuple[str, str]]:
    """(label, region code) for the country, the province with the most counties, its city with
    the most counties, and that city's first county."""
    from collections import Counter

    counties = common.counties()
    province = Counter(c[:2] for c in counties).most_common(1)[0][0]
    city = Counter(c[:4] for c in counties if c.startswith(province) and c[4:] != "00")
    city_code = city.most_common(1)[0][0]
    county = min(c for c in counties if c.startswith(city_code) and c[4:] != "00")
    return [
        ("country", ""),
        ("province", province + "0000"),
        ("city", city_code + "00"),
        ("county", county),
    ]


def measure(days: int) -> dict:
    common.setup_django()
    from django.db import connection
    from django.test import Client

    from accounts.models import ApiToken, Role, User
    from regions.models import prefix_of
    from workdays.calendar import is_workday

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": Role.ADMIN})
    _, raw_token = ApiToken.issue(admin, "bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    working = [d for d in common.days(FIRST_DAY, days) if is_workday(d)]
    chosen = sorted({working[0], working[len(working) // 2], working[-1]})
    out: dict = {"dates": [d.isoformat() for d in chosen], "levels": []}
    for label, code in levels():
        api_ms: list[float] = []
        raw_ms: list[float] = []
        same = True
        for day in chosen:
            params = {"date": day.isoformat(), **({"region": code} if code else {})}
            for _ in range(3):  # warm-up: connection, caches
                client.get("/api/v1/stats", params)
            body = {}
            for _ in range(CALLS):
                timer = common.Timer()
                response = client.get("/api/v1/stats", params)
                api_ms.append(timer() * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{label} {day}: {response.status_code} {response.content!r}")
                body = response.json()
            prefix = prefix_of(code) if code else ""
            for _ in range(RAW_RUNS):
                timer = common.Timer()
                with connection.cursor() as c:
                    c.execute(RAW, [day, prefix + "%"])
                    row = c.fetchone()
                raw_ms.append(timer() * 1000)
            reported, on_time, resumed, full, staff = (int(v or 0) for v in row[:5])
            same = same and (reported, on_time, resumed, full, staff) == (
                body["reported"],
                body["on_time"],
                body["resumed"],
                body["full"],
                body["staff_on_site"],
            )
        median, p95 = common.median_p95(api_ms)
        out["levels"].append(
            {
                "level": label,
                "region": code or "(all)",
                "api_median_ms": median,
                "api_p95_ms": p95,
                "calls": len(api_ms),
                "raw_median_ms": statistics.median(raw_ms),
                "raw_runs": len(raw_ms),
                "same": same,
                "expected": body["expected"],
            }
        )
    out["peak_mb"] = common.peak_mb()
    return out


def main() -> None:
    n = int(os.getenv("FUGONG_BENCH_ENTERPRISES", "1000000"))
    days = int(os.getenv("FUGONG_BENCH_DAYS", "30"))
    keep = os.getenv("FUGONG_BENCH_KEEP_DB") == "1"
    print(
        f"\n== Stats API at national scale: {n:,} daily reporters in every county, "
        f"{days} days of reports ({n * days:,} rows), PostgreSQL"
    )
    marker = f"{n}x{days}"
    reuse = keep and common.exists(NAME) and _marker() == marker
    url = common.url_of(NAME) if reuse else common.postgres_url(NAME)
    if url is None:
        return
    try:
        if reuse:
            print("  set-up: reusing the kept database (FUGONG_BENCH_KEEP_DB=1)")
        else:
            s = common.run_worker("bench.dispatch_stats", ["setup", str(n), str(days)], url)
            _set_marker(marker if keep else "")
            print(
                f"  set-up {s['setup_s']:.0f} s: register (COPY) {s['register_s']:.0f} s, "
                f"{s['reports']:,} reports (COPY + indexes) {s['reports_s']:.0f} s, "
                f"rollups.rebuild() {s['rebuild_s']:.0f} s "
                f"({s['rollup_rows']:,} rollup rows, {s['county_days']:,} county-days)"
            )
        m = common.run_worker("bench.dispatch_stats", ["measure", str(days)], url)
        print(f"  dates {', '.join(m['dates'])}; {CALLS} API calls and {RAW_RUNS} raw runs a date")
        print(
            f"  {'level':<10}{'region':<9}{'expected':>10}{'API median':>12}{'API p95':>10}"
            f"{'raw SQL median':>16}{'speed-up':>10}  same counts"
        )
        for r in m["levels"]:
            print(
                f"  {r['level']:<10}{r['region']:<9}{r['expected']:>10,}"
                f"{r['api_median_ms']:>9.1f} ms{r['api_p95_ms']:>7.1f} ms"
                f"{r['raw_median_ms']:>13.1f} ms{r['raw_median_ms'] / r['api_median_ms']:>9.0f}×"
                f"  {'yes' if r['same'] else 'NO'}"
            )
    finally:
        if not keep:
            common.drop(NAME)


def _marker_path() -> str:
    return str(common.VAR_DIR / f"{NAME}.size")


def _marker() -> str:
    try:
        with open(_marker_path()) as f:
            return f.read().strip()
    except OSError:
        return ""


def _set_marker(value: str) -> None:
    os.makedirs(os.path.dirname(_marker_path()), exist_ok=True)
    with open(_marker_path(), "w") as f:
        f.write(value)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        print(json.dumps(setup(int(sys.argv[2]), int(sys.argv[3]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main()
