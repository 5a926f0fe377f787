"""Dispatch pages: the report form (an enterprise's own, or recorded for it by its park manager or
an official over it), "no change since last report" in one action, corrections with their
history, a park manager's day at a glance, and the park's spreadsheet (template, check, import).

Views are thin: scope through accounts.scope and actions.can_report_for (out of scope is 404),
writes through dispatch.actions, the spreadsheet through dispatch.sheets.
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import scope
from accounts.models import Role
from lib.spreadsheets import SpreadsheetError
from registry.imports import UploadTooLarge, read_upload
from registry.models import Enterprise

from . import actions, calendar, sheets
from .api import uscc_as_sent
from .forms import ReportForm
from .models import Difficulty, Duty, Report, ReportVersion, Status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT = 30


def _chosen_day(text: str | None) -> tuple[date, str]:
    """The date asked for (default today); a future or malformed date falls back to today."""
    today = calendar.today()
    if not text:
        return today, ""
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError:
        return today, _("That is not a date; showing today instead.")
    if day > today:
        return today, _("A date in the future cannot be reported; showing today instead.")
    return day, ""


def _page_url(request, day: date) -> str:
    return f"{request.path}?date={day.isoformat()}"


@login_required
def report(request):
    """The report page: an enterprise's form, a park's list, or (officials) a USCC to record for."""
    user = request.user
    if user.role == Role.REPORTER:
        enterprise = scope.enterprises(user).first()
        if enterprise is None:
            raise Http404("no enterprise")
        return _report_page(request, enterprise)
    if user.role == Role.PARK_MANAGER:
        return _park_page(request)
    if scope.is_admin(user) or user.role == Role.OFFICIAL:
        uscc = request.GET.get("uscc", "").strip().upper()
        if uscc:
            try:
                return redirect("dispatch:report_for", uscc=uscc)
            except NoReverseMatch:  # a slash: no enterprise's code, as for any unknown one
                raise Http404("no such enterprise") from None
        return render(request, "dispatch/choose.html")
    raise Http404("no report page for this role")


@login_required
def report_for(request, uscc: str):
    """The form for one enterprise, for whoever may report for it (else 404)."""
    enterprise = scope.enterprise_or_404(request.user, uscc_as_sent(uscc), request)
    if not actions.can_report_for(request.user, enterprise):
        scope.deny(request.user, "enterprise", enterprise.uscc, request)
    return _report_page(request, enterprise)


# --- the form ------------------------------------------------------------------------------------


def _report_page(request, enterprise: Enterprise) -> HttpResponse:
    if request.method != "POST":
        day, note = _chosen_day(request.GET.get("date"))
        return _render_form(request, enterprise, day, note=note)
    day, note = _chosen_day(request.POST.get("date"))
    if note:
        return _render_form(request, enterprise, day, note=note, status=400)
    if actions.locked_dates({enterprise.region_id}, {day}):
        return _render_form(request, enterprise, day, note=actions.LOCKED, status=409)
    if request.POST.get("action") == "no_change":
        return _no_change(request, enterprise, day)

    form = ReportForm(request.POST)
    raw = {**form.raw(), "date": day}
    before = Report.objects.filter(enterprise=enterprise, date=day).values_list(
        "version", flat=True
    )
    version_before = before.first()
    try:
        report, created = actions.submit(
            actor=request.user, enterprise=enterprise, raw=raw, source="web", request=request
        )
    except actions.InvalidReport as exc:
        form.add_rule_errors(exc.errors)
        return _render_form(request, enterprise, day, form=form)
    if created:
        text = (
            _("Report for %(day)s received, on time.")
            if report.on_time
            else _("Report for %(day)s received, after the cut-off.")
        )
        messages.success(request, text % {"day": day.isoformat()})
    elif report.version != version_before:
        messages.success(
            request,
            _("Correction saved: the report for %(day)s is now version %(version)s.")
            % {"day": day.isoformat(), "version": report.version},
        )
    else:
        messages.info(request, _("Nothing changed: the report was already like this."))
    return redirect(_page_url(request, day))


def _difficulty_problems(report: Report | None) -> list[dict[str, Any]]:
    """Each difficulty ticked in the report: the problem already raised from it, or a link that
    opens the problem form with the report and the category filled in."""
    if report is None or not report.difficulties:
        return []
    from problems.models import Problem

    raised: dict[str, Problem] = {}
    for problem in Problem.objects.filter(report=report).order_by("-pk").only("pk", "category"):
        raised[problem.category] = problem  # the first raised of a category wins
    labels = dict(Difficulty.choices)
    out = []
    for code in report.difficulties:
        if code not in labels:
            continue
        query = urlencode({"report": report.pk, "category": code})
        out.append(
            {
                "code": code,
                "label": labels[code],
                "problem": raised.get(code),
                "href": f"{reverse('problems:new')}?{query}",
            }
        )
    return out


def _no_change(request, enterprise: Enterprise, day: date) -> HttpResponse:
    if Report.objects.filter(enterprise=enterprise, date=day).exists():
        # A second press (or another tab) must not overwrite a report already in, or its correction.
        messages.info(request, _("The report for %(day)s is already in.") % {"day": day})
        return redirect(_page_url(request, day))
    try:
        actions.no_change(actor=request.user, enterprise=enterprise, day=day, request=request)
    except actions.InvalidReport as exc:
        messages.error(request, "; ".join(exc.errors.values()))
        return redirect(_page_url(request, day))
    messages.success(
        request,
        _("Recorded for %(day)s: no change since the last report.") % {"day": day.isoformat()},
    )
    return redirect(_page_url(request, day))


def _shown(name: str, value: Any) -> str:
    """A stored value as a person reads it in the version history."""
    if value is None or value == "":
        return "—"
    if name == "status":
        return str(Status(value).label) if value in Status.values else str(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "difficulties":
        labels = dict(Difficulty.choices)
        return "、".join(str(labels.get(d, d)) for d in value) or "—"
    return str(value)


def _history(report: Report | None) -> list[tuple[ReportVersion, list[tuple[str, str, str]]]]:
    if report is None:
        return []
    labels = {name: str(f.label) for name, f in ReportForm.base_fields.items()}
    return [
        (
            v,
            [
                (labels.get(k, k), _shown(k, old), _shown(k, new))
                for k, (old, new) in v.changes.items()
            ],
        )
        for v in reversed(actions.versions(report))
    ]


def _render_form(
    request,
    enterprise: Enterprise,
    day: date,
    *,
    form: ReportForm | None = None,
    note: str = "",
    status: int = 200,
) -> HttpResponse:
    today = calendar.today()
    recent = list(Report.objects.filter(enterprise=enterprise).order_by("-date")[:RECENT])
    by_date = {r.date: r for r in recent}
    # The recent list answers for `day` and the report before it unless `day` is older than it.
    covered = len(recent) < RECENT or day >= recent[-1].date
    current = (
        by_date.get(day)
        if covered
        else Report.objects.filter(enterprise=enterprise, date=day).first()
    )
    last = next((r for r in recent if r.date < day), None)
    if last is None and len(recent) == RECENT:
        last = Report.objects.filter(enterprise=enterprise, date__lt=day).order_by("-date").first()
    today_report = by_date.get(today)  # nothing is dated after today, so it is the newest
    locked = bool(actions.locked_dates({enterprise.region_id}, {day}))
    if form is None:
        form = ReportForm(initial={**ReportForm.initial_from(current or last), "date": day})
    cutoff = calendar.settings_row().cutoff
    context = {
        "enterprise": enterprise,
        "duty": Duty.objects.filter(enterprise=enterprise).first(),
        "day": day,
        "today": today,
        "is_today": day == today,
        "reporting_day": calendar.is_reporting_day(day),
        "cutoff": cutoff,
        "current": current,
        "last": last,
        "today_report": today_report,
        "locked": locked,
        "form": form,
        "note": note,
        "can_repeat": last is not None and current is None and not locked,
        "history": _history(current),
        "recent": recent,
        "own": request.user.role == Role.REPORTER,
        "difficulty_problems": (
            _difficulty_problems(current) if request.user.role == Role.REPORTER else []
        ),
    }
    return render(request, "dispatch/report.html", context, status=status)


# --- a park manager's day ------------------------------------------------------------------------


def _park_manager(request) -> None:
    if request.user.role != Role.PARK_MANAGER or not request.user.park_id:
        raise Http404("no park")


def _park_page(
    request, *, result: sheets.Result | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    day, note = _chosen_day(request.GET.get("date") or request.POST.get("date"))
    enterprises = list(
        scope.enterprises(request.user).select_related("duty").order_by("name", "pk")
    )
    reports = {
        r.enterprise_id: r
        for r in Report.objects.filter(enterprise__in=[e.pk for e in enterprises], date=day)
    }
    rows = [(e, reports.get(e.pk)) for e in enterprises]
    context = {
        "day": day,
        "today": calendar.today(),
        "note": note,
        "rows": rows,
        "reported": len(reports),
        "on_time": sum(1 for r in reports.values() if r.on_time),
        "cutoff": calendar.settings_row().cutoff,
        "max_rows": sheets.MAX_ROWS,
        "max_mb": settings.FUGONG_UPLOAD_MAX_BYTES // (1024 * 1024),
        "result": result,
        **extra,
    }
    return render(request, "dispatch/park.html", context, status=status)


@login_required
def park_template(request):
    """The park's workbook for a date, its enterprises prefilled with their last reports."""
    _park_manager(request)
    day, _note = _chosen_day(request.GET.get("date"))
    return FileResponse(
        sheets.template_file(request.user, day),
        as_attachment=True,
        filename=f"fugong-park-reports-{day.isoformat()}.xlsx",
        content_type=XLSX,
    )


