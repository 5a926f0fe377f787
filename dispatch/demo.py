"""Demo reports for the Inner Mongolia demo province (registry/demo.py): three weeks of daily
dispatch in February 2020, ending where seed 003's brief stands on the 22nd.

What it builds, the same on every run (one seeded generator over the enterprises in USCC order):
- an emergency period 2020-02-03 – 2020-02-29 (疫情防控期间每日调度), so every day of it is a
  reporting day, the Saturday 22 February of seed 003 included;
- a report for every demo enterprise on every day from 2020-02-03 to 2020-02-22, except a few
  per cent missing (more at first, more at weekends, mostly the same habitual laggards); a few
  per cent arrive after the 17:00 cut-off;
- resumption ramping up over the three weeks: continuous-process plants (steel, aluminium, power,
  coal chemicals), medical supplies and dairy hardly stopped; Baotou and Ordos come back faster,
  the farming and herding leagues slower, big and leading enterprises first, textiles and
  building materials (winter) last; a high-risk county (赛罕区 from 10 February) is held back.
  On 2020-02-22 exactly 1,792 of the 2,750 enterprises report partial or full resumption (seed
  003: 1792户, 65%) and staff on site is 64.5 % of normal headcount (68.7万 of about 106万);
- occasional difficulties (labour, transport, raw materials, masks…) while an enterprise ramps
  up, a note now and then, zero cases almost everywhere (a rare fever or suspected case);
- three county risk levels (one high in Hohhot from 10 February, two medium).

Reports go through the one write path, dispatch.actions.write (validated by actions.clean first,
versioned, rolled up), a day at a time, with actor None and source "demo". write() stamps them
with the present time, which is after every 2020 cut-off; so that submission times and
timeliness look like a real February, each report's submitted_at / updated_at / on_time and its
version's time are then set to a plausible moment of its day (or the next morning, when late),
and the rollup tables are rebuilt from the raw reports (rollups.rebuild) so they stay exact.

Idempotent: a report is only written for an (enterprise, date) that has none, and the period and
the risk levels are matched by their dates; re-running adds nothing.
"""

import math
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audit.log import record
from regions.models import Region
from registry.models import Enterprise, EnterpriseTag

from . import actions, priority, rollups
from .models import CountyRisk, Difficulty, EmergencyPeriod, Report, Status

SEED = 20200222
START = date(2020, 2, 3)
END = date(2020, 2, 22)  # the date of seed 003's brief
DAYS = tuple(START + timedelta(days=i) for i in range((END - START).days + 1))
EMERGENCY = (date(2020, 2, 3), date(2020, 2, 29), "疫情防控期间每日调度")
PROVINCE = "150000"
# Seed 003: "截至22日，全区规模以上工业企业复工复产企业达到1792户，复产率65%；员工返岗人数68.7万人，
# 到岗率64.5%。"
RESUMED_ON_END = 1792
DEMO_ENTERPRISES = 2750
STAFF_RATE_ON_END = 0.645
RISK_LEVELS = (
    ("150105", "high", date(2020, 2, 10)),  # 呼和浩特市赛罕区
    ("150202", "medium", date(2020, 2, 5)),  # 包头市东河区
    ("150602", "medium", date(2020, 2, 7)),  # 鄂尔多斯市东胜区
)
HELD_BACK = {"150105": date(2020, 2, 10)}  # high-risk counties resume later

# Cumulative share of enterprises back at work by each date (before the last day, which is
# calibrated to seed 003's count): plants that never stopped, then a climb that slows at weekends.
RAMP = {
    date(2020, 2, 3): 0.27,
    date(2020, 2, 4): 0.29,
    date(2020, 2, 5): 0.31,
    date(2020, 2, 6): 0.33,
    date(2020, 2, 7): 0.35,
    date(2020, 2, 8): 0.355,
    date(2020, 2, 9): 0.36,
    date(2020, 2, 10): 0.41,
    date(2020, 2, 11): 0.44,
    date(2020, 2, 12): 0.47,
    date(2020, 2, 13): 0.50,
    date(2020, 2, 14): 0.52,
    date(2020, 2, 15): 0.525,
    date(2020, 2, 16): 0.53,
    date(2020, 2, 17): 0.57,
    date(2020, 2, 18): 0.60,
    date(2020, 2, 19): 0.62,
    date(2020, 2, 20): 0.64,
    date(2020, 2, 21): 0.66,
}

