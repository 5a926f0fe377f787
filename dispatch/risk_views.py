"""The risk-level page (/dispatch/risk/): an official's counties with the level in effect, setting
a county's level from a date, and importing levels from a sheet (check first, then import).

Officials see and set their own subtree; administrators the whole country (a province at a time).
Anyone else, and any region outside the caller's area, gets 404.
"""

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import scope
from accounts.models import Role
from lib.spreadsheets import SpreadsheetError
from regions.models import Level, Region, prefix_of

from . import actions, calendar, risk
from .models import CountyRisk, RiskLevel

SALT = "fugong.dispatch.risk.import"
CARRY_FOR = 3600  # seconds a dry run's rows may wait for the import


class RiskForm(forms.Form):
    region = forms.RegexField(label=gettext_lazy("County"), regex=r"^\d{6}$", max_length=6)
    level = forms.ChoiceField(label=gettext_lazy("Risk level"), choices=RiskLevel.choices)
    effective_from = forms.DateField(label=gettext_lazy("Effective from"))


def _own_prefix(user) -> str:
    """The caller's area as a code prefix ('' for administrators); 404 for anyone who may not set
    risk levels (the same rule as actions.can_manage)."""
    if scope.is_admin(user):
        return ""
    prefix = scope.region_prefix(user)
    if user.role != Role.OFFICIAL or prefix is None:
        raise Http404("no such page")
    return prefix


def _area(request, code: str) -> tuple[str, Region | None]:
    """The prefix and region a page shows: `code` inside the caller's area, else their own."""
    own = _own_prefix(request.user)
    if not code:
        return own, (request.user.region if own else None)
    try:
        prefix = prefix_of(code)
    except ValueError:
        raise Http404 from None
    region = Region.objects.filter(code=code).first()
    if region is None or not prefix.startswith(own):
        raise Http404
    return prefix, region


def _page_url(region: Region | None, day: date | None = None) -> str:
    query = {}
    if region is not None:
        query["region"] = region.code
    if day is not None:
        query["date"] = day.isoformat()
    url = reverse("risk:page")
    return f"{url}?{urlencode(query)}" if query else url


def _context(request, prefix: str, region: Region | None, day: date, **extra: Any) -> dict:
    """Counties of the area with the level in effect on `day` and the next change after it:
    four queries whatever the number of counties."""
    levels = risk.in_effect(prefix, day)
    counties = Region.objects.filter(level=Level.COUNTY, active=True)
    if prefix:
        counties = counties.filter(code__startswith=prefix)
    else:
        # The whole country is 2,800 counties: administrators pick a province, and meanwhile
        # see the counties that have a level at all.
        counties = counties.filter(code__in=list(levels))
    upcoming: dict[str, tuple[date, str]] = {}
    later = CountyRisk.objects.filter(effective_from__gt=day).order_by("effective_from")
    if prefix:
        later = later.filter(region__code__startswith=prefix)
    for code, starts, becomes in later.values_list("region_id", "effective_from", "level"):
        upcoming.setdefault(code, (starts, becomes))
    cities = dict(
        Region.objects.filter(level=Level.CITY, code__startswith=prefix).values_list("code", "name")
    )
    labels = dict(RiskLevel.choices)
    rows = []
    counts = {value: 0 for value in RiskLevel.values}
    for code, name in counties.order_by("code").values_list("code", "name"):
        graded = levels.get(code)
        since = graded[0] if graded else None
        level = graded[1] if graded else RiskLevel.LOW
        counts[level] += 1
        nxt = upcoming.get(code)
        rows.append(
            {
                "code": code,
                "name": name,
                "city": cities.get(code[:4] + "00", ""),
                "level": level,
                "label": labels[level],
                "since": since,
                "next": (nxt[0], nxt[1], labels[nxt[1]]) if nxt else None,
            }
        )
    choices = [(r["code"], f"{r['city']} {r['name']} ({r['code']})") for r in rows]
    form = extra.pop("form", None) or RiskForm(
        initial={
            "region": request.GET.get("county", ""),
            "level": RiskLevel.MEDIUM,
            "effective_from": calendar.today(),
        }
    )
    return {
        "region": region,
        "prefix": prefix,
        "day": day,
        "rows": rows,
        "counts": [(value, labels[value], counts[value]) for value in RiskLevel.values],
        "county_choices": choices,
        "levels": RiskLevel.choices,
        "form": form,
        "provinces": (
            Region.objects.filter(level=Level.PROVINCE).order_by("code") if not prefix else []
        ),
        "max_mb": settings.FUGONG_UPLOAD_MAX_BYTES // (1024 * 1024),
        **extra,
    }


