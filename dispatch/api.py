"""Reports under /api/v1/reports: one, a batch (per-row outcomes), corrections, versions, locks.

Writes honour Idempotency-Key. The same rule set as the form and the spreadsheet (actions.clean),
the same write path (actions.write).
"""

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status

from accounts import scope
from lib import gcpause, idempotency
from regions.models import Region
from registry.schemas import ValidationErrors

from . import actions, calendar
from .models import Report
from .schemas import (
    BatchIn,
    BatchOut,
    LockIn,
    LockOut,
    ReportIn,
    ReportOut,
    ReportPage,
    VersionOut,
)

router = Router()
MAX_PAGE_SIZE = 500
MAX_PAGE = 1_000_000  # a larger offset overflows the database's integers (found by schemathesis)
NOT_FOUND = "没有这家企业，或不在您的范围内 (no such enterprise in your scope)"


class NotFound(Schema):
    """What an Http404 answers (fugong/api.py), documented so clients and the schema agree."""

    detail: str


def as_dict(report: Any, uscc: str) -> dict[str, Any]:
    """A report's answer (report: a Report, or anything with its fields, as dispatch.quick's)."""
    return {
        "id": report.pk,
        "enterprise": uscc,
        "date": report.date,
        "status": report.status,
        "staff_on_site": report.staff_on_site,
        "capacity_pct": report.capacity_pct,
        "temperature_checks": report.temperature_checks,
        "disinfection": report.disinfection,
        "mask_days": report.mask_days,
        "fever": report.fever,
        "suspected": report.suspected,
        "confirmed": report.confirmed,
        "difficulties": report.difficulties,
        "over_headcount_reason": report.over_headcount_reason,
        "note": report.note,
        "on_time": report.on_time,
        "version": report.version,
        "submitted_at": report.submitted_at,
        "updated_at": report.updated_at,
    }


def uscc_as_sent(text: str) -> str:
    """An enterprise code as sent. One with a NUL byte matches nothing (and is not sent to the
    database: PostgreSQL refuses NUL in text, which answered 500; found by schemathesis)."""
    return "" if "\x00" in text else text.strip().upper()


def _errors(errors: dict[str, str]) -> dict:
    return {
        "detail": [
            {"loc": ["body", name], "msg": msg, "type": "value_error"}
            for name, msg in errors.items()
        ]
    }


@router.post(
    "",
    response={
        200: ReportOut,
        201: ReportOut,
        404: ValidationErrors,
        409: ValidationErrors,
        422: ValidationErrors,
    },
    summary="Submit or correct one report (201 new; 200 corrected, unchanged or replayed)",
)
def submit(request: HttpRequest, payload: ReportIn):
    uscc = uscc_as_sent(payload.enterprise)
    raw = payload.dict(exclude={"enterprise"})

    def compute() -> tuple[int, Any]:
        enterprise = actions.reportable(request.user, [uscc]).get(uscc)
        if enterprise is None:
            return 404, _errors({"enterprise": NOT_FOUND})
        try:
            report, created = actions.submit(
                actor=request.user,
                enterprise=enterprise,
                raw=raw,
                source="api",
                request=request,
            )
        except actions.InvalidReport as exc:
            return 422, _errors(exc.errors)
        return (201 if created else 200), as_dict(report, enterprise.uscc)

    return idempotency.run(request, compute)


@router.post(
    "/batch",
    response={200: BatchOut, 409: ValidationErrors, 422: ValidationErrors},
    summary="Submit many reports; good rows are kept, bad rows are listed with reasons",
)
def batch(request: HttpRequest, payload: BatchIn):
    def compute() -> tuple[int, Any]:
        return 200, submit_rows(request, [r.dict() for r in payload.reports], source="batch")

    return idempotency.run(request, compute)


