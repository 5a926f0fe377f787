"""Reads the dashboard needs beyond stats.queries: rows by the real child regions (municipal
districts and province-administered counties hang directly below their province), a county's
enterprises with their report for the date, the previous reporting day, the map's items, reminders
already recorded and the period locks in effect. Every read is bounded by what one page shows.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch

from dispatch.calendar import is_reporting_day
from dispatch.models import Cadence, Duty, PeriodLock, Reminder, Report
from regions.models import Level, Region
from registry.models import Contact

from . import maps, numbers, queries
from .queries import Row, View

RATES = ("resumption_rate", "capacity_recovery", "staff_return_rate", "completeness", "timeliness")


def region_code(prefix: str) -> str:
    """The region a code prefix stands for ('' for the whole country): 15 → 150000."""
    return prefix.ljust(6, "0") if prefix else ""


def region_of(view: View) -> Region | None:
    """The view's region with its parents (for breadcrumbs without a query per level)."""
    if not view.prefix:
        return None
    return Region.objects.select_related("parent__parent").get(code=region_code(view.prefix))


def children(region: Region | None) -> dict[str, Region]:
    """The regions directly below (the provinces below the country)."""
    qs = (
        Region.objects.filter(parent=region)
        if region is not None
        else Region.objects.filter(level=Level.PROVINCE)
    )
    return {r.code: r for r in qs.filter(active=True).only("code", "name", "longitude", "latitude")}


def _child_of(county: str, below: dict[str, Region], prefix: str) -> str:
    """Which child region holds `county`: the county itself (a municipal district, a county
    directly under its province, a city without counties such as 东莞), its city, its province."""
    for code in (county, county[:4] + "00", county[:2] + "0000"):
        if code in below:
            return code
    return queries.child_code(prefix, county)


def by_child_region(view: View, day: date, below: dict[str, Region]) -> list[Row]:
    """One row per child region holding expected enterprises or reports, with a drill-down."""
    counties = queries.by_county(view, day)
    # queries._fold sums the per-county figures, weighted capacity included, and derives again.
    folded = queries._fold(counties, lambda c: _child_of(c, below, view.prefix))
    rows = []
    for code in sorted(folded):
        region = below.get(code)
        rows.append(
            Row(
                key=code,
                label=region.name if region else code,
                figures=folded[code],
                drill=code if region is not None else "",
            )
        )
    return rows


@dataclass
class EnterpriseLine:
    """One expected enterprise of a county and the report that counts for it on the date."""

    duty: Duty
    report: Report | None

    @property
    def enterprise(self):
        return self.duty.enterprise


def enterprise_page(view: View, day: date, number: Any, per_page: int = 50) -> Page:
    """The enterprises expected to report on `day` in the view, a page of them, each with its
    counting report (daily: that day's; weekly: the latest of the last seven days)."""
    duties = (
        queries._filter(Duty.objects.filter(cadence__in=queries.cadences(day)), view)
        .select_related("enterprise")
        .order_by("enterprise__name", "enterprise_id")
    )
    page = Paginator(duties, per_page).get_page(number)
    ids = [d.enterprise_id for d in page.object_list]
    counting: dict[int, Report] = {}
    if ids:
        cadence = {d.enterprise_id: d.cadence for d in page.object_list}
        for r in Report.objects.filter(
            enterprise_id__in=ids, date__gt=day - timedelta(days=7), date__lte=day
        ).order_by("date"):
            if cadence[r.enterprise_id] == Cadence.DAILY and r.date != day:
                continue
            counting[r.enterprise_id] = r  # ascending dates: the latest wins
    page.object_list = [EnterpriseLine(d, counting.get(d.enterprise_id)) for d in page.object_list]
    return page


def not_reported_page(view: View, day: date, number: Any, per_page: int = 50) -> Page:
    """A page of the not-yet-reported list, with each enterprise's contacts (shown masked)."""
    duties = queries.not_reported(view, day).prefetch_related(
        Prefetch("enterprise__contacts", queryset=Contact.objects.order_by("pk"))
    )
    return Paginator(duties, per_page).get_page(number)


def reminded(enterprise_ids: list[int], day: date) -> set[int]:
    """Which of these enterprises have already been reminded for `day`."""
    if not enterprise_ids:
        return set()
    return set(
        Reminder.objects.filter(enterprise_id__in=enterprise_ids, date=day).values_list(
            "enterprise_id", flat=True
        )
    )


def previous_reporting_day(day: date, limit: int = 15) -> date | None:
    """The reporting day before `day` (the KPI cards' comparison); None after `limit` days
    without one."""
    for back in range(1, limit + 1):
        candidate = day - timedelta(days=back)
        if is_reporting_day(candidate):
            return candidate
    return None


def locks_over(code: str, day: date) -> list[PeriodLock]:
    """Locks of `day` covering the region `code`: on it or on a region above it."""
    if not code:
        return []
    above = {code[:2] + "0000", code[:4] + "00", code}
    return list(
        PeriodLock.objects.filter(date=day, region_id__in=above)
        .select_related("region", "locked_by")
        .order_by("region_id")
    )


def _pct(rate: float | None) -> float | None:
    value = numbers.percentage(rate)
    return None if value is None else float(value)


def map_items(view: View, day: date, region: Region | None) -> list[dict[str, Any]]:
    """The map's data: each child region with its figures, its feature name on the map file
    (country and province levels) or its point (city level: counties at their coordinates)."""
    below = children(region)
    rows = by_child_region(view, day, below)
    names = (
        maps.feature_names(view.prefix, {r.key: r.label for r in rows})
        if region is None or (region.level == Level.PROVINCE)
        else {}
    )
    items = []
    for row in rows:
        f = row.figures
        child = below.get(row.key)
        items.append(
            {
                "code": row.key,
                "name": row.label,
                "map_name": names.get(row.key, ""),
                "value": _pct(f["resumption_rate"]),
                "expected": f["expected"],
                "reported": f["reported"],
                "resumed": f["resumed"],
                **{rate: f[rate] for rate in RATES},
                "lng": float(child.longitude) if child and child.longitude is not None else None,
                "lat": float(child.latitude) if child and child.latitude is not None else None,
                "drill": row.drill,
            }
        )
    return items


def by_risk(view: View, day: date) -> list[Row]:
    """Figures by the risk level in effect for each county (分区分级): stats.queries.by_risk,
    named here too because stats.brief reads its tables from this module."""
    return queries.by_risk(view, day)
