"""Problems under /api/v1/problems: list, raise (with Idempotency-Key), detail with its timeline,
transitions with the version seen (409 when stale, 422 when not possible now), comments,
attachments and metrics. Scoped like everything else: out of scope is 404."""

from datetime import date, timedelta
from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from accounts import scope
from dispatch import calendar
from lib import idempotency
from regions.models import prefix_of
from registry.models import Enterprise
from registry.schemas import ValidationErrors

from . import actions, files, metrics, queries
from .models import Attachment, DepartmentKind
from .schemas import (
    AttachmentOut,
    CommentIn,
    CommentOut,
    ConflictOut,
    Message,
    MetricsOut,
    ProblemDetail,
    ProblemIn,
    ProblemPage,
    TransitionIn,
)

router = Router()
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # a larger offset overflows the database's integers
MAX_DAYS = 366
NOT_FOUND = "没有这家企业，或不在您的范围内 (no such enterprise in your scope)"


def _errors(errors: dict[str, str]) -> dict:
    return {
        "detail": [
            {"loc": ["body", name], "msg": msg, "type": "value_error"}
            for name, msg in errors.items()
        ]
    }


def _one(field: str, msg: str) -> dict:
    return _errors({field: msg})


class ListQuery(Schema):
    status: str = Field(default="", description="a status, or 'open'")
    category: str = ""
    region: str = Field(default="", description="six-digit code: its whole subtree")
    overdue: bool = False
    page: int = 1
    page_size: int = 50


@router.get("", response=ProblemPage, summary="Problems in your scope")
def list_(request: HttpRequest, params: Query[ListQuery]):
    f = queries.Filters.parse(params.status, params.category, params.region, params.overdue)
    qs = queries.listed(request.user, f)  # type: ignore[arg-type]
    page_size = max(1, min(params.page_size, MAX_PAGE_SIZE))
    page = max(1, min(params.page, MAX_PAGE))
    count = qs.count()
    rows = list(qs[(page - 1) * page_size : page * page_size])
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "items": queries.as_dicts(rows, request.user),  # type: ignore[arg-type]
    }


def _enterprise_for(user, uscc: str) -> Enterprise | None:
    code = "" if "\x00" in uscc else uscc.strip().upper()
    if not code and user.role == "reporter":
        return scope.enterprises(user).first()
    return scope.enterprises(user).filter(uscc=code).first() if code else None


@router.post(
    "",
    response={
        200: ProblemDetail,
        201: ProblemDetail,
        404: ValidationErrors,
        409: ValidationErrors,
        422: ValidationErrors,
    },
    summary="Raise a problem (201; the same Idempotency-Key again replays it as 200)",
)
def create(request: HttpRequest, payload: ProblemIn):
    user = request.user

    def compute() -> tuple[int, Any]:
        enterprise = _enterprise_for(user, payload.enterprise)
        if enterprise is None or not actions.may_raise_for(user, enterprise):  # type: ignore[arg-type]
            return 404, _one("enterprise", NOT_FOUND)
        try:
            problem = actions.raise_problem(
                actor=user,  # type: ignore[arg-type]
                enterprise=enterprise,
                category=payload.category,
                description=payload.description,
                urgency=payload.urgency,
                report_id=payload.report,
                request=request,
            )
        except actions.Invalid as exc:
            return 422, _errors(exc.errors)
        return 201, queries.detail(problem, user)  # type: ignore[arg-type]

    return idempotency.run(request, compute)


class MetricsQuery(Schema):
    region: str = Field(default="", description="six-digit code (default: your region)")
    date_from: str = Field(
        default="", alias="from", description="YYYY-MM-DD (default: 30 days ago)"
    )
    date_to: str = Field(default="", alias="to", description="YYYY-MM-DD (default: today)")
    department: str = Field(default="", description="a department kind")