CITY_PACE = {
    "1502": 0.6,  # 包头: steel, aluminium, rare earths (包钢 kept its furnaces going)
    "1506": 0.5,  # 鄂尔多斯: coal and coal chemicals
    "1503": 0.4,  # 乌海
    "1529": 0.2,  # 阿拉善
    "1501": 0.0,  # 呼和浩特
    "1508": -0.1,  # 巴彦淖尔
    "1509": -0.1,  # 乌兰察布
    "1504": -0.3,  # 赤峰
    "1505": -0.3,  # 通辽
    "1525": -0.3,  # 锡林郭勒
    "1507": -0.4,  # 呼伦贝尔
    "1522": -0.5,  # 兴安
}
# Plants that cannot simply stop (furnaces, kilns of coke, power and heat, chemical trains).
CONTINUOUS = (
    "0610",
    "0620",
    "0721",
    "25",
    "2611",
    "2612",
    "2613",
    "2614",
    "2619",
    "2621",
    "2651",
    "2652",
    "31",
    "32",
    "44",
    "45",
    "46",
)
INDUSTRY_PACE = (  # longest prefix wins
    ("144", 1.2),  # dairy: milk is collected every day
    ("17", -0.8),  # textiles: workers from elsewhere, export orders gone
    ("18", -0.8),
    ("30", -0.6),  # cement and building materials: the winter stop
    ("08", -0.3),
    ("09", -0.1),
    ("15", -0.5),
    ("20", -0.6),
    ("22", -0.4),
    ("23", -0.6),
    ("33", -0.3),
    ("34", -0.3),
    ("35", -0.2),
)
CATEGORY_PACE = {
    "medical_supplies": 2.0,
    "livelihood_farm": 0.7,
    "long_chain": 0.1,
    "strategic_emerging": 0.4,
}
DIFFICULTY_WEIGHTS = (
    (Difficulty.LABOUR, 30),
    (Difficulty.RAW_MATERIALS, 20),
    (Difficulty.TRANSPORT, 20),
    (Difficulty.PREVENTION_SUPPLIES, 18),
    (Difficulty.FUNDS, 15),
    (Difficulty.DELIVERY, 6),
    (Difficulty.BACKLOG, 5),
    (Difficulty.ENERGY, 3),
    (Difficulty.APPROVALS, 3),
    (Difficulty.WAREHOUSING, 2),
    (Difficulty.CUSTOMS, 2),
)
NOTES_WAITING = (
    "外地员工尚在隔离观察期，待期满后返岗",
    "已提交复工申请，等待属地审核",
    "原材料运输受阻，待物流恢复后开工",
    "口罩、测温枪等防疫物资不足，正在采购",
    "下游客户尚未复工，暂缓生产",
)
NOTES_RUNNING = (
    "返岗人员均已完成健康登记",
    "实行错峰上下班和分餐制",
    "订单逐步恢复，计划下周增开一条生产线",
    "外省员工陆续返回，分批安排到岗",
    "夜班人员逐步到岗",
)


@dataclass(frozen=True)
class Facts:
    """What the generator needs to know of an enterprise."""

    uscc: str
    region: str
    industry: str
    headcount: int
    tags: frozenset[str] = frozenset()


@dataclass
class Planned:
    """One demo report: the values as a reporter would send them, and when it arrives."""

    uscc: str
    day: date
    values: dict[str, Any]
    arrives: datetime  # naive local time
    on_time: bool


