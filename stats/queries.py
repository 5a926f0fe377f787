"""The figures of DESIGN.md's definitions for a region subtree as of a date, from the rollup
tables only (a dashboard costs O(regions shown), never O(reports stored)).

"As of D": daily reporters count on D if D is a reporting day (a working day, or any day of an
emergency period); weekly reporters always count, with their latest report of the last 7 days.
Expected figures come from the register as it stands.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django.db.models import Max, Q, QuerySet, Sum
from django.http import Http404

from accounts import scope
from accounts.models import Role
from dispatch.calendar import is_reporting_day
from dispatch.models import (
    MEASURES,
    Cadence,
    CountyDay,
    CountyRegister,
    CountyRisk,
    Duty,
    RegisterRollup,
    Report,
    RiskLevel,
    Rollup,
)
from dispatch.rollups import vector
from regions.models import Region, prefix_of
from registry.models import Park, Tag


@dataclass(frozen=True)
class View:
    """What a figure covers: a region subtree and optional dimension filters."""

    prefix: str = ""  # region-code prefix; '' is the whole country
    divisions: tuple[str, ...] = ()  # industry divisions (an association's scope, or a filter)
    size: str = ""
    tag: str = ""
    park: int = 0

    @property
    def detailed(self) -> bool:
        return bool(self.divisions or self.size or self.tag or self.park)

    def narrowed(self, **changes: Any) -> "View":
        return replace(self, **changes)


def park_root(park: Park) -> str:
    """The region prefix a park's figures start from: its county, or its city when some of its
    enterprises are registered in another county of the city (as resolve_park admits them)."""
    cached = getattr(park, "_root", None)  # asked twice a request (scope, breadcrumbs)
    if cached is not None:
        return cached
    own = prefix_of(park.region_id)
    if len(own) > 4 and park.enterprises.exclude(region_id=park.region_id).exists():
        own = own[:4]
    park._root = own  # type: ignore[attr-defined]
    return own


def view_for(user, region: str = "", **filters: Any) -> View:
    """The caller's view of `region` (default: their own root); out of scope is 404."""
    if not user.is_authenticated:
        raise Http404
    own = scope.region_prefix(user)
    divisions: tuple[str, ...] = ()
    park = 0
    if own is None:
        if user.role == Role.ASSOCIATION:
            divisions = tuple(d for d in user.industry_divisions if isinstance(d, str) and d)
            own = ""
        elif user.role == Role.PARK_MANAGER and user.park_id:
            park = user.park_id
            own = park_root(user.park)
        else:
            raise Http404
        if not divisions and not park:
            raise Http404
    prefix = own
    if region:
        try:
            prefix = prefix_of(region)
        except ValueError:
            raise Http404 from None
        if not prefix.startswith(own) or not Region.objects.filter(code=region).exists():
            raise Http404
    wanted_park = int(filters.get("park") or 0)
    if wanted_park and not park:
        # a park of the caller's subtree (its name shows in the brief), else 404
        if not Park.objects.filter(pk=wanted_park, region__code__startswith=own).exists():
            raise Http404
    wanted = filters.get("division") or ""
    if wanted:
        if divisions and wanted not in divisions:
            raise Http404
        divisions = (wanted,)
    return View(
        prefix=prefix,
        divisions=divisions,
        size=filters.get("size") or "",
        tag=filters.get("tag") or "",
        park=park or wanted_park,
    )


def cadences(day: date) -> list[str]:
    return [Cadence.WEEKLY, Cadence.DAILY] if is_reporting_day(day) else [Cadence.WEEKLY]


def _tag_q(tag: str) -> Q:
    return (
        Q(tagset=tag)
        | Q(tagset__startswith=tag + ",")
        | Q(tagset__endswith="," + tag)
        | Q(tagset__contains="," + tag + ",")
    )


def _filter(qs: QuerySet, view: View) -> QuerySet:
    if view.prefix:
        qs = qs.filter(county__startswith=view.prefix)
    if view.divisions:
        qs = qs.filter(division__in=view.divisions)
    if view.size:
        qs = qs.filter(size=view.size)
    if view.tag:
        qs = qs.filter(_tag_q(view.tag))
    if view.park:
        qs = qs.filter(park_id=view.park)
    return qs


def register_rows(view: View, day: date) -> QuerySet:
    model = RegisterRollup if view.detailed else CountyRegister
    return _filter(model.objects.filter(cadence__in=cadences(day)), view)


def report_rows(view: View, day: date) -> QuerySet:
    model = Rollup if view.detailed else CountyDay
    return _filter(model.objects.filter(date=day, cadence__in=cadences(day)), view)


REGISTER_SUMS = {"expected": Sum("enterprises"), "headcount": Sum("headcount")}
REPORT_SUMS = {m: Sum(m) for m in MEASURES}


def _ratio(part: int, whole: int) -> float | None:
    # Unrounded: a rate rounded here and again as a percentage would read 54.6% for 6 of 11.
    return part / whole if whole else None


