"""Reading problems for the pages and the API: the scoped, filtered list, a problem's timeline,
comments and attachments, and people's names (masked for those who only read along)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts import scope
from accounts.models import User
from lib.masking import mask_name
from regions.models import Region, prefix_of

from . import actions, deadlines
from .models import (
    OPEN,
    Attachment,
    Category,
    Comment,
    Problem,
    ProblemStep,
    Status,
    overdue_q,
)


@dataclass
class Filters:
    status: str = ""
    category: str = ""
    region: str = ""
    overdue: bool = False

    @classmethod
    def parse(cls, status: str = "", category: str = "", region: str = "", overdue: Any = ""):
        """Only known values filter (anything else, a NUL byte included, is ignored)."""
        return cls(
            status=status if status in Status.values or status == "open" else "",
            category=category if category in Category.values else "",
            region=region if len(region) == 6 and region.isdigit() else "",
            overdue=str(overdue).lower() in ("1", "true", "on", "yes"),
        )


def listed(user: User, f: Filters, now: datetime | None = None) -> QuerySet[Problem]:
    """The caller's problems with the filters applied, newest first."""
    qs = scope.problems(user)
    if f.status == "open":
        qs = qs.filter(status__in=OPEN)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.region:
        try:
            qs = qs.filter(county__startswith=prefix_of(f.region))
        except ValueError:
            qs = qs.none()
    if f.overdue:
        qs = qs.filter(overdue_q(now or timezone.now()))
    return qs.select_related("enterprise", "department", "department__region", "handler").order_by(
        "-created_at", "-pk"
    )


def is_overdue(problem: Problem, now: datetime | None = None) -> bool:
    return problem.overdue_at(now or timezone.now())


def sees_names(viewer: User, problem: Problem, desks: frozenset[int] | None = None) -> bool:
    """Names in full for those who act on the problem; masked for those who read along."""
    return actions.talks(viewer, problem, desks)


def person(user: User | None, full: bool) -> str | None:
    if user is None:
        return None
    name = user.get_full_name() or user.username
    return name if full else mask_name(name)


def county_names(codes: set[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def as_dict(
    problem: Problem,
    viewer: User,
    *,
    names: dict[str, str] | None = None,
    full: bool | None = None,
    now: datetime | None = None,
    desks: frozenset[int] | None = None,
    closable: datetime | None = None,
) -> dict[str, Any]:
    now = now or timezone.now()
    names = names if names is not None else county_names({problem.county})
    full = sees_names(viewer, problem, desks) if full is None else full
    d = problem.department
    return {
        "id": problem.pk,
        "number": problem.number,
        "enterprise": problem.enterprise.uscc,
        "enterprise_name": problem.enterprise.name,
        "county": problem.county,
        "county_name": names.get(problem.county, ""),
        "category": problem.category,
        "description": problem.description,
        "urgency": problem.urgency,
        "status": problem.status,
        "department": {"id": d.pk, "kind": d.kind, "name": d.name, "region": d.region_id},
        "handler": person(problem.handler, full),
        "report": problem.report_id,
        "source": problem.source,
        "accept_due": problem.accept_due,
        "answer_due": problem.answer_due,
        "accepted_at": problem.accepted_at,
        "answered_at": problem.answered_at,
        "confirmed_at": problem.confirmed_at,
        "closed_at": problem.closed_at,
        "rating": problem.rating,
        "rating_note": problem.rating_note,
        "escalations": problem.escalations,
        "escalation_level": problem.escalation_level,
        "flagged": problem.flagged,
        "overdue": is_overdue(problem, now),
        "version": problem.version,
        "created_at": problem.created_at,
        "updated_at": problem.updated_at,
        "actions": actions.allowed_actions(viewer, problem, now, desks=desks, closable=closable),
    }


def as_dicts(problems: list[Problem], viewer: User) -> list[dict[str, Any]]:
    """A page of problems for the API: what every row needs is read once for all of them."""
    now = timezone.now()
    names = county_names({p.county for p in problems})
    desks = actions.member_of(viewer)
    answered = actions.last_answers([p.pk for p in problems if p.status == Status.ANSWERED])
    # the calendar is read once per day answered on, not once per problem
    by_day: dict[Any, datetime] = {}
    closable: dict[int, datetime] = {}
    for pk, at in answered.items():
        local = timezone.localtime(at)
        day = (local.date(), local.time() >= deadlines.end_of_day())
        if day not in by_day:
            by_day[day] = actions.close_after(at)
        closable[pk] = by_day[day]
    return [
        as_dict(p, viewer, names=names, now=now, desks=desks, closable=closable.get(p.pk))
        for p in problems
    ]


def steps(problem: Problem) -> list[ProblemStep]:
    return list(problem.steps.select_related("actor").order_by("at", "pk"))


def comments(problem: Problem) -> list[Comment]:
    return list(problem.comments.select_related("author").order_by("created_at", "pk"))


def attachments(problem: Problem) -> list[Attachment]:
    return list(problem.attachments.order_by("uploaded_at", "pk"))


def attachment_url(a: Attachment) -> str:
    return reverse("problems:attachment", args=[a.problem_id, a.pk])


def detail(problem: Problem, viewer: User) -> dict[str, Any]:
    full = sees_names(viewer, problem)
    out = as_dict(problem, viewer, full=full)
    out["steps"] = [
        {
            "at": s.at,
            "action": s.action,
            "actor": person(s.actor, full),
            "from_status": s.from_status,
            "to_status": s.to_status,
            "note": s.note,
            "data": _masked(s.data, full),
        }
        for s in steps(problem)
    ]
    out["comments"] = [comment_dict(c, full) for c in comments(problem)]
    out["attachments"] = [attachment_dict(a) for a in attachments(problem)]
    return out


def _masked(data: dict[str, Any], full: bool) -> dict[str, Any]:
    """A step's data with the handler's username masked for those who read along."""
    if full or not isinstance(data.get("handler"), str):
        return data
    return {**data, "handler": mask_name(data["handler"])}


def comment_dict(c: Comment, full: bool) -> dict[str, Any]:
    return {
        "id": c.pk,
        "author": person(c.author, full),
        "by_enterprise": c.by_enterprise,
        "text": c.text,
        "created_at": c.created_at,
    }


def attachment_dict(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "filename": a.filename,
        "kind": a.kind,
        "size": a.size,
        "uploaded_at": a.uploaded_at,
        "url": attachment_url(a),
    }