def _prefix_value(code: str, table: Iterable[tuple[str, float]]) -> float:
    best, length = 0.0, -1
    for prefix, value in table:
        if code.startswith(prefix) and len(prefix) > length:
            best, length = value, len(prefix)
    return best


def _continuous(code: str) -> bool:
    return any(code.startswith(p) for p in CONTINUOUS)


def _pace(e: Facts, rng: random.Random) -> float:
    """How early an enterprise comes back (higher: earlier); a noisy score, ranked afterwards."""
    score = CITY_PACE.get(e.region[:4], 0.0)
    if _continuous(e.industry):
        score += 1.6
    score += _prefix_value(e.industry, INDUSTRY_PACE)
    score += max((CATEGORY_PACE[c] for c in priority.categories_for(e.industry)), default=0.0)
    score += 0.35 * math.log(max(e.headcount, 10) / 150)
    if "leading" in e.tags:
        score += 0.6
    elif "backbone" in e.tags:
        score += 0.3
    if e.region in HELD_BACK:
        score -= 1.2
    return score + rng.gauss(0, 0.8)


@dataclass
class _Traits:
    """An enterprise's habits, drawn once."""

    laggard: float  # multiplies its chance of reporting late or not at all
    staff_ceiling: float  # the share of its staff it gets back at most this month
    capacity_factor: float
    full_after: int  # days after resuming until it calls itself fully resumed
    skeleton: float  # share of staff on site while stopped (guards, maintenance)
    trouble: tuple[str, ...]  # difficulties while it ramps up
    trouble_days: int
    masks: int  # days of masks on hand when it resumes


def _traits(e: Facts, rng: random.Random) -> _Traits:
    laggard = 3.5 if rng.random() < 0.2 else 0.35
    trouble: tuple[str, ...] = ()
    if rng.random() < 0.38:
        codes = [c for c, _ in DIFFICULTY_WEIGHTS]
        weights = [w for _, w in DIFFICULTY_WEIGHTS]
        picked = {rng.choices(codes, weights)[0] for _ in range(rng.choice((1, 1, 2)))}
        if Difficulty.CUSTOMS in picked and "foreign_trade" not in e.tags:
            picked.discard(Difficulty.CUSTOMS)
            picked.add(Difficulty.TRANSPORT)
        trouble = tuple(sorted(picked))
    continuous = _continuous(e.industry)
    return _Traits(
        laggard=laggard,
        staff_ceiling=rng.uniform(0.86, 1.0),
        capacity_factor=rng.uniform(0.85, 1.08),
        full_after=0 if continuous and rng.random() < 0.7 else rng.randint(3, 16),
        skeleton=rng.uniform(0.0, 0.04),
        trouble=trouble,
        trouble_days=rng.randint(3, 12),
        masks=rng.randint(3, 30),
    )


def _missing_rate(day: date) -> float:
    """Chance an average enterprise sends nothing that day: the first days and weekends worst."""
    progress = (day - START).days / max(1, (END - START).days)
    base = 0.06 - 0.035 * progress
    return base + (0.015 if day.weekday() >= 5 else 0.0)


def _late_rate(day: date) -> float:
    progress = (day - START).days / max(1, (END - START).days)
    return 0.10 - 0.06 * progress


def _ramp(days_since: int, continuous_from_start: bool) -> float:
    start = 0.72 if continuous_from_start else 0.38
    return min(1.0, start + 0.09 * days_since)