def derive(register: dict[str, Any], reports: dict[str, Any]) -> dict[str, Any]:
    """DESIGN.md's figures from summed register and report measures."""
    expected = register.get("expected") or 0
    headcount = register.get("headcount") or 0
    r = {m: reports.get(m) or 0 for m in MEASURES}
    return {
        "expected": expected,
        "reported": r["reported"],
        "not_reported": max(0, expected - r["reported"]),
        "on_time": r["on_time"],
        "resumed": r["resumed"],
        "full": r["full"],
        "resumption_rate": _ratio(r["resumed"], expected),
        "headcount": headcount,
        "staff_on_site": r["staff_on_site"],
        "staff_return_rate": _ratio(r["staff_on_site"], headcount),
        "capacity_recovery": (r["capacity_weighted"] / r["weight"] / 100 if r["weight"] else None),
        "completeness": _ratio(r["reported"], expected),
        "timeliness": _ratio(r["on_time"], expected),
        "fever": r["fever"],
        "suspected": r["suspected"],
        "confirmed": r["confirmed"],
    }


def figures(view: View, day: date) -> dict[str, Any]:
    """The headline figures of a view as of a date (two aggregate queries)."""
    register = register_rows(view, day).aggregate(**REGISTER_SUMS)
    reports = report_rows(view, day).aggregate(**REPORT_SUMS)
    return derive(register, reports)


def _fold(rows: dict[str, dict[str, Any]], key) -> dict[str, dict[str, Any]]:
    """Sum per-county figures into larger groups and derive the rates again."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for county, f in rows.items():
        target = sums[key(county)]
        for name in ("expected", "headcount", *MEASURES_OUT):
            target[name] += f[name] or 0
        target["capacity_weighted"] += f["_capacity_weighted"]
        target["weight"] += f["_weight"]
    out = {}
    for k, s in sums.items():
        out[k] = derive(
            {"expected": s["expected"], "headcount": s["headcount"]},
            {m: s[m] for m in MEASURES},
        )
    return out


MEASURES_OUT = (
    "reported",
    "on_time",
    "resumed",
    "full",
    "staff_on_site",
    "fever",
    "suspected",
    "confirmed",
)


def by_county(view: View, day: date) -> dict[str, dict[str, Any]]:
    """Per-county figures, keeping the weighted sums so they can be folded further."""
    register = {
        row["county"]: row
        for row in register_rows(view, day).values("county").annotate(**REGISTER_SUMS)
    }
    reports = {
        row["county"]: row
        for row in report_rows(view, day).values("county").annotate(**REPORT_SUMS)
    }
    out = {}
    for county in register.keys() | reports.keys():
        rep = reports.get(county, {})
        f = derive(register.get(county, {}), rep)
        f["_capacity_weighted"] = rep.get("capacity_weighted") or 0
        f["_weight"] = rep.get("weight") or 0
        out[county] = f
    return out


def child_code(prefix: str, county: str) -> str:
    """The child region of the region with `prefix` that holds `county`."""
    if prefix == "":
        return county[:2] + "0000"
    if len(prefix) == 2:
        return county[:4] + "00"
    return county


@dataclass
class Row:
    key: str
    label: str
    figures: dict[str, Any]
    drill: str = ""  # a region code to drill into, when there is one below


def by_region(view: View, day: date) -> list[Row]:
    """One row per child region (cities of a province, counties of a city)."""
    folded = _fold(by_county(view, day), lambda c: child_code(view.prefix, c))
    regions = {r.code: r for r in Region.objects.filter(code__in=list(folded))}
    rows = []
    for code in sorted(folded):
        region = regions.get(code)
        rows.append(
            Row(
                key=code,
                label=region.name if region else code,
                figures=folded[code],
                drill=code if len(view.prefix) < 6 and code != view.prefix else "",
            )
        )
    return rows


def by_risk(view: View, day: date) -> list[Row]:
    levels = risk_levels(view.prefix, day)
    folded = _fold(by_county(view, day), lambda c: levels.get(c, RiskLevel.LOW))
    return [
        Row(key=level, label=str(label), figures=folded[level])
        for level, label in RiskLevel.choices
        if level in folded
    ]


def by_column(view: View, day: date, column: str) -> list[Row]:
    """By industry division, size or park."""
    from industries.models import Industry
    from industries.sizes import SizeClass
    from registry.models import Park

    grouped = _grouped_detailed(view, day, column)
    if column == "division":
        names: dict[Any, str] = dict(
            Industry.objects.filter(code__in=list(grouped)).values_list("code", "name")
        )
    elif column == "size":
        names = {k: str(v) for k, v in SizeClass.choices}
    else:
        names = {
            k: v
            for k, v in Park.objects.filter(pk__in=[k for k in grouped if k]).values_list(
                "pk", "name"
            )
        }
        names[0] = "（不在园区 not in a park）"
    return [
        Row(key=str(k), label=names.get(k, str(k)), figures=grouped[k]) for k in sorted(grouped)
    ]


def _grouped_detailed(view: View, day: date, column: str) -> dict[Any, dict[str, Any]]:
    register = {
        row[column]: row
        for row in _filter(RegisterRollup.objects.filter(cadence__in=cadences(day)), view)
        .values(column)
        .annotate(**REGISTER_SUMS)
    }
    reports = {
        row[column]: row
        for row in _filter(Rollup.objects.filter(date=day, cadence__in=cadences(day)), view)
        .values(column)
        .annotate(**REPORT_SUMS)
    }
    return {k: derive(register.get(k, {}), reports.get(k, {})) for k in register.keys() | reports}


def by_tag(view: View, day: date) -> list[Row]:
    return [
        Row(key=t.value, label=str(t.label), figures=figures(view.narrowed(tag=t.value), day))
        for t in Tag
    ]


def trend(view: View, start: date, end: date) -> list[tuple[date, dict[str, Any]]]:
    """Figures for each date from start to end (two queries for the reports, one per cadence set)."""
    model = Rollup if view.detailed else CountyDay
    rows = (
        _filter(model.objects.filter(date__gte=start, date__lte=end), view)
        .values("date", "cadence")
        .annotate(**REPORT_SUMS)
    )
    reports: dict[tuple[date, str], dict] = {(r["date"], r["cadence"]): r for r in rows}
    reg_model = RegisterRollup if view.detailed else CountyRegister
    register = {
        r["cadence"]: r
        for r in _filter(reg_model.objects.all(), view).values("cadence").annotate(**REGISTER_SUMS)
    }
    out = []
    day = start
    while day <= end:
        counted = cadences(day)
        reg = {
            k: sum((register.get(c, {}).get(k) or 0) for c in counted)
            for k in ("expected", "headcount")
        }
        rep = {m: sum((reports.get((day, c), {}).get(m) or 0) for c in counted) for m in MEASURES}
        out.append((day, derive(reg, rep)))
        day += timedelta(days=1)
    return out


def risk_levels(prefix: str, day: date) -> dict[str, str]:
    """Each county's level in effect on `day` (counties never graded are absent: low)."""
    out: dict[str, tuple[date, str]] = {}
    rows = CountyRisk.objects.filter(effective_from__lte=day)
    if prefix:
        rows = rows.filter(region__code__startswith=prefix)
    for code, level, since in rows.values_list("region_id", "level", "effective_from"):
        if code not in out or out[code][0] < since:
            out[code] = (since, level)
    return {code: level for code, (since, level) in out.items()}


