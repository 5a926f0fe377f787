"""Web pages of the enterprise import: upload, progress (htmx polling), errors, the template."""

import tempfile
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import scope
from lib import spreadsheets
from lib.spreadsheets import SpreadsheetError

from . import imports
from .models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKER_LATE = timedelta(seconds=15)


def _importer(request) -> None:
    if not scope.can_import(request.user):
        raise Http404("no such page")


def _job(request, job_id: int) -> ImportJob:
    """A job is its uploader's alone; anyone else gets 404."""
    _importer(request)
    return get_object_or_404(ImportJob.objects.defer("data"), pk=job_id, created_by=request.user)


def _too_big(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.FUGONG_UPLOAD_MAX_BYTES + 64 * 1024


@login_required
def upload(request):
    _importer(request)
    if request.method != "POST":
        return render(request, "registry/import.html", _page(request, ""))
    try:
        if _too_big(request):  # refused before Django reads the body
            raise imports.UploadTooLarge
        upload = request.FILES.get("file")
        if upload is None:
            error, status = _("Choose a .xlsx or .csv file."), 400
        else:
            job = imports.submit(
                actor=request.user,
                data=imports.read_upload(upload),
                filename=upload.name or "",
                dry_run=request.POST.get("mode") != "import",
                request=request,
            )
            return redirect("registry:import_job", job_id=job.pk)
    except imports.UploadTooLarge as exc:
        error, status = str(exc), 413
    except SpreadsheetError as exc:
        error, status = str(exc), 400
    return render(request, "registry/import.html", _page(request, error), status=status)


def _page(request, error: str) -> dict:
    return {
        "error": error,
        "columns": imports.COLUMNS,
        "notes": imports.NOTES,
        "max_mb": settings.FUGONG_UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_rows": settings.FUGONG_IMPORT_MAX_ROWS,
        "jobs": ImportJob.objects.filter(created_by=request.user).defer("data")[:10],
    }


@login_required
def job_page(request, job_id: int):
    job = _job(request, job_id)
    context = {
        "job": job,
        "errors": job.errors[:200],
        "waiting_for_worker": job.status == ImportJob.Status.QUEUED
        and timezone.now() - job.created_at > WORKER_LATE,
        "can_run": job.dry_run
        and job.status == ImportJob.Status.DONE
        and ImportJob.objects.filter(pk=job.pk).exclude(data=b"").exists(),
    }
    template = "registry/import_job.html"
    if request.headers.get("HX-Request"):
        template += "#job"
    return render(request, template, context)


@login_required
@require_POST
def run_for_real(request, job_id: int):
    """Import a file whose dry run came through clean (the file is not uploaded twice)."""
    checked = _job(request, job_id)
    data = ImportJob.objects.filter(pk=checked.pk).values_list("data", flat=True).first()
    if not (checked.dry_run and checked.status == ImportJob.Status.DONE and data):
        messages.error(request, _("This check cannot be imported; upload the file again."))
        return redirect("registry:import_job", job_id=checked.pk)
    job = imports.submit(
        actor=request.user,
        data=bytes(data),
        filename=checked.filename,
        dry_run=False,
        request=request,
    )
    ImportJob.objects.filter(pk=checked.pk).update(data=b"")
    return redirect("registry:import_job", job_id=job.pk)


@login_required
def template_xlsx(request):
    _importer(request)
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    workbook = spreadsheets.safe_workbook(tmp)
    spreadsheets.add_sheet(workbook, "企业名录", imports.HEADERS, [], widths=[22, 30] + [14] * 9)
    spreadsheets.add_sheet(
        workbook,
        "填写说明",
        ["列名", "是否必填", "说明"],
        imports.template_rows(),
        widths=[20, 10, 60],
    )
    workbook.close()
    tmp.seek(0)
    return FileResponse(
        tmp, as_attachment=True, filename="fugong-enterprise-template.xlsx", content_type=XLSX
    )


@login_required
def errors_xlsx(request, job_id: int):
    job = _job(request, job_id)
    if not job.errors:
        raise Http404("no errors")
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    spreadsheets.write_xlsx(
        tmp,
        ["行", "列", "原因"],
        ([e["row"], e["column"], e["reason"]] for e in job.errors),
        sheet="错误清单",
    )
    tmp.seek(0)
    return FileResponse(
        tmp, as_attachment=True, filename=f"fugong-import-{job.pk}-errors.xlsx", content_type=XLSX
    )