def plan(enterprises: Sequence[Facts]) -> list[Planned]:
    """Every demo report, deterministic for the same enterprises (in any order)."""
    rng = random.Random(SEED)
    people = sorted(enterprises, key=lambda e: e.uscc)
    n = len(people)
    if n == 0:
        return []
    traits = [_traits(e, rng) for e in people]
    pace = [_pace(e, rng) for e in people]
    rank = sorted(range(n), key=lambda k: (-pace[k], people[k].uscc))

    # Who sends nothing on which day: habitual laggards most often.
    missing = [
        [rng.random() < _missing_rate(day) * traits[k].laggard for day in DAYS] for k in range(n)
    ]
    late = [[rng.random() < _late_rate(day) * traits[k].laggard for day in DAYS] for k in range(n)]

    # Resumption dates by rank: the ramp's share on each day, and on the last day as many as
    # seed 003 counts among those who report (scaled if the register is not the full demo).
    resumed_by = [round(RAMP[day] * n) for day in DAYS[:-1]]
    wanted = round(RESUMED_ON_END * n / DEMO_ENTERPRISES)
    last = len(DAYS) - 1
    counted, k_end = 0, n
    for position, k in enumerate(rank, start=1):
        if not missing[k][last]:
            counted += 1
        if counted >= wanted:
            k_end = position
            break
    resumed_by.append(max(k_end, resumed_by[-1]))
    resumes: list[int | None] = [None] * n  # index into DAYS
    for position, k in enumerate(rank):
        for d, cutoff in enumerate(resumed_by):
            if position < cutoff:
                resumes[k] = d
                break

    # Staff on site on the last day comes out at seed 003's rate: one scale factor on the
    # ramp, found by bisection (staff is capped at headcount, so it is not a plain ratio).
    def staff_of(k: int, d: int, scale: float) -> int:
        e, t, since = people[k], traits[k], resumes[k]
        if since is None or since > d:
            return round(e.headcount * t.skeleton)
        share = t.staff_ceiling * _ramp(d - since, since == 0 and _continuous(e.industry))
        return max(1, min(e.headcount, round(e.headcount * min(1.0, share * scale))))

    target = STAFF_RATE_ON_END * sum(e.headcount for e in people)
    low, high = 0.3, 2.0
    for _ in range(40):
        mid = (low + high) / 2
        total = sum(staff_of(k, last, mid) for k in range(n) if not missing[k][last])
        low, high = (mid, high) if total < target else (low, mid)
    scale = (low + high) / 2

    out: list[Planned] = []
    for k, e in enumerate(people):
        t, since = traits[k], resumes[k]
        for d, day in enumerate(DAYS):
            if missing[k][d]:
                continue
            staff = staff_of(k, d, scale)
            running = since is not None and since <= d
            if running:
                assert since is not None
                share = staff / max(1, e.headcount)
                full = d - since >= t.full_after and share >= 0.75
                status = Status.FULL if full else Status.PARTIAL
                capacity = max(5, min(100, round(100 * share * t.capacity_factor)))
                troubled = t.trouble and d - since < t.trouble_days
                masks = min(60, t.masks + 2 * (d - since))
            else:
                status, capacity = Status.NOT_RESUMED, 0
                troubled = bool(t.trouble) and (since is None or since - d <= t.trouble_days)
                masks = max(0, t.masks - 5)
            difficulties = list(t.trouble) if troubled else []
            if Difficulty.PREVENTION_SUPPLIES in difficulties:
                masks = min(masks, 2)
            draw = rng.random()
            fever = 1 if running and staff >= 150 and draw < 0.012 else 0
            suspected = 1 if fever and draw < 0.0015 else 0
            note = ""
            if rng.random() < 0.05:
                note = rng.choice(NOTES_RUNNING if running else NOTES_WAITING)
            values = {
                "date": day,
                "status": status,
                "staff_on_site": staff,
                "capacity_pct": capacity,
                "temperature_checks": running or rng.random() < 0.7,
                "disinfection": running or rng.random() < 0.6,
                "mask_days": masks,
                "fever": fever,
                "suspected": suspected,
                "confirmed": 0,
                "difficulties": difficulties,
                "over_headcount_reason": "",
                "note": note,
            }
            if late[k][d]:
                if rng.random() < 0.3:  # sent the next morning
                    arrives = datetime.combine(day + timedelta(days=1), datetime.min.time())
                    arrives += timedelta(hours=8, minutes=rng.randrange(0, 120))
                else:
                    arrives = datetime.combine(day, datetime.min.time())
                    arrives += timedelta(hours=17, minutes=rng.randrange(5, 330))
            else:
                arrives = datetime.combine(day, datetime.min.time())
                arrives += timedelta(hours=8, minutes=rng.randrange(0, 9 * 60 - 1))
            out.append(Planned(e.uscc, day, values, arrives, not late[k][d]))
    return out


