"""Risk levels under /api/v1/risk-levels: the levels in effect for the counties of a region, and
setting one county's level from a date (officials within their area, administrators).

Reading is scoped like the figures (stats.queries.view_for: out of scope is 404); setting is
scoped like every other region write (actions.can_manage: out of scope is 404, as is a code that
names no region). Bad values are 422 with the field and a "中文 (English)" message.
"""

from datetime import date

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from regions.models import Level, Region
from registry.schemas import ValidationErrors
from stats import queries

from . import actions, calendar, risk
from .models import CountyRisk, RiskLevel

router = Router()


class RiskLevelsQuery(Schema):
    region: str = Field(default="", max_length=6, description="six-digit code; default your area")
    date: str = Field(default="", max_length=10, description="YYYY-MM-DD; default today")


class CountyLevelOut(Schema):
    region: str
    name: str
    level: str = Field(description="low, medium or high (a county never graded is low)")
    effective_from: date | None = Field(description="when the level in effect was set to start")


class RiskLevelsOut(Schema):
    region: str
    date: date
    items: list[CountyLevelOut]


class RiskLevelIn(Schema):
    region: str = Field(max_length=12, description="a county's six-digit code")
    level: str = Field(max_length=16, description="low, medium or high (低, 中, 高 also accepted)")
    effective_from: str = Field(max_length=32, description="YYYY-MM-DD: the first day it applies")


class RiskLevelOut(Schema):
    region: str
    name: str
    level: str
    effective_from: date
    source: str


class NotFound(Schema):
    detail: str


def _invalid(field: str, message: str) -> dict:
    return {"detail": [{"loc": ["body", field], "msg": message, "type": "value_error"}]}


@router.get(
    "",
    response={200: RiskLevelsOut, 404: NotFound, 422: ValidationErrors},
    summary="Risk levels in effect on a date for the counties of a region",
)
def levels(request: HttpRequest, params: Query[RiskLevelsQuery]):
    view = queries.view_for(request.user, params.region)  # 404 out of scope
    if params.date:
        day = risk.parse_date(params.date)
        if day is None:
            return Status(
                422,
                {
                    "detail": [
                        {"loc": ["query", "date"], "msg": risk.BAD_DATE, "type": "value_error"}
                    ]
                },
            )
    else:
        day = calendar.today()
    in_effect = risk.in_effect(view.prefix, day)
    counties = Region.objects.filter(level=Level.COUNTY, active=True)
    if view.prefix:
        counties = counties.filter(code__startswith=view.prefix)
    items = []
    for code, name in counties.order_by("code").values_list("code", "name"):
        since, level = in_effect.get(code, (None, RiskLevel.LOW))
        items.append({"region": code, "name": name, "level": level, "effective_from": since})
    region = params.region or getattr(request.user, "region_id", None) or ""
    return {"region": region, "date": day, "items": items}


@router.post(
    "",
    response={200: RiskLevelOut, 201: RiskLevelOut, 404: NotFound, 422: ValidationErrors},
    summary="Set a county's risk level from a date (200 when that date's level is replaced)",
)
def set_level(request: HttpRequest, payload: RiskLevelIn):
    region = Region.objects.filter(code=payload.region.strip()).first()
    if region is None or not actions.can_manage(request.user, region):
        raise Http404
    if region.level != Level.COUNTY:
        return Status(422, _invalid("region", risk.NOT_A_COUNTY))
    if not region.active:
        return Status(422, _invalid("region", risk.RETIRED))
    level = risk.parse_level(payload.level)
    if level is None:
        return Status(422, _invalid("level", risk.BAD_LEVEL))
    day = risk.parse_date(payload.effective_from)
    if day is None:
        return Status(422, _invalid("effective_from", risk.BAD_DATE))
    if day.year < 2000:
        return Status(422, _invalid("effective_from", risk.TOO_EARLY))
    existed = CountyRisk.objects.filter(region=region, effective_from=day).exists()
    row = actions.set_risk(
        actor=request.user,
        region=region,
        level=level,
        effective_from=day,
        source="api",
        request=request,
    )
    body = {
        "region": region.code,
        "name": region.name,
        "level": row.level,
        "effective_from": row.effective_from,
        "source": row.source,
    }
    return Status(200 if existed else 201, body)
