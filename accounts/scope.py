"""What a user may see and change. Every list, detail, export and API call goes through here.

Scopes by role:
- reporter: its own enterprise;
- park manager: the enterprises of its park;
- official: every enterprise whose region code starts with its region's prefix;
- handler: the same subtree as an official, read-only;
- association: enterprises of its industry divisions, in all regions, read-only;
- administrator (or superuser): everything.
Out of scope is 404, never 403, so existence is not revealed.

Problems (诉求) follow the same scopes, by the enterprise's county: a reporter sees its
enterprise's, a park manager its park's, an official its subtree's; a handler sees the problems of
the desks it is a member of (wherever they are) and, read-only, those of its region's subtree, so
that a handler can see how a problem it passed on goes on; an association sees none.
"""

from typing import NoReturn, Protocol

from django.db.models import Q, QuerySet
from django.http import Http404

from audit.log import record
from problems.models import Department, Problem
from regions.models import Region, prefix_of
from registry.models import Enterprise, Park

from .models import Role, User


def is_admin(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role == Role.ADMIN))


def region_prefix(user: User) -> str | None:
    """The region-code prefix of an official's or handler's subtree; '' means the whole country."""
    if is_admin(user):
        return ""
    if user.role in (Role.OFFICIAL, Role.HANDLER) and user.region_id:
        return prefix_of(user.region_id)
    return None


def enterprise_filter(user: User) -> Q | None:
    """The condition on Enterprise rows this user may see; None means nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    if is_admin(user):
        return Q()
    if user.role == Role.REPORTER:
        return Q(pk=user.enterprise_id) if user.enterprise_id else None
    if user.role == Role.PARK_MANAGER:
        return Q(park_id=user.park_id) if user.park_id else None
    if user.role in (Role.OFFICIAL, Role.HANDLER):
        prefix = region_prefix(user)
        return Q(region__code__startswith=prefix) if prefix else None
    if user.role == Role.ASSOCIATION:
        divisions = [d for d in user.industry_divisions if isinstance(d, str) and d]
        if not divisions:
            return None
        q = Q()
        for d in divisions:
            q |= Q(industry__code__startswith=d)
        return q
    return None


def enterprises(user: User) -> QuerySet[Enterprise]:
    """Every enterprise the user may see."""
    condition = enterprise_filter(user)
    if condition is None:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(condition)


def enterprise_or_404(user: User, uscc: str, request=None) -> Enterprise:
    enterprise = (
        enterprises(user).select_related("region", "industry", "park").filter(uscc=uscc).first()
    )
    if enterprise is None:
        deny(user, "enterprise", uscc, request)
    return enterprise


def deny(user: User, object_type: str, object_id: str, request=None) -> NoReturn:
    """Answer 404, and audit the attempt when the object exists (probing is worth knowing about)."""
    exists = False
    if object_type == "enterprise":
        exists = Enterprise.objects.filter(uscc=object_id).exists()
    elif object_type == "problem" and object_id.isdigit() and len(object_id) < 19:
        exists = Problem.objects.filter(pk=int(object_id)).exists()
    if exists:
        record(
            "view",
            actor=user if user.is_authenticated else None,
            request=request,
            object_type=object_type,
            object_id=object_id[:64],
            result="denied",
        )
    raise Http404(f"no such {object_type}")


class InRegion(Protocol):
    """An enterprise, or a light record of one (dispatch.actions.Reportable)."""

    @property
    def region_id(self) -> str: ...


def can_edit_enterprise(user: User, enterprise: InRegion) -> bool:
    """Officials and administrators edit the register within their subtree; others read."""
    if is_admin(user):
        return True
    prefix = region_prefix(user)
    return (
        user.role == Role.OFFICIAL
        and prefix is not None
        and enterprise.region_id.startswith(prefix)
    )


def can_create_in(user: User, region_code: str) -> bool:
    if is_admin(user):
        return True
    prefix = region_prefix(user)
    return user.role == Role.OFFICIAL and prefix is not None and region_code.startswith(prefix)


def can_import(user: User) -> bool:
    """Importing a sheet of enterprises: those who may register them (each row is then checked)."""
    return is_admin(user) or (user.role == Role.OFFICIAL and region_prefix(user) is not None)


def can_see_contacts(user: User, enterprise: Enterprise) -> bool:
    """Unmasked phone numbers: the enterprise itself, its park manager, the officials over it."""
    if is_admin(user):
        return True
    if user.role == Role.REPORTER:
        return user.enterprise_id == enterprise.pk
    if user.role == Role.PARK_MANAGER:
        return enterprise.park_id is not None and user.park_id == enterprise.park_id
    return can_edit_enterprise(user, enterprise)


def parks(user: User) -> QuerySet[Park]:
    if is_admin(user):
        return Park.objects.all()
    if user.role == Role.PARK_MANAGER:
        return Park.objects.filter(pk=user.park_id) if user.park_id else Park.objects.none()
    prefix = region_prefix(user)
    if prefix:
        return Park.objects.filter(region__code__startswith=prefix)
    return Park.objects.filter(pk__in=enterprises(user).exclude(park=None).values("park_id"))


def root_region(user: User) -> Region | None:
    """Where a region drill-down starts for this user (None: the country)."""
    if user.role in (Role.OFFICIAL, Role.HANDLER) and user.region_id:
        return user.region
    return None


def region_visible(user: User, code: str) -> bool:
    """Whether a region may be used as a filter: inside the user's subtree, or any for wide scopes."""
    prefix = region_prefix(user)
    if prefix is None:  # reporter, park manager, association: filter within their own rows
        return True
    return code.startswith(prefix)


def problem_filter(user: User) -> Q | None:
    """The condition on Problem rows this user may see; None means nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    if is_admin(user):
        return Q()
    if user.role == Role.REPORTER:
        return Q(enterprise_id=user.enterprise_id) if user.enterprise_id else None
    if user.role == Role.PARK_MANAGER:
        return Q(enterprise__park_id=user.park_id) if user.park_id else None
    prefix = region_prefix(user)
    if user.role == Role.OFFICIAL:
        return Q(county__startswith=prefix) if prefix else None
    if user.role == Role.HANDLER:
        desks = Q(department_id__in=Department.objects.filter(members=user).values("pk"))
        return desks | Q(county__startswith=prefix) if prefix else desks
    return None


def problems(user: User) -> QuerySet[Problem]:
    """Every problem the user may see."""
    condition = problem_filter(user)
    if condition is None:
        return Problem.objects.none()
    return Problem.objects.filter(condition)


def problem_or_404(user: User, pk: int | str, request=None) -> Problem:
    text = str(pk)
    found = None
    if text.isdigit() and len(text) < 19:  # beyond a bigint is no problem's id
        found = (
            problems(user)
            .select_related("enterprise", "department", "department__region", "handler")
            .filter(pk=int(text))
            .first()
        )
    if found is None:
        deny(user, "problem", text, request)
    return found


def can_see_problem_metrics(user: User) -> bool:
    """Problem metrics are for officials, handlers and administrators, over their subtree."""
    return region_prefix(user) is not None
