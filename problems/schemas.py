"""API shapes for problems (explicit fields; what an enterprise may not set is not in ProblemIn,
and anything sent beyond these fields is ignored)."""

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class ProblemIn(Schema):
    enterprise: str = Field(
        default="", max_length=40, description="the enterprise's USCC (a reporter may leave it out)"
    )
    category: str = Field(max_length=32, description="labour, raw_materials, energy, funds, …")
    description: str = Field(max_length=4000)
    urgency: str = Field(default="normal", max_length=16, description="normal, urgent, critical")
    report: int | None = Field(
        default=None, ge=1, le=2**62, description="id of the dispatch report it came from"
    )


class DepartmentOut(Schema):
    id: int
    kind: str
    name: str
    region: str


class ProblemOut(Schema):
    id: int
    number: str
    enterprise: str
    enterprise_name: str
    county: str
    county_name: str
    category: str
    description: str
    urgency: str
    status: str
    department: DepartmentOut
    handler: str | None
    report: int | None
    source: str
    accept_due: datetime
    answer_due: datetime
    accepted_at: datetime | None
    answered_at: datetime | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    rating_note: str
    escalations: int
    escalation_level: int
    flagged: bool
    overdue: bool
    version: int
    created_at: datetime
    updated_at: datetime
    actions: list[str] = Field(description="the transitions you may take now")


class StepOut(Schema):
    at: datetime
    action: str
    actor: str | None
    from_status: str
    to_status: str
    note: str
    data: dict


class CommentOut(Schema):
    id: int
    author: str | None
    by_enterprise: bool
    text: str
    created_at: datetime


class AttachmentOut(Schema):
    id: int
    filename: str
    kind: str
    size: int
    uploaded_at: datetime
    url: str


class ProblemDetail(ProblemOut):
    steps: list[StepOut]
    comments: list[CommentOut]
    attachments: list[AttachmentOut]


class ProblemPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ProblemOut]


class TransitionIn(Schema):
    action: str = Field(
        max_length=16,
        description="accept, start, answer, confirm, reopen, close, transfer, escalate, assign",
    )
    version: int = Field(description="the problem's version you saw", ge=0, le=2**31)
    note: str = Field(default="", max_length=4000, description="a note; the reason to reopen")
    text: str = Field(default="", max_length=4000, description="the answer (answer)")
    rating: int | None = Field(default=None, description="1–5 (confirm)")
    department: str = Field(default="", max_length=32, description="department kind (transfer)")
    handler: str = Field(default="", max_length=150, description="a member's username (assign)")


class CommentIn(Schema):
    text: str = Field(max_length=4000)


class Message(Schema):
    detail: str


class ConflictOut(Schema):
    detail: str
    version: int = Field(description="the problem's current version")


class MetricsRow(Schema):
    new: int
    closed: int
    due: int
    responded: int
    resolved: int
    rated: int
    satisfied: int
    overdue: int
    answered: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    median_hours_to_answer: float | None


class DepartmentMetrics(MetricsRow):
    department: DepartmentOut


class HandlerMetrics(MetricsRow):
    handler: str


class CategoryDay(Schema):
    date: date
    category: str
    count: int


class MetricsOut(MetricsRow):
    region: str
    date_from: date
    date_to: date
    by_department: list[DepartmentMetrics]
    by_handler: list[HandlerMetrics]
    category_mix: list[CategoryDay]