@login_required
@require_POST
def park_upload(request):
    """Check a filled sheet (writes nothing), or import the sheet checked last. A body far over
    the limit never gets here (fugong.uploads refuses it unread)."""
    _park_manager(request)
    if request.POST.get("mode") == "import":
        return _park_import(request)
    try:
        upload = request.FILES.get("file")
        if upload is None:
            return _park_page(request, upload_error=_("Choose a .xlsx or .csv file."), status=400)
        data = read_upload(upload)
        filename = upload.name or ""
        result = sheets.run(actor=request.user, data=data, filename=filename, dry_run=True)
    except UploadTooLarge as exc:
        return _park_page(request, upload_error=str(exc), status=413)
    except SpreadsheetError as exc:
        return _park_page(request, upload_error=str(exc), status=400)
    checked = {"digest": sheets.keep(request.user, data), "filename": filename[:200]}
    request.session["park_check"] = {**checked, "summary": result.summary()}
    return _park_page(request, result=result, checked=checked)


def _park_import(request) -> HttpResponse:
    checked = request.session.get("park_check") or {}
    data = sheets.kept(request.user, request.POST.get("digest", ""))
    if data is None or checked.get("digest") != request.POST.get("digest"):
        return _park_page(
            request,
            upload_error=_("That check has expired or was replaced: upload the file again."),
            status=409,
        )
    try:
        result = sheets.run(
            actor=request.user,
            data=data,
            filename=checked.get("filename", ""),
            dry_run=False,
            request=request,
        )
    except SpreadsheetError as exc:
        return _park_page(request, upload_error=str(exc), status=400)
    sheets.forget(request.user)
    request.session.pop("park_check", None)
    return _park_page(
        request,
        result=result,
        check_summary=checked.get("summary"),
        same_as_check=checked.get("summary") == result.summary(),
    )
