"""Problem pages: the scoped list with filters and overdue badges, raising a problem (the
enterprise, or an official after a visit), a problem's page with its timeline, comments,
attachments and the buttons its viewer may use, and the metrics of a region.

Views are thin: scope through accounts.scope (out of scope is 404), every write through
problems.actions, which also decides who may do what.
"""

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import scope
from accounts.models import Role
from dispatch import calendar
from dispatch.models import Report
from regions.models import Region, prefix_of
from stats import numbers

from . import actions, files, metrics, queries
from .api import attachment_response
from .forms import ProblemForm
from .models import Category, Department, DepartmentKind, Status, Urgency

PAGE_SIZE = 30


@login_required
def problem_list(request):
    f = queries.Filters.parse(
        request.GET.get("status", ""),
        request.GET.get("category", ""),
        request.GET.get("region", ""),
        request.GET.get("overdue", ""),
    )
    qs = queries.listed(request.user, f)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    names = queries.county_names({p.county for p in page})
    rows = [(p, names.get(p.county, p.county), queries.is_overdue(p)) for p in page]
    query = {
        k: v
        for k, v in (
            ("status", f.status),
            ("category", f.category),
            ("region", f.region),
            ("overdue", "1" if f.overdue else ""),
        )
        if v
    }
    context = {
        "page": page,
        "rows": rows,
        "filters": f,
        "query": query,
        "statuses": Status.choices,
        "categories": Category.choices,
        "can_raise": _may_raise(request.user),
        "can_see_metrics": scope.can_see_problem_metrics(request.user),
    }
    if request.headers.get("HX-Request"):
        return render(request, "problems/list.html#rows", context)
    return render(request, "problems/list.html", context)


def _may_raise(user) -> bool:
    return user.role == Role.REPORTER or scope.can_import(user)


# --- raising --------------------------------------------------------------------------------------


@login_required
def new(request):
    user = request.user
    if not _may_raise(user):
        raise Http404("no problem form for this role")
    own = user.role == Role.REPORTER
    enterprise = scope.enterprises(user).first() if own else None
    if own and enterprise is None:
        raise Http404("no enterprise")
    reports = (
        list(Report.objects.filter(enterprise=enterprise).order_by("-date")[:10]) if own else []
    )
    if request.method != "POST":
        initial: dict[str, Any] = {"urgency": Urgency.NORMAL}
        if request.GET.get("enterprise") and not own:
            initial["enterprise"] = request.GET["enterprise"][:40]
        # From a difficulty ticked in a report: the report (one of the enterprise's own) and
        # the category come filled in.
        if request.GET.get("report") in {str(r.pk) for r in reports}:
            initial["report"] = request.GET["report"]
        if request.GET.get("category") in Category.values:
            initial["category"] = request.GET["category"]
        form = ProblemForm(initial=initial, reports=reports)
        return _render_new(request, form, enterprise)
    form = ProblemForm(request.POST, reports=reports)
    form.is_valid()  # only to keep what was typed; the service judges
    data = form.cleaned_data
    if not own:
        code = (data.get("enterprise") or "").strip().upper()
        enterprise = scope.enterprises(user).filter(uscc=code).first() if code else None
        if enterprise is None or not actions.may_raise_for(user, enterprise):
            form.add_error(
                "enterprise", _("No such enterprise in your region (give its 18-character USCC).")
            )
            return _render_new(request, form, None, status=422)
    assert enterprise is not None
    uploads = request.FILES.getlist("files")
    checked = _checked_uploads(form, uploads)
    if checked is None:
        return _render_new(request, form, enterprise, status=422)
    report = data.get("report") or ""
    try:
        with transaction.atomic():
            problem = actions.raise_problem(
                actor=user,
                enterprise=enterprise,
                category=data.get("category") or "",
                description=data.get("description") or "",
                urgency=data.get("urgency") or Urgency.NORMAL,
                report_id=int(report) if report.isdigit() else None,
                request=request,
            )
            for data_, name in checked:
                actions.attach(
                    actor=user, problem_id=problem.pk, data=data_, filename=name, request=request
                )
    except actions.Invalid as exc:
        form.add_rule_errors(exc.errors)
        return _render_new(request, form, enterprise, status=422)
    messages.success(
        request,
        _("Problem %(number)s raised: it is with %(desk)s.")
        % {"number": problem.number, "desk": problem.department.name},
    )
    return redirect("problems:detail", pk=problem.pk)