# --- writing it ---------------------------------------------------------------------------------


@dataclass
class Result:
    reports_created: int = 0
    reports_kept: int = 0
    reports_refused: int = 0  # on dates an official had locked
    emergency_created: bool = False
    risk_levels_created: int = 0
    seconds: float = 0.0


def facts_from_plan(enterprises: Iterable[Any] | None = None) -> list[Facts]:
    """The demo enterprises as registry/demo.py plans them (no database needed)."""
    if enterprises is None:
        from registry import demo as registry_demo

        enterprises = registry_demo.build_plan().enterprises
    return [
        Facts(e.uscc, e.region, e.industry, e.headcount, frozenset(e.tags)) for e in enterprises
    ]


def plan_digest(planned: Iterable[Planned]) -> str:
    """A fingerprint of planned reports, independent of their order."""
    from registry.demo import digest

    return digest(
        (
            p.uscc,
            p.day,
            p.arrives,
            p.on_time,
            tuple(sorted((k, str(v)) for k, v in p.values.items())),
        )
        for p in planned
    )


def facts_from_register(usccs: Iterable[str]) -> list[Facts]:
    """The demo enterprises as they stand in the register (headcounts may have been edited)."""
    rows = list(
        Enterprise.objects.filter(uscc__in=list(usccs)).values_list(
            "pk", "uscc", "region_id", "industry_id", "headcount"
        )
    )
    tags: dict[int, set[str]] = defaultdict(set)
    for eid, tag in EnterpriseTag.objects.filter(
        enterprise_id__in=[r[0] for r in rows]
    ).values_list("enterprise_id", "tag"):
        tags[eid].add(tag)
    return [Facts(u, r, i, h, frozenset(tags[pk])) for pk, u, r, i, h in rows]


def _ensure_period_and_levels(result: Result) -> None:
    start, end, note = EMERGENCY
    _, result.emergency_created = EmergencyPeriod.objects.get_or_create(
        start=start, end=end, defaults={"note": note}
    )
    have = set(
        CountyRisk.objects.filter(
            region_id__in=[c for c, _, _ in RISK_LEVELS],
        ).values_list("region_id", "effective_from")
    )
    regions = set(
        Region.objects.filter(code__in=[c for c, _, _ in RISK_LEVELS]).values_list(
            "code", flat=True
        )
    )
    new = [
        CountyRisk(region_id=code, level=level, effective_from=since, source="demo")
        for code, level, since in RISK_LEVELS
        if code in regions and (code, since) not in have
    ]
    CountyRisk.objects.bulk_create(new)
    result.risk_levels_created = len(new)


STAMP_MINUTES = 20  # reports arriving within the same span share a time


def _stamp_of(p: Planned) -> tuple[datetime, bool]:
    """When a report counts as arrived, to the nearest STAMP_MINUTES: the time is inside the
    span rather than on its edge (09:07:06, not 09:00:00)."""
    a = p.arrives
    minute = a.minute - a.minute % STAMP_MINUTES
    offset = timedelta(minutes=(a.hour * 7 + minute) % STAMP_MINUTES, seconds=(a.day * 13) % 60)
    return a.replace(minute=minute, second=0) + offset, p.on_time


