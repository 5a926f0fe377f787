"""Every write of the problem desk: raise, accept, start, answer, confirm and rate, reopen, close,
transfer, escalate (by hand and the overdue sweep), assign, comment, attach.

Each is one transaction that checks the caller may act, writes a step on the timeline and an
audit row, and sends problem_event for notifications. A change of state names the version the
caller saw: the row is locked and updated with `WHERE id = … AND version = …` (version + 1), so of
two people acting on the same version exactly one wins and the other gets Conflict; no step is
ever lost.

Who may do what:
- the enterprise (its reporters): raise, confirm and rate, reopen, comment, attach;
- the desk (its members; for a 工信 desk also the officials over its region): accept, start,
  answer, transfer, escalate, comment, attach, close a confirmed problem;
- officials over the desk's region: assign a member, transfer, escalate, close; and close an
  answered problem the enterprise has left unconfirmed for N working days (with a note);
- officials over the enterprise record problems after a visit, comment and attach;
- administrators: everything.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from accounts import scope
from accounts.models import Role, User
from audit.log import record
from dispatch.models import Report
from regions.models import Level, Region
from registry.models import Enterprise
from workdays.calendar import add_workdays

from . import deadlines, files, routing
from .models import (
    OPEN,
    Action,
    Attachment,
    Category,
    Comment,
    Department,
    DepartmentKind,
    Problem,
    ProblemStep,
    Source,
    Status,
    Urgency,
    overdue_q,
)
from .signals import problem_event


class OutOfScope(LookupError):
    """The caller may not see that problem or enterprise; callers answer 404."""


class NotAllowed(PermissionError):
    """The caller sees the problem but may not do this; callers answer 403."""


class Conflict(Exception):
    """The problem changed since the caller saw it (a stale version)."""

    def __init__(self, problem: Problem):
        super().__init__(f"problem {problem.pk} is at version {problem.version}")
        self.problem = problem


class Illegal(ValueError):
    """Not possible in the problem's state, or a required value is missing: the reason says why."""

    def __init__(self, reason: str, field: str = "action"):
        super().__init__(reason)
        self.reason = reason
        self.field = field


class Invalid(ValueError):
    """A new problem's values are wrong: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


CATEGORY_ZH = {
    "labour": "用工",
    "raw_materials": "原材料",
    "energy": "能源",
    "funds": "资金",
    "transport": "运输",
    "warehousing": "仓储",
    "delivery": "交付",
    "customs": "通关",
    "approvals": "审批",
    "backlog": "产品积压",
    "qualification": "资质",
    "inspection": "产品送检",
    "prevention_supplies": "防疫物资",
    "policy": "政策咨询",
    "other": "其他",
}
MAX_TEXT = 4000


# --- who may do what --------------------------------------------------------------------------


def is_enterprise(user: User, problem: Problem) -> bool:
    return user.role == Role.REPORTER and user.enterprise_id == problem.enterprise_id


def _covers(user: User, region_code: str) -> bool:
    prefix = scope.region_prefix(user)
    return user.role == Role.OFFICIAL and prefix is not None and region_code.startswith(prefix)


def coordinates(user: User, problem: Problem) -> bool:
    """Officials over the desk's region (and administrators) dispatch: assign, transfer, close."""
    return scope.is_admin(user) or _covers(user, problem.department.region_id)


def member_of(user: User) -> frozenset[int]:
    """The ids of the desks the user is a member of (read once for a list of problems)."""
    return frozenset(Department.objects.filter(members=user).values_list("pk", flat=True))


def is_member(user: User, department: Department, desks: frozenset[int] | None = None) -> bool:
    if desks is not None:
        return department.pk in desks
    return department.members.filter(pk=user.pk).exists()


def works_desk(user: User, problem: Problem, desks: frozenset[int] | None = None) -> bool:
    """The desk's own people: its members, and for a 工信 desk the officials over its region."""
    if scope.is_admin(user) or is_member(user, problem.department, desks):
        return True
    return problem.department.kind == DepartmentKind.INDUSTRY and _covers(
        user, problem.department.region_id
    )


def talks(user: User, problem: Problem, desks: frozenset[int] | None = None) -> bool:
    """Comments and attachments: the enterprise, the desk, and officials over the enterprise."""
    return (
        is_enterprise(user, problem)
        or works_desk(user, problem, desks)
        or _covers(user, problem.county)
        or scope.is_admin(user)
    )