def _checked_uploads(form: ProblemForm, uploads) -> list[tuple[bytes, str]] | None:
    """The uploads' bytes and names when every one may be attached; None after adding errors."""
    if len(uploads) > files.MAX_PER_PROBLEM:
        form.add_error(None, _("At most %(n)s files per problem.") % {"n": files.MAX_PER_PROBLEM})
        return None
    out = []
    for upload in uploads:
        try:
            data = files.read_upload(upload)
            files.check(data, upload.name or "")
        except files.BadFile as exc:
            form.add_error(None, f"{upload.name}: {exc}")
            return None
        out.append((data, upload.name or ""))
    return out


def _render_new(request, form: ProblemForm, enterprise, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "enterprise": enterprise,
        "own": request.user.role == Role.REPORTER,
        "max_files": files.MAX_PER_PROBLEM,
        "max_mb": files.max_bytes() // (1024 * 1024),
    }
    return render(request, "problems/new.html", context, status=status)


# --- a problem's page ------------------------------------------------------------------------------


@login_required
def detail(request, pk: int):
    problem = scope.problem_or_404(request.user, pk, request)
    if request.method != "POST":
        return _render_detail(request, problem)
    version = request.POST.get("version", "")
    rating = request.POST.get("rating", "")
    try:
        problem = actions.act(
            actor=request.user,
            problem_id=problem.pk,
            action=request.POST.get("action", ""),
            version=int(version) if version.isdigit() else -1,
            note=request.POST.get("note", ""),
            text=request.POST.get("text", ""),
            rating=int(rating) if rating.isdigit() else None,
            department=request.POST.get("department", ""),
            handler=request.POST.get("handler", ""),
            request=request,
        )
    except actions.Conflict as exc:
        note = _(
            "Someone else changed this problem while you were looking at it. Here it is as it "
            "stands now: check the timeline, then try again if it still applies."
        )
        return _render_detail(request, exc.problem, note=note, status=409)
    except actions.Illegal as exc:
        return _render_detail(request, problem, note=exc.reason, status=422)
    except actions.NotAllowed:
        return _render_detail(request, problem, note=_("You may not do that."), status=403)
    except actions.OutOfScope:
        raise Http404 from None
    messages.success(
        request,
        _("Done: the problem is now “%(status)s”.") % {"status": problem.get_status_display()},
    )
    return redirect("problems:detail", pk=problem.pk)


def _render_detail(request, problem, *, note: str = "", status: int = 200) -> HttpResponse:
    problem = scope.problem_or_404(request.user, problem.pk, request)  # fresh from the database
    user = request.user
    full = queries.sees_names(user, problem)
    allowed = actions.allowed_actions(user, problem)
    steps = queries.steps(problem)
    labels = dict(Status.choices)
    context = {
        "problem": problem,
        "county": queries.county_names({problem.county}).get(problem.county, problem.county),
        "overdue": queries.is_overdue(problem),
        "handler": queries.person(problem.handler, full),
        "steps": [
            (
                s,
                queries.person(s.actor, full),
                labels.get(s.from_status, ""),
                labels.get(s.to_status, ""),
            )
            for s in steps
        ],
        "comments": [(c, queries.person(c.author, full)) for c in queries.comments(problem)],
        "attachments": queries.attachments(problem),
        "allowed": allowed,
        "can_talk": actions.talks(user, problem) and problem.status != Status.CLOSED,
        "can_attach": actions.talks(user, problem)
        and problem.status != Status.CLOSED
        and len(queries.attachments(problem)) < files.MAX_PER_PROBLEM,
        "transfer_to": Department.objects.filter(region_id=problem.department.region_id)
        .exclude(pk=problem.department_id)
        .order_by("kind")
        if "transfer" in allowed
        else [],
        "members": problem.department.members.filter(is_active=True).order_by("username")
        if "assign" in allowed
        else [],
        "note": note,
        "ratings": [5, 4, 3, 2, 1],
        "max_mb": files.max_bytes() // (1024 * 1024),
        "is_enterprise": actions.is_enterprise(user, problem),
    }
    return render(request, "problems/detail.html", context, status=status)


