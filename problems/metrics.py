"""Problem metrics of a region subtree (optionally one department kind or one handler) over a
range of local dates, as the 12345 hotlines measure them. Every figure comes from aggregate
queries (COUNT … FILTER, GROUP BY); the median reads at most two rows; no loop over problems.

Definitions ("in the range": on or after the first date and before the day after the last,
local time; "now": the moment asked, default the present):
- new 新增: problems raised in the range.
- closed 办结: problems closed in the range (whenever they were raised).
- response rate 响应率 = responded on time ÷ due for a response, over the problems raised in the
  range. Due for a response: accepted, or past the accept-by deadline now, or escalated once for
  being late to accept. Responded on time: first accepted by the accept-by deadline then in force
  and never escalated for being late to accept.
- resolution rate 解决率 = confirmed or closed ÷ new (problems raised in the range).
- satisfaction rate 满意率 = ratings of 4 or 5 ÷ ratings, over the ratings given in the range.
- overdue 超期: problems raised by the end of the range that are open now and past their
  deadline now (accept-by while waiting to be accepted; answer-by once accepted).
- median hours to answer 答复用时中位数: over the problems first answered in the range, the median of
  the hours from raising to the first answer (the mean of the middle two for an even count).
- category mix 类别分布: problems raised in the range, per local day and category.

brief_line() writes the daily brief's sentence: new and closed on that day, and the satisfaction
rate of all ratings given up to the end of that day (one day's ratings are too few to be a rate).
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from regions.models import prefix_of
from stats import numbers

from .models import DONE, Department, Problem, overdue_q

COUNTS = (
    "new",
    "closed",
    "due",
    "responded",
    "resolved",
    "rated",
    "satisfied",
    "overdue",
    "answered",
)


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local midnight of the first day and of the day after the last."""
    lo = timezone.make_aware(datetime.combine(start, time.min))
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return lo, hi


def problems_of(prefix: str, *, kind: str = "", handler_id: int | None = None) -> QuerySet[Problem]:
    qs = Problem.objects.filter(county__startswith=prefix) if prefix else Problem.objects.all()
    if kind:
        qs = qs.filter(department__kind=kind)
    if handler_id is not None:
        qs = qs.filter(handler_id=handler_id)
    return qs


def _aggregates(lo: datetime, hi: datetime, now: datetime) -> dict[str, Count]:
    raised = Q(created_at__gte=lo, created_at__lt=hi)
    rated = Q(confirmed_at__gte=lo, confirmed_at__lt=hi, rating__isnull=False)
    due = Q(accepted_at__isnull=False) | Q(accept_due__lt=now) | Q(missed_accept=True)
    return {
        "new": Count("pk", filter=raised),
        "closed": Count("pk", filter=Q(closed_at__gte=lo, closed_at__lt=hi)),
        "due": Count("pk", filter=raised & due),
        "responded": Count("pk", filter=raised & Q(accepted_on_time=True)),
        "resolved": Count("pk", filter=raised & Q(status__in=DONE)),
        "rated": Count("pk", filter=rated),
        "satisfied": Count("pk", filter=rated & Q(rating__gte=4)),
        "overdue": Count("pk", filter=Q(created_at__lt=hi) & overdue_q(now)),
        "answered": Count("pk", filter=Q(answered_at__gte=lo, answered_at__lt=hi)),
    }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _with_rates(counts: dict[str, Any]) -> dict[str, Any]:
    out = {k: counts.get(k) or 0 for k in COUNTS}
    out["response_rate"] = _rate(out["responded"], out["due"])
    out["resolution_rate"] = _rate(out["resolved"], out["new"])
    out["satisfaction_rate"] = _rate(out["satisfied"], out["rated"])
    return out


def median_hours(qs: QuerySet[Problem], lo: datetime, hi: datetime, count: int) -> float | None:
    """The median of first-answer times (hours) of the problems of `qs` first answered in the
    range; `count` is how many there are (from the aggregate). One query of one or two rows."""
    if not count:
        return None
    took = ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField())
    ordered = (
        qs.filter(answered_at__gte=lo, answered_at__lt=hi)
        .annotate(took=took)
        .order_by("took", "pk")
        .values_list("took", flat=True)
    )
    middle = count // 2
    rows = list(ordered[middle : middle + 1] if count % 2 else ordered[middle - 1 : middle + 1])
    seconds = sum(d.total_seconds() for d in rows) / len(rows)
    return round(seconds / 3600, 1)