def may_raise_for(user: User, enterprise: Enterprise) -> bool:
    """The enterprise itself; officials over it recording a visit; administrators."""
    if user.role == Role.REPORTER:
        return user.enterprise_id == enterprise.pk
    return scope.can_edit_enterprise(user, enterprise)


def last_answers(problem_ids: list[int]) -> dict[int, datetime]:
    """When the desk last answered each problem (for closing without the enterprise's word)."""
    return dict(
        ProblemStep.objects.filter(problem_id__in=problem_ids, action=Action.ANSWERED)
        .values("problem_id")
        .annotate(last=Max("at"))
        .values_list("problem_id", "last")
    )


def close_after(answered: datetime) -> datetime:
    """The moment after which an answer left unconfirmed may be closed by an official: the end of
    the N-th working day (the setting) after it."""
    days = settings.FUGONG_PROBLEM_CLOSE_AFTER_WORKDAYS
    return deadlines.end_of(add_workdays(deadlines.start_day(answered), days))


def silence_over(problem: Problem, now: datetime, closable: datetime | None = None) -> bool:
    """The enterprise has not confirmed the last answer for N working days."""
    if closable is None:
        answered = last_answers([problem.pk]).get(problem.pk)
        if answered is None:
            return False
        closable = close_after(answered)
    return now > closable


def allowed_actions(
    user: User,
    problem: Problem,
    now: datetime | None = None,
    *,
    desks: frozenset[int] | None = None,
    closable: datetime | None = None,
) -> list[str]:
    """The transitions this user may take on this problem now (the page shows these buttons).
    A list passes the user's desks and when each answered problem may be closed, worked out once
    for all rows."""
    now = now or timezone.now()
    s = problem.status
    out: list[str] = []
    desk = works_desk(user, problem, desks)
    coord = coordinates(user, problem)
    mine = is_enterprise(user, problem)
    if s == Status.SUBMITTED and desk:
        out.append("accept")
    if s == Status.ACCEPTED and desk:
        out.append("start")
    if s in (Status.ACCEPTED, Status.IN_PROGRESS) and desk:
        out.append("answer")
    if s == Status.ANSWERED and mine:
        out += ["confirm", "reopen"]
    if (s == Status.CONFIRMED and (desk or coord)) or (
        s == Status.ANSWERED and coord and silence_over(problem, now, closable)
    ):
        out.append("close")
    if s in OPEN and (desk or coord):
        out.append("transfer")
        if problem.department.region.level != Level.PROVINCE:
            out.append("escalate")
    if s in OPEN and coord:
        out.append("assign")
    return out


# --- notifications ----------------------------------------------------------------------------


def desk_people(problem: Problem) -> list[User]:
    """The handler; with none named, the desk's active members; at a 工信 desk without members,
    the officials of its region (whose own desk it is)."""
    if problem.handler_id and problem.handler and problem.handler.is_active:
        return [problem.handler]
    desk = problem.department
    people = list(desk.members.filter(is_active=True).order_by("pk"))
    if not people and desk.kind == DepartmentKind.INDUSTRY:
        people = list(
            User.objects.filter(
                role=Role.OFFICIAL, region_id=desk.region_id, is_active=True
            ).order_by("pk")
        )
    return people


def enterprise_people(problem: Problem) -> list[User]:
    return list(
        User.objects.filter(
            enterprise_id=problem.enterprise_id, role=Role.REPORTER, is_active=True
        ).order_by("pk")
    )


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日{local:%H:%M}"


TITLES = {
    "assigned": "新诉求待受理",
    "overdue": "诉求已超期",
    "escalated": "诉求已上联",
    "answered": "诉求已答复",
    "reopened": "诉求被重新打开",
    "confirmed": "诉求已确认",
    "commented": "诉求有新留言",
    "transferred": "诉求已转办",
}


def _text(problem: Problem, kind: str) -> str:
    county = Region.objects.filter(code=problem.county).values_list("name", flat=True).first()
    head = (
        f"诉求{problem.number}（{CATEGORY_ZH.get(problem.category, problem.category)}）："
        f"{problem.enterprise.name}，{county or problem.county}"
    )
    if kind in ("answered", "commented") and problem.status == Status.ANSWERED:
        return f"{head}。已答复，请查看并确认"
    if problem.status == Status.SUBMITTED:
        return f"{head}。请于{_when(problem.accept_due)}前受理"
    if problem.status in (Status.ACCEPTED, Status.IN_PROGRESS):
        return f"{head}。请于{_when(problem.answer_due)}前答复"
    if problem.rating and kind == "confirmed":
        return f"{head}。企业已确认，评价{problem.rating}分"
    return f"{head}。"