def _stamp(written: list[tuple[int, Planned]]) -> None:
    """Give written reports the time they arrived in the plan (new, each is its own first
    version: see Report).

    A day's reports are written in order of arrival, so reports sharing a time have consecutive
    ids: each run of them is one ranged UPDATE, all sent in one executemany."""
    runs: list[tuple[datetime, bool, int, int]] = []
    for pk, p in sorted(written, key=lambda w: w[0]):
        moment, on_time = _stamp_of(p)
        if runs and runs[-1][:2] == (moment, on_time) and runs[-1][3] == pk - 1:
            runs[-1] = (moment, on_time, runs[-1][2], pk)
        else:
            runs.append((moment, on_time, pk, pk))
    ops = connection.ops
    q = ops.quote_name
    reports = Report._meta.db_table
    stamps = [
        (ops.adapt_datetimefield_value(timezone.make_aware(moment)), on_time, first, last)
        for moment, on_time, first, last in runs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {q(reports)} SET {q('submitted_at')} = %s, {q('updated_at')} = %s, "  # noqa: S608
            f"{q('on_time')} = %s WHERE {q('id')} BETWEEN %s AND %s",
            [(at, at, on_time, first, last) for at, on_time, first, last in stamps],
        )


def figures_on_end() -> dict[str, Any]:
    """The province's figures on the brief's date, from the rollups (what the dashboard shows)."""
    from stats.queries import View, figures

    return figures(View(prefix=PROVINCE[:2]), END)


def load(usccs: Iterable[str] | None = None) -> Result:
    """Add the demo reports, period and risk levels that are missing (the demo register must be
    loaded first: registry.demo.load)."""
    started = time.perf_counter()
    if usccs is None:
        from registry import demo as registry_demo

        usccs = [e.uscc for e in registry_demo.build_plan().enterprises]
    result = Result()
    with transaction.atomic():
        _ensure_period_and_levels(result)
        facts = facts_from_register(usccs)
        enterprises = {
            e.uscc: e
            for e in Enterprise.objects.filter(uscc__in=[f.uscc for f in facts]).only(
                "pk", "uscc", "region_id", "headcount", "industry_id"
            )
        }
        have = set(
            Report.objects.filter(
                enterprise_id__in=[e.pk for e in enterprises.values()],
                date__gte=START,
                date__lte=END,
            ).values_list("enterprise_id", "date")
        )
        by_day: dict[date, list[Planned]] = defaultdict(list)
        # Each day's reports in order of arrival, so their ids are too (see _stamp).
        for p in sorted(plan(facts), key=lambda p: (p.day, p.arrives, p.uscc)):
            if (enterprises[p.uscc].pk, p.day) in have:
                result.reports_kept += 1
            else:
                by_day[p.day].append(p)
        written: list[tuple[int, Planned]] = []
        today = timezone.localdate()
        for day in sorted(by_day):
            items = []
            for i, p in enumerate(by_day[day]):
                e = enterprises[p.uscc]
                cleaned = actions.clean(p.values, e, today)
                if cleaned.errors:  # the generator's fault: say which rule it broke
                    raise ValueError(f"demo report {p.uscc} {day}: {cleaned.errors}")
                items.append(actions.Item(e, cleaned.values, i))
            outcomes = actions.write(items, actor=None, source="demo")
            for o in outcomes:
                if o.errors:
                    # Only a date an official has locked can refuse a valid report: leave it.
                    result.reports_refused += 1
                    continue
                if o.created and o.report_id is not None:
                    written.append((o.report_id, by_day[day][o.index]))
        if written:
            _stamp(written)
            # on_time changed under the rollups' feet: recompute them from the raw reports.
            rollups.rebuild()
        result.reports_created = len(written)
        if written or result.risk_levels_created or result.emergency_created:
            record(
                "load_demo_reports",
                object_type="demo",
                object_id=PROVINCE,
                reports_created=len(written),
                risk_levels_created=result.risk_levels_created,
            )
    result.seconds = time.perf_counter() - started
    return result
