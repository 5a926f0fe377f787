"""The inbox under /api/v1/inbox: one's own items (anyone else's id is 404), and marking one
read."""

from datetime import datetime
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from . import services
from .models import InboxItem

router = Router()
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # a larger offset overflows the database's integers
MAX_ID = 2**63 - 1


class InboxQuery(Schema):
    unread: bool = Field(default=False, description="only unread items")
    page: int = 1
    page_size: int = Field(default=50, description=f"at most {MAX_PAGE_SIZE}")


class EventOut(Schema):
    id: UUID = Field(description="the event id every delivery of it carries")
    kind: str = Field(description="e.g. problem.assigned, report.reminder")
    title: str
    text: str
    url: str = Field(description="a path on this site, or empty")
    created_at: datetime


class InboxItemOut(Schema):
    id: int
    read_at: datetime | None
    event: EventOut


class InboxPage(Schema):
    unread: int = Field(description="unread items in the whole inbox")
    count: int
    page: int
    page_size: int
    items: list[InboxItemOut]


class Message(Schema):
    detail: str


@router.get("", response=InboxPage, summary="Your inbox, unread first, then newest first")
def inbox(request: HttpRequest, params: Query[InboxQuery]):
    qs = services.inbox(request.user)  # type: ignore[arg-type]
    if params.unread:
        qs = qs.filter(read_at__isnull=True)
    page_size = max(1, min(params.page_size, MAX_PAGE_SIZE))
    page = max(1, min(params.page, MAX_PAGE))
    return {
        "unread": services.unread_count(request.user),  # type: ignore[arg-type]
        "count": qs.count(),
        "page": page,
        "page_size": page_size,
        "items": list(qs[(page - 1) * page_size : page * page_size]),
    }


@router.post(
    "/{item_id}/read",
    response={200: InboxItemOut, 404: Message},
    summary="Mark one of your inbox items read",
)
def read(request: HttpRequest, item_id: int):
    if not 0 < item_id <= MAX_ID:
        raise Http404
    try:
        return services.mark_read(request.user, item_id)  # type: ignore[arg-type]
    except InboxItem.DoesNotExist:
        raise Http404 from None
