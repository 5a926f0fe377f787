"""GET /api/v1/stats and /api/v1/brief: DESIGN.md's figures for a region as of a date."""

from datetime import date

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from dispatch.calendar import is_reporting_day, today

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


class BriefOut(Schema):
    region: str
    date: date
    text: str


def resolve(request: HttpRequest, params: StatsQuery) -> tuple[queries.View, date, str]:
    try:
        day = date.fromisoformat(params.date) if params.date else today()
    except ValueError:
        raise Http404 from None
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


@router.get("/stats", response=StatsOut, summary="Resumption figures for a region as of a date")
def stats(request: HttpRequest, params: Query[StatsQuery]):
    view, day, region = resolve(request, params)
    return {
        "region": region,
        "date": day,
        "reporting_day": is_reporting_day(day),
        **queries.figures(view, day),
    }


@router.get("/brief", response=BriefOut, summary="The daily brief paragraph for a region and date")
def brief(request: HttpRequest, params: Query[StatsQuery]):
    from . import brief as briefs  # type: ignore[attr-defined]

    view, day, region = resolve(request, params)
    return {"region": region, "date": day, "text": briefs.text(view, day)}