def risk_level(county: str, day: date) -> str:
    row = (
        CountyRisk.objects.filter(region_id=county, effective_from__lte=day)
        .order_by("-effective_from")
        .values_list("level", flat=True)
        .first()
    )
    return row or RiskLevel.LOW


def not_reported(view: View, day: date) -> QuerySet[Duty]:
    """Expected enterprises without a report counting on `day`."""
    counted = cadences(day)
    duties = _filter(Duty.objects.filter(cadence__in=counted), view)
    daily_done = Report.objects.filter(date=day).values("enterprise_id")
    weekly_done = Report.objects.filter(date__gt=day - timedelta(days=7), date__lte=day).values(
        "enterprise_id"
    )
    return (
        duties.exclude(Q(cadence=Cadence.DAILY) & Q(enterprise_id__in=daily_done))
        .exclude(Q(cadence=Cadence.WEEKLY) & Q(enterprise_id__in=weekly_done))
        .select_related("enterprise", "enterprise__region")
        .order_by("county", "enterprise__name")
    )


def latest_date(view: View) -> date | None:
    """The newest date with reports in the view (a sensible default for a dashboard)."""
    return _filter(CountyDay.objects.all(), View(prefix=view.prefix)).aggregate(d=Max("date"))["d"]


def from_raw(view: View, day: date) -> dict[str, Any]:
    """The same figures computed from raw reports and the register (the benchmark's comparison,
    and a check the tests use): no rollup table involved."""
    counted = cadences(day)
    duties = _filter(Duty.objects.filter(cadence__in=counted), view)
    register = duties.aggregate(headcount=Sum("headcount"))
    register["expected"] = duties.count()
    window_start = day - timedelta(days=6)
    reports = Report.objects.filter(
        enterprise__duty__in=duties, date__gte=window_start, date__lte=day
    )
    best: dict[int, Any] = {}
    cad = dict(duties.values_list("enterprise_id", "cadence"))
    weight = dict(duties.values_list("enterprise_id", "weight"))
    for r in reports.only(
        "enterprise_id",
        "date",
        "status",
        "on_time",
        "staff_on_site",
        "capacity_pct",
        "fever",
        "suspected",
        "confirmed",
    ):
        if cad.get(r.enterprise_id) == Cadence.DAILY and r.date != day:
            continue
        if r.enterprise_id not in best or best[r.enterprise_id].date < r.date:
            best[r.enterprise_id] = r
    sums = dict.fromkeys(MEASURES, 0)
    for eid, r in best.items():
        for m, v in zip(MEASURES, vector(r, weight[eid]), strict=True):
            sums[m] += v
    return derive(register, sums)
