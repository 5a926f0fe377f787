"""API shapes for the register (explicit fields, never the whole model)."""

from decimal import Decimal

from ninja import Schema
from pydantic import Field


class EnterpriseIn(Schema):
    uscc: str = Field(max_length=40)
    name: str = Field(max_length=400)
    region: str = Field(max_length=12, description="county code (GB/T 2260)")
    industry: str = Field(max_length=8, description="class code (GB/T 4754-2017, four digits)")
    headcount: int = Field(ge=0, le=10_000_000, description="normal headcount")
    above_scale: bool = False
    tags: list[str] = Field(default_factory=list, max_length=10)
    park: int | None = None
    output_value: Decimal | None = Field(default=None, ge=0, le=Decimal("999999999999"))
    revenue: Decimal | None = Field(default=None, ge=0, le=Decimal("999999999999"))
    size_class: str | None = Field(
        default=None, max_length=8, description="overrides the computed size"
    )


class EnterprisePatch(Schema):
    name: str | None = Field(default=None, max_length=400)
    region: str | None = Field(default=None, max_length=12)
    industry: str | None = Field(default=None, max_length=8)
    headcount: int | None = Field(default=None, ge=0, le=10_000_000)
    above_scale: bool | None = None
    tags: list[str] | None = Field(default=None, max_length=10)
    park: int | None = None
    output_value: Decimal | None = Field(default=None, ge=0, le=Decimal("999999999999"))
    revenue: Decimal | None = Field(default=None, ge=0, le=Decimal("999999999999"))
    size_class: str | None = Field(default=None, max_length=8)


class ContactOut(Schema):
    name: str
    title: str
    phone: str


class EnterpriseOut(Schema):
    uscc: str
    name: str
    region: str
    region_name: str
    industry: str
    industry_name: str
    headcount: int
    revenue: Decimal | None
    output_value: Decimal | None
    size_class: str
    size_overridden: bool
    above_scale: bool
    tags: list[str]
    park: int | None
    park_name: str | None
    contacts: list[ContactOut]


class EnterprisePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[EnterpriseOut]


class FieldError(Schema):
    loc: list[str]
    msg: str
    type: str


class ValidationErrors(Schema):
    detail: list[FieldError]


class ImportError_(Schema):
    row: int
    column: str
    reason: str


class ImportJobOut(Schema):
    id: int
    filename: str
    dry_run: bool
    status: str = Field(description="queued, checking, writing, done, rejected or failed")
    total: int
    processed: int
    created: int = Field(validation_alias="created_count")
    updated: int = Field(validation_alias="updated_count")
    unchanged: int = Field(validation_alias="unchanged_count")
    error_count: int = Field(description="rows with errors; when > 0 nothing was written")
    errors: list[ImportError_] = Field(description="row, column and reason (the first 5,000)")
    message: str