def notify(problem: Problem, kind: str, actor: User | None, recipients: list[User]) -> None:
    people = [u for u in recipients if actor is None or u.pk != actor.pk]
    problem_event.send(
        sender=Problem,
        problem=problem,
        kind=kind,
        actor=actor,
        recipients=people,
        title=f"{TITLES[kind]} {problem.number}",
        text=_text(problem, kind),
        url=reverse("problems:detail", args=[problem.pk]),
    )


# --- the timeline and the locked update -------------------------------------------------------


def _step(
    problem: Problem,
    actor: User | None,
    action: str,
    now: datetime,
    *,
    before: str | None = None,
    note: str = "",
    **data: Any,
) -> ProblemStep:
    """A step on the timeline; `before` is the status it left (None: the status did not change)."""
    return ProblemStep.objects.create(
        problem=problem,
        actor=actor,
        at=now,
        action=action,
        from_status=before or "",
        to_status=problem.status if before is not None else "",
        note=note,
        data=data,
    )


def _audit(action: str, actor: User | None, problem: Problem, request=None, **detail: Any) -> None:
    record(
        f"problem_{action}",
        actor=actor,
        request=request,
        object_type="problem",
        object_id=str(problem.pk),
        **detail,
    )


def _locked(problem_id: int) -> Problem:
    """The problem, its row locked until the transaction ends. The lock is taken on the bare row:
    PostgreSQL rechecks a locked row's joins against the winner's update and would drop the row
    when its department changed (a transfer); the joined read follows, seeing that update."""
    Problem.objects.select_for_update().filter(pk=problem_id).values_list("pk", flat=True).get()
    return Problem.objects.select_related(
        "enterprise", "department", "department__region", "handler"
    ).get(pk=problem_id)


def _save(problem: Problem, seen: int, now: datetime, **fields: Any) -> None:
    """Write the changed fields and the next version, only if the version is still `seen`."""
    done = Problem.objects.filter(pk=problem.pk, version=seen).update(
        version=F("version") + 1, updated_at=now, **fields
    )
    if done != 1:  # cannot happen under the row lock; kept as the rule itself
        raise Conflict(Problem.objects.get(pk=problem.pk))
    for name, value in fields.items():
        setattr(problem, name, value)
    problem.version = seen + 1
    problem.updated_at = now


@dataclass
class Change:
    """What a transition does, decided on the locked row."""

    fields: dict[str, Any]
    action: str
    note: str = ""
    data: dict[str, Any] | None = None
    event: str | None = None  # problem_event kind
    to: str = "desk"  # recipients: "desk" or "enterprise"


def _transition(
    actor: User,
    problem_id: int,
    version: int,
    decide: Callable[[Problem, datetime], Change],
    *,
    request=None,
) -> Problem:
    with transaction.atomic():
        if not scope.problems(actor).filter(pk=problem_id).exists():
            raise OutOfScope(problem_id)
        problem = _locked(problem_id)
        if problem.version != version:
            raise Conflict(problem)
        now = timezone.now()
        before = problem.status
        change = decide(problem, now)
        _save(problem, version, now, **change.fields)
        moved = problem.status != before or "status" in change.fields
        _step(
            problem,
            actor,
            change.action,
            now,
            before=before if moved else None,
            note=change.note,
            **(change.data or {}),
        )
        _audit(change.action, actor, problem, request, version=problem.version)
        if change.event:
            people = (
                enterprise_people(problem) if change.to == "enterprise" else desk_people(problem)
            )
            notify(problem, change.event, actor, people)
        return problem


def _need(condition: bool, reason: str, field: str = "action") -> None:
    if not condition:
        raise Illegal(reason, field)