def figures(
    prefix: str,
    start: date,
    end: date,
    *,
    kind: str = "",
    handler_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The figures of the module docstring for one subtree (and kind, handler) and range."""
    now = now or timezone.now()
    lo, hi = bounds(start, end)
    qs = problems_of(prefix, kind=kind, handler_id=handler_id)
    out = _with_rates(qs.aggregate(**_aggregates(lo, hi, now)))
    out["median_hours_to_answer"] = median_hours(qs, lo, hi, out["answered"])
    return out


def by_department(
    prefix: str, start: date, end: date, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The figures per current desk (one grouped query, then one small median query per desk)."""
    now = now or timezone.now()
    lo, hi = bounds(start, end)
    qs = problems_of(prefix)
    grouped = qs.values("department").annotate(**_aggregates(lo, hi, now)).order_by("department")
    desks = Department.objects.in_bulk([g["department"] for g in grouped])
    rows = []
    for g in grouped:
        row = _with_rates(g)
        if not any(row[k] for k in COUNTS):
            continue
        desk = desks[g["department"]]
        row["department"] = desk
        row["median_hours_to_answer"] = median_hours(
            qs.filter(department=desk), lo, hi, row["answered"]
        )
        rows.append(row)
    rows.sort(key=lambda r: (r["department"].region_id, r["department"].kind))
    return rows


def by_handler(
    prefix: str, start: date, end: date, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The figures per named handler (problems with no handler are left out)."""
    now = now or timezone.now()
    lo, hi = bounds(start, end)
    qs = problems_of(prefix).filter(handler__isnull=False)
    grouped = (
        qs.values("handler", "handler__username", "handler__first_name", "handler__last_name")
        .annotate(**_aggregates(lo, hi, now))
        .order_by("handler__username")
    )
    rows = []
    for g in grouped:
        row = _with_rates(g)
        if not any(row[k] for k in COUNTS):
            continue
        row["handler_id"] = g["handler"]
        row["username"] = g["handler__username"]
        row["name"] = (g["handler__last_name"] + g["handler__first_name"]) or g["handler__username"]
        row["median_hours_to_answer"] = median_hours(
            qs.filter(handler_id=g["handler"]), lo, hi, row["answered"]
        )
        rows.append(row)
    return rows


def category_mix(
    prefix: str, start: date, end: date, *, kind: str = "", handler_id: int | None = None
) -> list[dict[str, Any]]:
    """[{date, category, count}] for problems raised in the range, by local day."""
    lo, hi = bounds(start, end)
    rows = (
        problems_of(prefix, kind=kind, handler_id=handler_id)
        .filter(created_at__gte=lo, created_at__lt=hi)
        .annotate(day=TruncDate("created_at"))
        .values("day", "category")
        .annotate(count=Count("pk"))
        .order_by("day", "category")
    )
    return [{"date": r["day"], "category": r["category"], "count": r["count"]} for r in rows]


def brief_line(region_code: str, day: date) -> str:
    """本日新增诉求N件，办结M件，满意率P% for a region's subtree on a local date."""
    prefix = prefix_of(region_code) if region_code else ""
    lo, hi = bounds(day, day)
    qs = problems_of(prefix)
    rated = Q(confirmed_at__lt=hi, rating__isnull=False)
    c = qs.aggregate(
        new=Count("pk", filter=Q(created_at__gte=lo, created_at__lt=hi)),
        closed=Count("pk", filter=Q(closed_at__gte=lo, closed_at__lt=hi)),
        rated=Count("pk", filter=rated),
        satisfied=Count("pk", filter=rated & Q(rating__gte=4)),
    )
    text = f"本日新增诉求{numbers.count(c['new'], '件')}，办结{numbers.count(c['closed'], '件')}"
    if not c["rated"]:
        return text + "，尚无企业评价"
    return text + f"，满意率{numbers.percent(c['satisfied'] / c['rated'])}"