@login_required
@require_POST
def comment(request, pk: int):
    problem = scope.problem_or_404(request.user, pk, request)
    try:
        actions.comment(
            actor=request.user,
            problem_id=problem.pk,
            text=request.POST.get("text", ""),
            request=request,
        )
    except actions.Illegal as exc:
        return _render_detail(request, problem, note=exc.reason, status=422)
    except actions.NotAllowed:
        return _render_detail(request, problem, note=_("You may not do that."), status=403)
    messages.success(request, _("Comment sent."))
    return redirect("problems:detail", pk=problem.pk)


@login_required
@require_POST
def attach(request, pk: int):
    problem = scope.problem_or_404(request.user, pk, request)
    upload = request.FILES.get("file")
    if upload is None:
        return _render_detail(request, problem, note=_("Choose a file first."), status=422)
    try:
        actions.attach(
            actor=request.user,
            problem_id=problem.pk,
            data=files.read_upload(upload),
            filename=upload.name or "",
            request=request,
        )
    except files.TooLarge as exc:
        return _render_detail(request, problem, note=str(exc), status=413)
    except (files.BadFile, actions.Illegal) as exc:
        return _render_detail(request, problem, note=str(exc), status=422)
    except actions.NotAllowed:
        return _render_detail(request, problem, note=_("You may not do that."), status=403)
    messages.success(request, _("File attached."))
    return redirect("problems:detail", pk=problem.pk)


@login_required
def attachment(request, pk: int, attachment_id: int):
    problem = scope.problem_or_404(request.user, pk, request)
    return attachment_response(problem, attachment_id)


# --- metrics ---------------------------------------------------------------------------------------


def _date(text: str | None, default: date) -> date:
    """The date sent, or `default` when it is malformed or out of range (calendar.askable)."""
    try:
        day = date.fromisoformat((text or "").strip()[:10]) if text else default
    except ValueError:
        return default
    return day if calendar.askable(day) else default


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row of figures with its rates written as percentages ("—" for none)."""
    for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
        row[f"{rate}_pct"] = numbers.percent(row[rate])
    return row


@login_required
def metrics_page(request):
    user = request.user
    if not scope.can_see_problem_metrics(user):
        raise Http404("no metrics for this role")
    code = request.GET.get("region", "") or (user.region_id or "")
    if code and not (len(code) == 6 and code.isdigit() and scope.region_visible(user, code)):
        raise Http404("region out of scope")
    if not code and not scope.is_admin(user):
        raise Http404("region out of scope")
    region = Region.objects.filter(code=code).first() if code else None
    if code and region is None:
        raise Http404("no such region")
    today = calendar.today()
    end = min(_date(request.GET.get("to"), today), today)
    start = _date(request.GET.get("from"), end - timedelta(days=29))
    if start > end or (end - start).days > 365:
        start = end - timedelta(days=29)
    prefix = prefix_of(code) if code else ""
    mix = metrics.category_mix(prefix, start, end)
    labels = dict(Category.choices)
    chart = {
        "days": [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)],
        "series": [
            {"category": str(labels[c]), "counts": {}} for c in sorted({r["category"] for r in mix})
        ],
    }
    index = {s["category"]: s for s in chart["series"]}
    for r in mix:
        index[str(labels[r["category"]])]["counts"][r["date"].isoformat()] = r["count"]
    context = {
        "region": region,
        "children": region.children.order_by("code") if region is not None else [],
        "start": start,
        "end": end,
        "today": today,
        "figures": _shown(metrics.figures(prefix, start, end)),
        "by_department": [_shown(r) for r in metrics.by_department(prefix, start, end)],
        "by_handler": [_shown(r) for r in metrics.by_handler(prefix, start, end)],
        "chart": chart,
        "brief": metrics.brief_line(code, end) if code else "",
        "kinds": DepartmentKind.choices,
    }
    return render(request, "problems/metrics.html", context)