def _day(text: str, field: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _Bad(field, "日期格式应为YYYY-MM-DD (a date like 2020-02-22)") from None
    if not calendar.askable(day):
        raise _Bad(field, "日期应在2000年至2099年之间 (a date from 2000 to 2099)")
    return day


class _Bad(Exception):
    def __init__(self, field: str, msg: str):
        self.field, self.msg = field, msg


@router.get(
    "/metrics",
    response={200: MetricsOut, 404: Message, 422: ValidationErrors},
    summary="Response, resolution and satisfaction rates, overdue, median time to answer",
)
def metrics_(request: HttpRequest, params: Query[MetricsQuery]):
    user = request.user
    if not scope.can_see_problem_metrics(user):  # type: ignore[arg-type]
        raise Http404
    region = params.region or (getattr(user, "region_id", None) or "")
    if region and not (len(region) == 6 and region.isdigit()):
        raise Http404
    if not scope.region_visible(user, region) or (not region and not scope.is_admin(user)):  # type: ignore[arg-type]
        raise Http404
    kind = params.department if params.department in DepartmentKind.values else ""
    try:
        end = _day(params.date_to, "to") if params.date_to else calendar.today()
        start = _day(params.date_from, "from") if params.date_from else end - timedelta(days=29)
        if start > end or (end - start).days >= MAX_DAYS:
            raise _Bad("from", f"起止日期应在{MAX_DAYS}天之内 (at most {MAX_DAYS} days, in order)")
    except _Bad as bad:
        return Status(
            422, {"detail": [{"loc": ["query", bad.field], "msg": bad.msg, "type": "value_error"}]}
        )
    prefix = prefix_of(region) if region else ""
    figures = metrics.figures(prefix, start, end, kind=kind)
    return {
        **figures,
        "region": region,
        "date_from": start,
        "date_to": end,
        "by_department": [
            {
                **row,
                "department": {
                    "id": row["department"].pk,
                    "kind": row["department"].kind,
                    "name": row["department"].name,
                    "region": row["department"].region_id,
                },
            }
            for row in metrics.by_department(prefix, start, end)
            if not kind or row["department"].kind == kind
        ],
        "by_handler": [
            {**row, "handler": row["name"]} for row in metrics.by_handler(prefix, start, end)
        ],
        "category_mix": metrics.category_mix(prefix, start, end, kind=kind),
    }


@router.get(
    "/{problem_id}",
    response={200: ProblemDetail, 404: Message},
    summary="One problem with its timeline, comments and attachments",
)
def detail(request: HttpRequest, problem_id: int):
    problem = scope.problem_or_404(request.user, problem_id, request)  # type: ignore[arg-type]
    return queries.detail(problem, request.user)  # type: ignore[arg-type]


@router.post(
    "/{problem_id}/transitions",
    response={
        200: ProblemDetail,
        403: Message,
        404: Message,
        409: ConflictOut,
        422: ValidationErrors,
    },
    summary="Take a step: accept, start, answer, confirm, reopen, close, transfer, escalate, assign",
)
def transition(request: HttpRequest, problem_id: int, payload: TransitionIn):
    problem = scope.problem_or_404(request.user, problem_id, request)  # type: ignore[arg-type]
    try:
        problem = actions.act(
            actor=request.user,  # type: ignore[arg-type]
            problem_id=problem.pk,
            action=payload.action,
            version=payload.version,
            note=payload.note,
            text=payload.text,
            rating=payload.rating,
            department=payload.department,
            handler=payload.handler,
            request=request,
        )
    except actions.Conflict as exc:
        return Status(
            409,
            {
                "detail": "诉求已被他人更新，请刷新后再操作 (the problem changed since you saw it)",
                "version": exc.problem.version,
            },
        )
    except actions.Illegal as exc:
        return Status(422, _one(exc.field, exc.reason))
    except actions.NotAllowed:
        return Status(403, {"detail": "您不能对此诉求执行该操作 (you may not do this)"})
    except actions.OutOfScope:
        raise Http404 from None
    return Status(200, queries.detail(problem, request.user))  # type: ignore[arg-type]


@router.get(
    "/{problem_id}/comments",
    response={200: list[CommentOut], 404: Message},
    summary="The comments between the enterprise and the desk",
)
def comments(request: HttpRequest, problem_id: int):
    problem = scope.problem_or_404(request.user, problem_id, request)  # type: ignore[arg-type]
    full = queries.sees_names(request.user, problem)  # type: ignore[arg-type]
    return [queries.comment_dict(c, full) for c in queries.comments(problem)]


@router.post(
    "/{problem_id}/comments",
    response={201: CommentOut, 403: Message, 404: Message, 422: ValidationErrors},
    summary="Write to the other side (the enterprise to the desk, or the desk to the enterprise)",
)
def add_comment(request: HttpRequest, problem_id: int, payload: CommentIn):
    problem = scope.problem_or_404(request.user, problem_id, request)  # type: ignore[arg-type]
    try:
        c = actions.comment(
            actor=request.user,  # type: ignore[arg-type]
            problem_id=problem.pk,
            text=payload.text,
            request=request,
        )
    except actions.Illegal as exc:
        return Status(422, _one(exc.field, exc.reason))
    except actions.NotAllowed:
        return Status(403, {"detail": "您不能在此诉求下留言 (you may not comment here)"})
    except actions.OutOfScope:
        raise Http404 from None
    return Status(201, queries.comment_dict(c, True))


@router.post(
    "/{problem_id}/attachments",
    response={
        201: AttachmentOut,
        403: Message,
        404: Message,
        413: Message,
        422: ValidationErrors,
    },
    summary="Attach a file: PDF, PNG, JPEG, .docx or .xlsx, at most 10 MB, 5 per problem",
)
def upload(request: HttpRequest, problem_id: int, file: File[UploadedFile]):
    problem = scope.problem_or_404(request.user, problem_id, request)  # type: ignore[arg-type]
    try:
        data = files.read_upload(file)
        a = actions.attach(
            actor=request.user,  # type: ignore[arg-type]
            problem_id=problem.pk,
            data=data,
            filename=file.name or "",
            request=request,
        )
    except files.TooLarge as exc:
        return Status(413, {"detail": str(exc)})
    except files.BadFile as exc:
        return Status(422, _one("file", str(exc)))
    except actions.Illegal as exc:
        return Status(422, _one(exc.field, exc.reason))
    except actions.NotAllowed:
        return Status(403, {"detail": "您不能为此诉求上传附件 (you may not attach files here)"})
    except actions.OutOfScope:
        raise Http404 from None
    return Status(201, queries.attachment_dict(a))


BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/{problem_id}/attachments/{attachment_id}",
    response={404: Message},
    summary="Download an attachment (as a download, with the type its bytes show)",
    openapi_extra={
        "responses": {
            200: {
                "description": "the file",
                "content": {ctype: BINARY for ctype, _ in files.KINDS.values()},
            }
        }
    },
)
def download(request: HttpRequest, problem_id: int, attachment_id: int):
    problem = scope.problem_or_404(request.user, problem_id, request)  # type: ignore[arg-type]
    return attachment_response(problem, attachment_id)


def attachment_response(problem, attachment_id: int | str) -> FileResponse:
    """The file of one attachment of a problem already in scope (else 404)."""
    text = str(attachment_id)
    a = None
    if text.isdigit() and len(text) < 19:
        a = Attachment.objects.filter(problem=problem, pk=int(text)).first()
    if a is None:
        raise Http404
    try:
        handle = files.path_of(a.stored_name).open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    ctype = files.KINDS[a.kind][0]
    response = FileResponse(handle, as_attachment=True, filename=a.filename, content_type=ctype)
    response["X-Content-Type-Options"] = "nosniff"
    return response
