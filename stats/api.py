"""GET /api/v1/stats and /api/v1/brief: DESIGN.md's figures for a region as of a date."""

from datetime import date

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from accounts import scope
from dispatch.calendar import askable, is_reporting_day, today

from . import queries

router = Router()


class StatsQuery(Schema):
    region: str = ""
    date: str = ""
    industry: str = ""
    size: str = ""
    tag: str = ""
    park: int = 0


class StatsOut(Schema):
    region: str
    date: date
    reporting_day: bool
    expected: int
    reported: int
    not_reported: int
    on_time: int
    resumed: int
    full: int
    resumption_rate: float | None
    headcount: int
    staff_on_site: int
    staff_return_rate: float | None
    capacity_recovery: float | None
    completeness: float | None
    timeliness: float | None
    fever: int
    suspected: int
    confirmed: int


class NotFound(Schema):
    """What an Http404 answers (a region out of scope, a date that is not one)."""

    detail: str


class BriefOut(Schema):
    region: str
    date: date
    text: str


def resolve(request: HttpRequest, params: StatsQuery) -> tuple[queries.View, date, str]:
    try:
        day = date.fromisoformat(params.date) if params.date else today()
    except ValueError:
        raise Http404 from None
    if not askable(day):
        raise Http404
    if any("\x00" in text for text in (params.region, params.industry, params.size, params.tag)):
        # No region, industry, size or tag holds a NUL byte, and PostgreSQL refuses one in a
        # query (it answered 500; found by schemathesis).
        raise Http404
    view = queries.view_for(
        request.user,
        params.region,
        division=params.industry[:2] if params.industry else "",
        size=params.size,
        tag=params.tag,
        park=params.park,
    )
    region = params.region or getattr(request.user, "region_id", None) or ""
    return view, day, region


@router.get(
    "/stats",
    response={200: StatsOut, 404: NotFound},
    summary="Resumption figures for a region as of a date",
)
def stats(request: HttpRequest, params: Query[StatsQuery]):
    view, day, region = resolve(request, params)
    return {
        "region": region,
        "date": day,
        "reporting_day": is_reporting_day(day),
        **queries.figures(view, day),
    }


@router.get(
    "/brief",
    response={200: BriefOut, 404: NotFound},
    summary="The daily brief paragraph for a region and date",
)
def brief(request: HttpRequest, params: Query[StatsQuery]):
    from . import brief as briefs

    view, day, region = resolve(request, params)
    may_see = scope.can_see_problem_metrics(request.user)  # type: ignore[arg-type]
    text = briefs.text(view, day, problems=may_see)
    return {"region": region, "date": day, "text": text}
