"""API shapes for reports (explicit fields; every figure optional in the schema so that a missing
one is answered by the rule set with a message naming it)."""

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class ReportIn(Schema):
    enterprise: str = Field(max_length=40, description="the enterprise's USCC")
    date: str | None = Field(default=None, max_length=32, description="YYYY-MM-DD")
    status: str | None = Field(
        default=None, max_length=32, description="not_resumed, partial, full"
    )
    staff_on_site: int | None = Field(default=None, ge=0, le=10_000_000)
    capacity_pct: int | None = Field(default=None, description="0–150")
    temperature_checks: bool | None = None
    disinfection: bool | None = None
    mask_days: int | None = Field(default=None, description="days of masks on hand, 0–365")
    fever: int | None = Field(default=None, ge=0, le=10_000_000)
    suspected: int | None = Field(default=None, ge=0, le=10_000_000)
    confirmed: int | None = Field(default=None, ge=0, le=10_000_000)
    difficulties: list[str] = Field(default_factory=list, max_length=20)
    over_headcount_reason: str = Field(default="", max_length=400)
    note: str = Field(default="", max_length=4000)


class ReportOut(Schema):
    id: int
    enterprise: str
    date: date
    status: str
    staff_on_site: int
    capacity_pct: int
    temperature_checks: bool
    disinfection: bool
    mask_days: int
    fever: int
    suspected: int
    confirmed: int
    difficulties: list[str]
    over_headcount_reason: str
    note: str
    on_time: bool
    version: int
    submitted_at: datetime
    updated_at: datetime


class BatchIn(Schema):
    reports: list[ReportIn] = Field(max_length=10_000)


class RowOutcome(Schema):
    index: int
    enterprise: str
    date: str
    outcome: str  # created, corrected, unchanged, rejected
    report: int | None = None
    errors: dict[str, str] = Field(default_factory=dict)


class BatchOut(Schema):
    created: int
    corrected: int
    unchanged: int
    rejected: int
    rows: list[RowOutcome]


class ReportPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ReportOut]


class VersionOut(Schema):
    version: int
    at: datetime
    actor: str | None
    source: str
    changes: dict


class LockIn(Schema):
    region: str = Field(max_length=12)
    date: str = Field(max_length=32)


class LockOut(Schema):
    region: str
    date: date
    locked: bool
