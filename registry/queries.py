"""Reading the register: filters shared by the web list, the API and the export."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from accounts import scope
from lib.masking import mask_name, mask_phone
from regions.models import prefix_of

from .models import Contact, Enterprise, Tag


@dataclass(frozen=True)
class Filters:
    region: str = ""
    industry: str = ""
    tag: str = ""
    size: str = ""
    park: str = ""
    above_scale: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params: Any) -> "Filters":
        get = params.get
        # NUL never reaches the database (PostgreSQL refuses it in text).
        return cls(
            **{
                f: str(get(f) or "").replace("\x00", "").strip()[:64]
                for f in cls.__dataclass_fields__
            }
        )

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def filtered(user, filters: Filters) -> QuerySet[Enterprise]:
    """The user's scope narrowed by the filters; bad filter values narrow to nothing, never widen."""
    qs = scope.enterprises(user)
    if filters.region:
        if len(filters.region) == 6 and filters.region.isdigit():
            qs = qs.filter(region__code__startswith=prefix_of(filters.region))
        else:
            qs = qs.none()
    if filters.industry:
        code = filters.industry.upper()
        if code.isdigit():  # division, group or class: a code prefix
            qs = qs.filter(industry__code__startswith=code)
        elif len(code) == 1 and code.isalpha():  # a section letter
            qs = qs.filter(industry__section=code)
        else:
            qs = qs.none()
    if filters.tag:
        qs = qs.filter(tag_rows__tag=filters.tag) if filters.tag in Tag.values else qs.none()
    if filters.size:
        qs = qs.filter(size_class=filters.size)
    if filters.park:
        qs = qs.filter(park_id=int(filters.park)) if filters.park.isdigit() else qs.none()
    if filters.above_scale in ("1", "true", "yes"):
        qs = qs.filter(above_scale=True)
    elif filters.above_scale in ("0", "false", "no"):
        qs = qs.filter(above_scale=False)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(uscc__startswith=filters.q.upper()))
    return qs


def with_details(qs: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    return qs.select_related("region", "industry", "park").prefetch_related(
        "tag_rows", Prefetch("contacts", queryset=Contact.objects.order_by("id"))
    )


def contact_rows(user, enterprise: Enterprise, *, reveal: bool = False) -> list[dict[str, str]]:
    """Contacts, masked; full values only on an explicit (audited) reveal by a permitted user."""
    full = reveal and scope.can_see_contacts(user, enterprise)
    return [
        {
            "name": c.name if full else mask_name(c.name),
            "title": c.title,
            "phone": c.phone if full else mask_phone(c.phone),
        }
        for c in enterprise.contacts.all()
    ]


def as_dict(user, e: Enterprise) -> dict[str, Any]:
    return {
        "uscc": e.uscc,
        "name": e.name,
        "region": e.region_id,
        "region_name": e.region.name,
        "industry": e.industry_id,
        "industry_name": e.industry.name,
        "headcount": e.headcount,
        "revenue": e.revenue,
        "output_value": e.output_value,
        "size_class": e.size_class,
        "size_overridden": e.size_overridden,
        "above_scale": e.above_scale,
        "tags": e.tags,
        "park": e.park_id,
        "park_name": e.park.name if e.park else None,
        "contacts": contact_rows(user, e),
    }
