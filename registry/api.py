"""Enterprises under /api/v1/enterprises: create, read, update, list; scoped like everything else."""

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from accounts import scope
from audit.log import record
from lib.spreadsheets import SpreadsheetError

from . import actions, imports, queries
from .models import Enterprise, ImportJob
from .schemas import (
    ContactOut,
    EnterpriseIn,
    EnterpriseOut,
    EnterprisePage,
    EnterprisePatch,
    ImportJobOut,
    ValidationErrors,
)

router = Router()
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # a larger offset overflows the database's integers


class ListQuery(Schema):
    region: str = ""
    industry: str = ""
    tag: str = ""
    size: str = ""
    park: str = ""
    above_scale: str = ""
    q: str = ""
    page: int = 1
    page_size: int = 50


class Message(Schema):
    detail: str


def _errors(errors: dict[str, str]) -> dict:
    return {
        "detail": [
            {"loc": ["body", field], "msg": msg, "type": "value_error"}
            for field, msg in errors.items()
        ]
    }


def _one(request, uscc: str) -> Enterprise:
    enterprise = (
        queries.with_details(scope.enterprises(request.user)).filter(uscc=uscc.upper()).first()
    )
    if enterprise is None:
        scope.deny(request.user, "enterprise", uscc.upper(), request)
    return enterprise


@router.post(
    "",
    response={201: EnterpriseOut, 404: Message, 422: ValidationErrors},
    summary="Register an enterprise",
)
def create(request: HttpRequest, payload: EnterpriseIn):
    try:
        enterprise = actions.create_enterprise(
            actor=request.user, raw=payload.dict(), source="api", request=request
        )
    except actions.OutOfScope as exc:
        raise Http404 from exc
    except actions.InvalidEnterprise as exc:
        return Status(422, _errors(exc.errors))
    return Status(201, queries.as_dict(request.user, _one(request, enterprise.uscc)))


@router.get("", response=EnterprisePage, summary="List enterprises in your scope")
def list_(request: HttpRequest, params: Query[ListQuery]):
    filters = queries.Filters.from_query(params.dict())
    qs = queries.filtered(request.user, filters).order_by("region_id", "name", "pk")
    page_size = max(1, min(params.page_size, MAX_PAGE_SIZE))
    page = max(1, min(params.page, MAX_PAGE))
    count = qs.count()
    rows = queries.with_details(qs)[(page - 1) * page_size : page * page_size]
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "items": [queries.as_dict(request.user, e) for e in rows],
    }


@router.get("/{uscc}", response={200: EnterpriseOut, 404: Message}, summary="One enterprise")
def read(request: HttpRequest, uscc: str):
    return queries.as_dict(request.user, _one(request, uscc))


@router.patch(
    "/{uscc}",
    response={200: EnterpriseOut, 403: Message, 404: Message, 422: ValidationErrors},
    summary="Change an enterprise",
)
def update(request: HttpRequest, uscc: str, payload: EnterprisePatch):
    enterprise = _one(request, uscc)
    if not scope.can_edit_enterprise(request.user, enterprise):  # type: ignore[arg-type]
        # It is visible to the caller, so its existence is no secret: say it is read-only.
        return Status(403, {"detail": "read-only for your role"})
    try:
        actions.update_enterprise(
            actor=request.user,
            enterprise=enterprise,
            raw=payload.dict(exclude_unset=True),
            source="api",
            request=request,
        )
    except actions.OutOfScope as exc:
        raise Http404 from exc
    except actions.InvalidEnterprise as exc:
        return Status(422, _errors(exc.errors))
    return Status(200, queries.as_dict(request.user, _one(request, uscc)))


@router.post(
    "/{uscc}/contacts/reveal",
    response={200: list[ContactOut], 403: Message, 404: Message},
    summary="Full contact details (audited; for the enterprise, its park and officials over it)",
)
def reveal_contacts(request: HttpRequest, uscc: str):
    enterprise = _one(request, uscc)
    if not scope.can_see_contacts(request.user, enterprise):  # type: ignore[arg-type]
        record("reveal", request=request, obj=enterprise, result="denied")
        return Status(403, {"detail": "contacts stay masked for your role"})
    record("reveal", request=request, obj=enterprise)
    return Status(200, queries.contact_rows(request.user, enterprise, reveal=True))


imports_router = Router()


@imports_router.post(
    "",
    response={202: ImportJobOut, 400: Message, 404: Message, 413: Message, 422: ValidationErrors},
    summary="Upload enterprises (.xlsx or .csv) to check (dry_run, the default) or import",
)
def submit_import(request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = True):
    if not scope.can_import(request.user):  # type: ignore[arg-type]
        raise Http404
    try:
        job = imports.submit(
            actor=request.user,
            data=imports.read_upload(file),
            filename=file.name or "",
            dry_run=dry_run,
            request=request,
        )
    except imports.UploadTooLarge as exc:
        return Status(413, {"detail": str(exc)})
    except SpreadsheetError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(202, job)


@imports_router.get(
    "/{job_id}",
    response={200: ImportJobOut, 404: Message},
    summary="An import's progress and outcome",
)
def import_status(request: HttpRequest, job_id: int):
    if not scope.can_import(request.user):  # type: ignore[arg-type]
        raise Http404
    return get_object_or_404(ImportJob.objects.defer("data"), pk=job_id, created_by=request.user)