def _text_of(value: str, field: str, reason: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Illegal(reason, field)
    if "\x00" in text:
        raise Illegal("文本中含有非法字符 (the text holds a NUL character)", field)
    if len(text) > MAX_TEXT:
        raise Illegal(f"最多{MAX_TEXT}字 (at most {MAX_TEXT} characters)", field)
    return text


NOT_NOW = "诉求当前状态为“{status}”，不能{what} (not possible while the problem is {status})"


def _state(problem: Problem, allowed: tuple[str, ...], what: str) -> None:
    if problem.status not in allowed:
        raise Illegal(NOT_NOW.format(status=problem.get_status_display(), what=what))


# --- raising a problem ------------------------------------------------------------------------


def _clean(
    category: str, description: str, urgency: str, enterprise: Enterprise, report_id: int | None
) -> tuple[dict[str, str], Report | None]:
    errors: dict[str, str] = {}
    if category not in Category.values:
        errors["category"] = "未知的诉求类别 (unknown category): " + ", ".join(Category.values)
    if urgency not in Urgency.values:
        errors["urgency"] = "紧急程度应为 normal、urgent 或 critical (normal, urgent or critical)"
    text = (description or "").strip()
    if not text:
        errors["description"] = "请说明遇到的问题 (describe the problem)"
    elif len(text) > MAX_TEXT or "\x00" in text:
        errors["description"] = f"最多{MAX_TEXT}字 (at most {MAX_TEXT} characters, no NUL)"
    report = None
    if report_id is not None:
        report = Report.objects.filter(pk=report_id, enterprise=enterprise).first()
        if report is None:
            errors["report"] = "不是本企业的调度填报 (not a report of this enterprise)"
    return errors, report


def raise_problem(
    *,
    actor: User,
    enterprise: Enterprise,
    category: str,
    description: str,
    urgency: str = Urgency.NORMAL,
    report_id: int | None = None,
    request=None,
) -> Problem:
    """A new problem, routed to its desk and handler with deadlines by urgency."""
    if not may_raise_for(actor, enterprise):
        raise OutOfScope(enterprise.uscc)
    errors, report = _clean(category, description, urgency, enterprise, report_id)
    if errors:
        raise Invalid(errors)
    if actor.role == Role.REPORTER:
        source = Source.REPORT if report is not None else Source.ENTERPRISE
    else:
        source = Source.VISIT
    with transaction.atomic():
        now = timezone.now()
        desk, handler = routing.route(category, enterprise.region_id)
        accept_due, answer_due = deadlines.for_urgency(urgency, now)
        problem = Problem.objects.create(
            enterprise=enterprise,
            county=enterprise.region_id,
            category=category,
            description=description.strip(),
            urgency=urgency,
            department=desk,
            handler=handler,
            report=report,
            raised_by=actor,
            source=source,
            accept_due=accept_due,
            answer_due=answer_due,
            created_at=now,
            updated_at=now,
        )
        _step(problem, actor, Action.SUBMITTED, now, before="", source=source)
        _step(
            problem,
            None,
            Action.ASSIGNED,
            now,
            department=desk.name,
            handler=handler.username if handler else None,
        )
        _audit("raise", actor, problem, request, category=category, department=desk.pk)
        notify(problem, "assigned", actor, desk_people(problem))
        return problem


# --- the desk's work --------------------------------------------------------------------------


def accept(*, actor: User, problem_id: int, version: int, note: str = "", request=None) -> Problem:
    def decide(p: Problem, now: datetime) -> Change:
        if not works_desk(actor, p):
            raise NotAllowed("accept")
        _state(p, (Status.SUBMITTED,), "受理")
        fields: dict[str, Any] = {"status": Status.ACCEPTED}
        if p.accepted_at is None:
            fields["accepted_at"] = now
            fields["accepted_on_time"] = now <= p.accept_due and not p.missed_accept
        if p.handler_id is None and is_member(actor, p.department):
            fields["handler"] = actor  # whoever takes it up from the desk is its handler
        return Change(fields, Action.ACCEPTED, _text_of(note, "note", "", required=False))

    return _transition(actor, problem_id, version, decide, request=request)


def start(*, actor: User, problem_id: int, version: int, note: str = "", request=None) -> Problem:
    def decide(p: Problem, now: datetime) -> Change:
        if not works_desk(actor, p):
            raise NotAllowed("start")
        _state(p, (Status.ACCEPTED,), "开始办理")
        return Change(
            {"status": Status.IN_PROGRESS},
            Action.STARTED,
            _text_of(note, "note", "", required=False),
        )

    return _transition(actor, problem_id, version, decide, request=request)


def answer(*, actor: User, problem_id: int, version: int, text: str, request=None) -> Problem:
    def decide(p: Problem, now: datetime) -> Change:
        if not works_desk(actor, p):
            raise NotAllowed("answer")
        _state(p, (Status.ACCEPTED, Status.IN_PROGRESS), "答复")
        body = _text_of(text, "text", "请填写答复内容 (write the answer)")
        fields: dict[str, Any] = {"status": Status.ANSWERED}
        if p.answered_at is None:
            fields["answered_at"] = now
        return Change(fields, Action.ANSWERED, body, event="answered", to="enterprise")

    return _transition(actor, problem_id, version, decide, request=request)


# --- the enterprise's word --------------------------------------------------------------------


def confirm(
    *, actor: User, problem_id: int, version: int, rating: int | None, note: str = "", request=None
) -> Problem:
    def decide(p: Problem, now: datetime) -> Change:
        if not is_enterprise(actor, p):
            raise NotAllowed("confirm")
        _state(p, (Status.ANSWERED,), "确认")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise Illegal("请打分：1到5 (rate the answer from 1 to 5)", "rating")
        remark = _text_of(note, "note", "", required=False)[:500]
        return Change(
            {
                "status": Status.CONFIRMED,
                "confirmed_at": now,
                "rating": rating,
                "rating_note": remark,
            },
            Action.CONFIRMED,
            remark,
            {"rating": rating},
            event="confirmed",
        )

    return _transition(actor, problem_id, version, decide, request=request)


def reopen(*, actor: User, problem_id: int, version: int, reason: str, request=None) -> Problem:
    def decide(p: Problem, now: datetime) -> Change:
        if not is_enterprise(actor, p):
            raise NotAllowed("reopen")
        _state(p, (Status.ANSWERED,), "重新打开")
        why = _text_of(reason, "note", "请说明为什么问题没有解决 (say why it is not solved)")
        return Change(
            {"status": Status.IN_PROGRESS, "answer_due": deadlines.answer_due(p.urgency, now)},
            Action.REOPENED,
            why,
            event="reopened",
        )

    return _transition(actor, problem_id, version, decide, request=request)


def close(*, actor: User, problem_id: int, version: int, note: str = "", request=None) -> Problem:
    def decide(p: Problem, now: datetime) -> Change:
        remark = _text_of(note, "note", "", required=False)
        if p.status == Status.CONFIRMED:
            if not (works_desk(actor, p) or coordinates(actor, p)):
                raise NotAllowed("close")
        elif p.status == Status.ANSWERED:
            if not coordinates(actor, p):
                raise NotAllowed("close")
            days = settings.FUGONG_PROBLEM_CLOSE_AFTER_WORKDAYS
            _need(
                silence_over(p, now),
                f"企业确认期未满{days}个工作日 (the enterprise has {days} working days to confirm)",
            )
            remark = _text_of(
                note, "note", "请说明为何未经企业确认即办结 (say why it closes unconfirmed)"
            )
        else:
            _state(p, (Status.CONFIRMED, Status.ANSWERED), "办结")
        return Change(
            {"status": Status.CLOSED, "closed_at": now},
            Action.CLOSED,
            remark,
            {"confirmed": p.status == Status.CONFIRMED},
        )

    return _transition(actor, problem_id, version, decide, request=request)


# --- moving it: transfer, escalate, assign ----------------------------------------------------


def _fresh_desk(p: Problem, desk: Department, now: datetime) -> dict[str, Any]:
    """A new desk starts afresh: it accepts within the urgency's deadlines counted from now."""
    accept_due, answer_due = deadlines.for_urgency(p.urgency, now)
    return {
        "department": desk,
        "handler": routing.pick_handler(desk),
        "status": Status.SUBMITTED,
        "accept_due": accept_due,
        "answer_due": answer_due,
    }


def transfer(
    *, actor: User, problem_id: int, version: int, kind: str, note: str = "", request=None
) -> Problem:
    def decide(p: Problem, now: datetime) -> Change:
        if not (works_desk(actor, p) or coordinates(actor, p)):
            raise NotAllowed("transfer")
        _state(p, OPEN, "转办")
        _need(
            kind in DepartmentKind.values, "未知的部门类别 (unknown department kind)", "department"
        )
        _need(kind != p.department.kind, "已在该部门 (already at that department)", "department")
        desk = Department.objects.filter(region_id=p.department.region_id, kind=kind).first()
        _need(
            desk is not None,
            "本地区没有该部门的受理台 (no desk of that department in this region)",
            "department",
        )
        assert desk is not None
        why = _text_of(note, "note", "请说明转办原因 (say why it is transferred)")
        return Change(
            _fresh_desk(p, desk, now),
            Action.TRANSFERRED,
            why,
            {"from": p.department.name, "to": desk.name},
            event="transferred",
        )

    return _transition(actor, problem_id, version, decide, request=request)


def _parent_desk(p: Problem) -> Department | None:
    parent = p.department.region.parent_id
    return routing.desk_at(parent, p.department.kind) if parent else None


def escalate(
    *, actor: User, problem_id: int, version: int, note: str = "", request=None
) -> Problem:
    """上联 by hand: to the parent region's desk of the same kind (or its 工信 desk)."""

    def decide(p: Problem, now: datetime) -> Change:
        if not (works_desk(actor, p) or coordinates(actor, p)):
            raise NotAllowed("escalate")
        _state(p, OPEN, "上联")
        desk = _parent_desk(p)
        _need(desk is not None, "已在省级受理台，无法再上联 (already at the province's desk)")
        assert desk is not None
        why = _text_of(note, "note", "请说明上联原因 (say why it goes up)")
        return Change(
            {
                **_fresh_desk(p, desk, now),
                "escalations": p.escalations + 1,
                "escalation_level": p.escalation_level + 1,
            },
            Action.ESCALATED,
            why,
            {"from": p.department.name, "to": desk.name, "automatic": False},
            event="escalated",
        )

    return _transition(actor, problem_id, version, decide, request=request)


def assign(
    *, actor: User, problem_id: int, version: int, handler: str, note: str = "", request=None
) -> Problem:
    """An official of the desk's region names the handler, among the desk's members."""

    def decide(p: Problem, now: datetime) -> Change:
        if not coordinates(actor, p):
            raise NotAllowed("assign")
        _state(p, OPEN, "指派")
        person = p.department.members.filter(username=handler, is_active=True).first()
        _need(
            person is not None,
            "只能指派给本受理台的成员 (only a member of the desk can be named)",
            "handler",
        )
        return Change(
            {"handler": person},
            Action.ASSIGNED,
            _text_of(note, "note", "", required=False),
            {"handler": handler, "department": p.department.name},
            event="assigned",
        )

    return _transition(actor, problem_id, version, decide, request=request)


def escalate_overdue(now: datetime | None = None) -> int:
    """Escalate every open problem past its deadline (accept by, or answer by once accepted) to
    the parent region's desk, at most once per level; at a province's desk it is only flagged.
    Each problem is its own transaction (and takes a new version). Returns how many."""
    now = now or timezone.now()
    overdue = (
        Problem.objects.filter(overdue_q(now))
        .exclude(auto_escalated_level=F("department__region__level"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count = 0
    for pk in list(overdue):
        with transaction.atomic():
            p = _locked(pk)
            if not p.overdue_at(now):
                continue  # acted on meanwhile
            level = p.department.region.level
            if p.auto_escalated_level == level:
                continue
            _escalate_one(p, level, now)
            count += 1
    return count


def _escalate_one(p: Problem, level: int, now: datetime) -> None:
    seen = p.version
    late = "accept" if p.status == Status.SUBMITTED else "answer"
    due = p.accept_due if late == "accept" else p.answer_due
    old_people = desk_people(p)
    before = p.status
    desk = _parent_desk(p)
    missed = p.missed_accept or late == "accept"
    if desk is None or level == Level.PROVINCE:
        _save(p, seen, now, flagged=True, auto_escalated_level=level, missed_accept=missed)
        _step(p, None, Action.OVERDUE, now, late=late, due=due.isoformat(), flagged=True)
        _audit("overdue", None, p, late=late, flagged=True)
        notify(p, "overdue", None, old_people)
        return
    old_name = p.department.name
    fields = {
        **_fresh_desk(p, desk, now),
        "escalations": p.escalations + 1,
        "escalation_level": p.escalation_level + 1,
        "auto_escalated_level": level,
        "missed_accept": missed,
    }
    _step(p, None, Action.OVERDUE, now, late=late, due=due.isoformat())
    _save(p, seen, now, **fields)
    _step(
        p,
        None,
        Action.ESCALATED,
        now,
        before=before,
        note="超期自动上联",
        **{"from": old_name, "to": desk.name, "automatic": True},
    )
    _audit("escalate", None, p, automatic=True, late=late, department=desk.pk)
    notify(p, "overdue", None, old_people)
    notify(p, "escalated", None, desk_people(p))


# --- talking: comments and attachments --------------------------------------------------------


def comment(*, actor: User, problem_id: int, text: str, request=None) -> Comment:
    """A message on the problem (no version needed: it changes no state)."""
    with transaction.atomic():
        if not scope.problems(actor).filter(pk=problem_id).exists():
            raise OutOfScope(problem_id)
        problem = _locked(problem_id)
        if not talks(actor, problem):
            raise NotAllowed("comment")
        if problem.status == Status.CLOSED:
            raise Illegal("诉求已办结，不能再留言 (the problem is closed)")
        body = _text_of(text, "text", "请填写留言内容 (write something)")
        now = timezone.now()
        mine = is_enterprise(actor, problem)
        c = Comment.objects.create(
            problem=problem, author=actor, text=body, by_enterprise=mine, created_at=now
        )
        _step(problem, actor, Action.COMMENTED, now, comment=c.pk, by_enterprise=mine)
        _audit("comment", actor, problem, request, comment=c.pk)
        notify(
            problem,
            "commented",
            actor,
            desk_people(problem) if mine else enterprise_people(problem),
        )
        return c


def attach(*, actor: User, problem_id: int, data: bytes, filename: str, request=None) -> Attachment:
    """Store an uploaded file (type by its bytes, size bounded, at most 5 per problem)."""
    kind = files.check(data, filename)  # before any lock: refusals cost nothing
    with transaction.atomic():
        if not scope.problems(actor).filter(pk=problem_id).exists():
            raise OutOfScope(problem_id)
        problem = _locked(problem_id)  # one writer at a time, so the count holds
        if not talks(actor, problem):
            raise NotAllowed("attach")
        if problem.status == Status.CLOSED:
            raise Illegal("诉求已办结，不能再上传附件 (the problem is closed)", "file")
        if problem.attachments.count() >= files.MAX_PER_PROBLEM:
            raise Illegal(
                f"每件诉求最多{files.MAX_PER_PROBLEM}个附件 "
                f"(at most {files.MAX_PER_PROBLEM} files per problem)",
                "file",
            )
        stored, digest = files.store(data)
        try:
            now = timezone.now()
            a = Attachment.objects.create(
                problem=problem,
                stored_name=stored,
                filename=files.display_name(filename, kind),
                kind=kind,
                size=len(data),
                sha256=digest,
                uploaded_by=actor,
                uploaded_at=now,
            )
            _step(problem, actor, Action.ATTACHED, now, attachment=a.pk, kind=kind)
            _audit("attach", actor, problem, request, attachment=a.pk, kind=kind, size=len(data))
        except BaseException:
            files.remove(stored)
            raise
        return a


# --- one entry for the API and the pages ------------------------------------------------------

TRANSITIONS = (
    "accept",
    "start",
    "answer",
    "confirm",
    "reopen",
    "close",
    "transfer",
    "escalate",
    "assign",
)


def act(
    *,
    actor: User,
    problem_id: int,
    action: str,
    version: int,
    note: str = "",
    text: str = "",
    rating: int | None = None,
    department: str = "",
    handler: str = "",
    request=None,
) -> Problem:
    """Run the named transition with the values it takes; Illegal for an unknown name."""
    for field, value in (("department", department), ("handler", handler)):
        if "\x00" in value:  # PostgreSQL refuses NUL in text; no name or kind holds one
            raise Illegal("含有非法字符 (a NUL character)", field)
    common = {"actor": actor, "problem_id": problem_id, "version": version, "request": request}
    if action == "accept":
        return accept(note=note, **common)
    if action == "start":
        return start(note=note, **common)
    if action == "answer":
        return answer(text=text or note, **common)
    if action == "confirm":
        return confirm(rating=rating, note=note, **common)
    if action == "reopen":
        return reopen(reason=note or text, **common)
    if action == "close":
        return close(note=note, **common)
    if action == "transfer":
        return transfer(kind=department, note=note, **common)
    if action == "escalate":
        return escalate(note=note, **common)
    if action == "assign":
        return assign(handler=handler, note=note, **common)
    raise Illegal("未知的操作 (unknown action): " + ", ".join(TRANSITIONS))