def _day(request) -> date:
    chosen = risk.parse_date(request.GET.get("date", ""))
    return chosen or calendar.today()


@login_required
def page(request):
    prefix, region = _area(request, request.GET.get("region", ""))
    day = _day(request)
    return render(request, "dispatch/risk.html", _context(request, prefix, region, day))


@login_required
@require_POST
def set_level(request):
    _own_prefix(request.user)
    form = RiskForm(request.POST)
    _prefix, back = _area(request, request.POST.get("back", ""))
    if not form.is_valid():
        messages.error(
            request, _("The level was not set: %(errors)s") % {"errors": form.errors.as_text()}
        )
        return redirect(_page_url(back))
    region = Region.objects.filter(
        code=form.cleaned_data["region"], level=Level.COUNTY, active=True
    ).first()
    if region is None or not actions.can_manage(request.user, region):
        raise Http404
    actions.set_risk(
        actor=request.user,
        region=region,
        level=form.cleaned_data["level"],
        effective_from=form.cleaned_data["effective_from"],
        source="web",
        request=request,
    )
    messages.success(
        request,
        _("%(county)s: %(level)s from %(day)s.")
        % {
            "county": region.name,
            "level": RiskLevel(form.cleaned_data["level"]).label,
            "day": form.cleaned_data["effective_from"].isoformat(),
        },
    )
    return redirect(_page_url(back))


def _import_page(request, status: int = 200, **extra: Any) -> HttpResponse:
    prefix, region = _area(request, "")
    context = _context(request, prefix, region, calendar.today(), **extra)
    return render(request, "dispatch/risk.html", context, status=status)


@login_required
@require_POST
def import_file(request):
    _own_prefix(request.user)
    upload = request.FILES.get("file")
    if upload is None:
        return _import_page(request, 400, import_error=_("Choose a .xlsx or .csv file."))
    data = upload.read(settings.FUGONG_UPLOAD_MAX_BYTES + 1)
    if len(data) > settings.FUGONG_UPLOAD_MAX_BYTES:
        return _import_page(request, 413, import_error=_("The file is too large."))
    try:
        result = risk.import_levels(
            actor=request.user,
            data=data,
            filename=upload.name or "",
            dry_run=request.POST.get("mode") != "import",
            request=request,
        )
    except SpreadsheetError as exc:
        return _import_page(request, 400, import_error=str(exc))
    token = ""
    if result.dry_run and (result.count("new") or result.count("changed")):
        # The checked rows travel signed (tied to this user) so importing them needs no re-upload;
        # they are checked again before anything is written.
        token = signing.dumps(
            {"user": request.user.pk, "rows": risk.carried(result.good)}, salt=SALT, compress=True
        )
    return _import_page(request, result=result, token=token, filename=upload.name or "")


@login_required
@require_POST
def import_confirm(request):
    _own_prefix(request.user)
    try:
        carried = signing.loads(request.POST.get("token", ""), salt=SALT, max_age=CARRY_FOR)
    except signing.BadSignature:
        return _import_page(
            request, 400, import_error=_("This check has expired: upload the file again.")
        )
    if carried.get("user") != request.user.pk:
        raise Http404
    result = risk.import_carried(request.user, carried["rows"], request=request)
    messages.success(request, _("%(n)d risk levels imported.") % {"n": result.written})
    return _import_page(request, result=result)