@gcpause.paused()
def submit_rows(request, rows: list[dict[str, Any]], *, source: str) -> dict[str, Any]:
    """Check every row with the rule set, write the good ones in one go, say what became of each.
    Python's cyclic collector is paused meanwhile (lib.gcpause)."""
    user = request.user
    usccs = [uscc_as_sent(str(r.get("enterprise") or "")) for r in rows]
    enterprises = actions.reportable(user, usccs).get
    today = calendar.today()
    outcomes: list[dict[str, Any]] = []
    items: list[actions.Item] = []
    for index, (raw, uscc) in enumerate(zip(rows, usccs, strict=True)):
        row = {"index": index, "enterprise": uscc, "date": str(raw.get("date") or "")[:32]}
        outcomes.append(row)
        enterprise = enterprises(uscc)
        if enterprise is None:
            row["outcome"], row["errors"] = "rejected", {"enterprise": NOT_FOUND}
            continue
        cleaned = actions.clean(raw, enterprise, today)
        if cleaned.errors:
            row["outcome"], row["errors"] = "rejected", cleaned.errors
            continue
        items.append(actions.Item(enterprise, cleaned.values, index))
    if items:
        for result in actions.write(items, actor=user, source=source, request=request):
            row = outcomes[result.index]
            if result.errors:
                row["outcome"], row["errors"] = "rejected", result.errors
            else:
                row["outcome"] = (
                    "created" if result.created else "corrected" if result.changed else "unchanged"
                )
                row["report"], row["errors"] = result.report_id, {}
    counts: dict[Any, int] = {k: 0 for k in ("created", "corrected", "unchanged", "rejected")}
    for row in outcomes:
        counts[row["outcome"]] += 1
    return {**counts, "rows": outcomes}


class ListQuery(Schema):
    enterprise: str = ""
    region: str = ""
    date: str = ""
    since: str = ""
    until: str = ""
    page: int = 1
    page_size: int = 100


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("", response=ReportPage, summary="Reports of the enterprises in your scope")
def list_(request: HttpRequest, params: Query[ListQuery]):
    qs = Report.objects.filter(enterprise__in=scope.enterprises(request.user))  # type: ignore[arg-type]
    if params.enterprise:
        qs = qs.filter(enterprise__uscc=uscc_as_sent(params.enterprise))
    if params.region and params.region.isdigit() and len(params.region) == 6:
        qs = qs.filter(county__startswith=_prefix(params.region))
    for name, lookup in (("date", "date"), ("since", "date__gte"), ("until", "date__lte")):
        day = _day(getattr(params, name))
        if day:
            qs = qs.filter(**{lookup: day})
    page_size = max(1, min(params.page_size, MAX_PAGE_SIZE))
    page = max(1, min(params.page, MAX_PAGE))
    count = qs.count()
    rows = qs.select_related("enterprise").order_by("-date", "enterprise_id")[
        (page - 1) * page_size : page * page_size
    ]
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "items": [as_dict(r, r.enterprise.uscc) for r in rows],
    }


def _prefix(code: str) -> str:
    from regions.models import prefix_of

    return prefix_of(code)


@router.get(
    "/{uscc}/{day}/versions",
    response={200: list[VersionOut], 404: NotFound},
    summary="Every version of one report (who, when, what changed)",
)
def versions(request: HttpRequest, uscc: str, day: str):
    enterprise = scope.enterprise_or_404(request.user, uscc_as_sent(uscc), request)  # type: ignore[arg-type]
    parsed = _day(day)
    if parsed is None:
        raise Http404
    report = (
        Report.objects.filter(enterprise=enterprise, date=parsed)
        .select_related("submitted_by")
        .first()
    )
    if report is None:
        raise Http404
    return [
        {
            "version": v.version,
            "at": v.at,
            "actor": v.actor.username if v.actor else None,
            "source": v.source,
            "changes": v.changes,
        }
        for v in actions.versions(report)
    ]


def _lock_target(request, payload: LockIn) -> tuple[Region, date]:
    # Region codes are digits; anything else names none (and a NUL byte made PostgreSQL fail: 500).
    region = (
        Region.objects.filter(code=payload.region).first() if payload.region.isdigit() else None
    )
    parsed = _day(payload.date)
    if region is None or parsed is None or not actions.can_manage(request.user, region):
        raise Http404
    return region, parsed


@router.post(
    "/locks",
    response={200: LockOut, 404: NotFound},
    summary="Lock a date for a region: its reports stop changing",
)
def lock(request: HttpRequest, payload: LockIn):
    region, day = _lock_target(request, payload)
    actions.lock_period(actor=request.user, region=region, day=day, request=request)
    return Status(200, {"region": region.code, "date": day, "locked": True})


@router.post(
    "/unlocks",
    response={200: LockOut, 403: NotFound, 404: NotFound},
    summary="Unlock a date for a region (403: the lock was set from above you)",
)
def unlock(request: HttpRequest, payload: LockIn):
    region, day = _lock_target(request, payload)
    try:
        actions.unlock_period(actor=request.user, region=region, day=day, request=request)
    except actions.LockedAbove as e:
        who = e.by or "管理员"
        detail = f"该锁定由{who}设置，只能由其或上级解除 (locked from above you: only they can unlock it)"
        return Status(403, {"detail": detail})
    return Status(200, {"region": region.code, "date": day, "locked": False})
