"""The dashboard of officials, associations, park managers and administrators (/stats/): the
figures of a region subtree as of a date with their change, the trend and the map (small JSON
endpoints for ECharts), breakdown tables with drill-down to a county's enterprises, the
"not yet reported" list with reminders, period locks, and the daily brief's downloads.

Every page parses the same query (region, date, division, size, tag, park) into a stats View
through stats.queries.view_for, which answers 404 outside the caller's scope.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts import scope
from accounts.models import Role
from dispatch import actions
from dispatch.calendar import askable, today
from industries.models import Industry
from industries.models import Level as IndustryLevel
from industries.sizes import SizeClass
from lib.masking import mask_phone
from regions.models import Level, Region, prefix_of
from registry.models import Tag

from . import maps, numbers, queries, tables

PAGE_SIZE = 50
TREND_DAYS = 30
FILTERS = ("division", "size", "tag", "park")

TABS = {
    "region": gettext_lazy("By region"),
    "division": gettext_lazy("By industry"),
    "size": gettext_lazy("By size"),
    "tag": gettext_lazy("By key list"),
    "park": gettext_lazy("By park"),
    "risk": gettext_lazy("By risk level"),
}

# (figure, label, counted part, whole, part's label, whole's label)
KPIS = (
    (
        "resumption_rate",
        gettext_lazy("Resumption rate"),
        "resumed",
        "expected",
        gettext_lazy("resumed"),
        gettext_lazy("expected"),
    ),
    (
        "capacity_recovery",
        gettext_lazy("Capacity recovery"),
        "reported",
        "",
        gettext_lazy("reports, weighted"),
        "",
    ),
    (
        "staff_return_rate",
        gettext_lazy("Staff return rate"),
        "staff_on_site",
        "headcount",
        gettext_lazy("on site"),
        gettext_lazy("normal headcount"),
    ),
    (
        "completeness",
        gettext_lazy("Completeness"),
        "reported",
        "expected",
        gettext_lazy("reported"),
        gettext_lazy("expected"),
    ),
    (
        "timeliness",
        gettext_lazy("Timeliness"),
        "on_time",
        "expected",
        gettext_lazy("on time"),
        gettext_lazy("expected"),
    ),
)


@dataclass
class Ask:
    """What a dashboard request asks for, checked against the caller's scope."""

    view: queries.View
    day: date
    region: Region | None  # None: the whole country (administrators, associations)
    own: str  # the caller's own prefix: breadcrumbs stop there
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.region.code if self.region else ""

    def params(self, **changes: Any) -> dict[str, str]:
        out = {"region": self.code, "date": self.day.isoformat(), **self.filters, **changes}
        return {k: str(v) for k, v in out.items() if v not in ("", None)}

    def query(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))


def _own_prefix(user) -> str:
    prefix = scope.region_prefix(user)
    if prefix is not None:
        return prefix
    if user.role == Role.PARK_MANAGER and user.park_id:
        return queries.park_root(user.park)
    return ""  # associations: every region, their divisions only


def _clean_filters(params) -> dict[str, str]:
    """Filters as given, dropping values that could not match anything sensible (never widening:
    view_for still decides the scope)."""
    out = {}
    division = str(params.get("division") or "").strip()
    if len(division) == 2 and division.isdigit():
        out["division"] = division
    size = str(params.get("size") or "")
    if size in SizeClass.values:
        out["size"] = size
    tag = str(params.get("tag") or "")
    if tag in Tag.values:
        out["tag"] = tag
    park = str(params.get("park") or "").strip()
    if park.isdigit() and len(park) < 12:
        out["park"] = park
    return out


def _ask(request, params=None) -> Ask:
    params = request.GET if params is None else params
    region = str(params.get("region") or "").strip()
    filters = _clean_filters(params)
    view = queries.view_for(request.user, region, **filters)
    day: date | None = None
    try:
        day = date.fromisoformat(str(params.get("date") or "").strip()[:10])
    except ValueError:
        day = None
    if day is None or not askable(day):  # malformed or out of range: the latest date
        day = queries.latest_date(view) or today()
    return Ask(
        view=view,
        day=day,
        region=tables.region_of(view),
        own=_own_prefix(request.user),
        filters=filters,
    )


def _breadcrumbs(ask: Ask) -> list[Region]:
    if ask.region is None:
        return []
    return [r for r in ask.region.path() if prefix_of(r.code).startswith(ask.own)]


def _pct(rate: float | None) -> str:
    """65.2%, rounded as the brief rounds it (half up), so both read the same."""
    value = numbers.percentage(rate)
    return "—" if value is None else f"{value}%"


def present(f: dict[str, Any]) -> dict[str, Any]:
    """Figures with their rates written as percentages (…_pct) for the templates."""
    return {**f, **{f"{rate}_pct": _pct(f.get(rate)) for rate in tables.RATES}}


def kpis(now: dict[str, Any], before: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The KPI cards: rate, the counts behind it, and the change in percentage points."""
    cards = []
    for key, label, part, whole, part_label, whole_label in KPIS:
        rate, prev = now[key], (before or {}).get(key)
        points = None if rate is None or prev is None else numbers.percentage(rate - prev)
        if points is not None and points == 0:
            points = abs(points)  # "+0.0", never "-0.0"
        delta = None if points is None else float(points)
        cards.append(
            {
                "key": key,
                "label": label,
                "rate": _pct(rate),
                "part": now[part],
                "whole": now[whole] if whole else None,
                "part_label": part_label,
                "whole_label": whole_label,
                "delta": delta,
                "delta_text": "" if points is None else f"{points:+}",
                "trend": "" if not delta else ("up" if delta > 0 else "down"),
            }
        )
    return cards


def _lines(rows: list[queries.Row], ask: Ask, drill: bool = False) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "label": r.label,
            "f": present(r.figures),
            "href": (
                f"{reverse('stats:dashboard')}?{ask.query(region=r.drill)}"
                if drill and r.drill
                else ""
            ),
        }
        for r in rows
    ]


def _table(ask: Ask, tab: str, page: Any) -> dict[str, Any]:
    """The breakdown shown under the tabs: rows, or at a county the enterprises themselves."""
    view, day = ask.view, ask.day
    if tab == "region":
        below = tables.children(ask.region) if _has_children(ask) else {}
        if not below:
            return {"tab": tab, "enterprises": tables.enterprise_page(view, day, page, PAGE_SIZE)}
        return {"tab": tab, "rows": _lines(tables.by_child_region(view, day, below), ask, True)}
    if tab in ("division", "size"):
        rows = queries.by_column(view, day, tab)
    elif tab == "park":
        rows = queries.by_column(view, day, "park_id")
    elif tab == "tag":
        rows = queries.by_tag(view, day)
    elif tab == "risk":
        rows = queries.by_risk(view, day)
    else:
        raise Http404
    return {"tab": tab, "rows": _lines(rows, ask)}


def _has_children(ask: Ask) -> bool:
    """Counties and park managers' views end at enterprises (a city without counties, 东莞, has
    no child regions either: tables.children answers that)."""
    return ask.region is None or ask.region.level != Level.COUNTY


def _map(ask: Ask) -> dict[str, Any] | None:
    """How the page draws the map: a choropleth of the child regions (country, province), or the
    counties as points on their province's map (city); nothing at a county."""
    region = ask.region
    if region is not None and region.level == Level.COUNTY:
        return None
    if region is None or region.level == Level.PROVINCE:
        path = maps.map_file(ask.view.prefix)
        return {"kind": "areas", "geo": maps.map_url(path) if path else "", "highlight": ""}
    path = maps.map_file(region.code[:2])
    if path is None:
        return {"kind": "points", "geo": "", "highlight": ""}
    city = maps.feature_names(region.code[:2], {region.code: region.name}).get(region.code, "")
    return {"kind": "points", "geo": maps.map_url(path), "highlight": city}


def can_remind(user) -> bool:
    """Officials, park managers (who chase their park's non-reporters) and administrators; the
    enterprises reminded are always those of the caller's view."""
    return scope.is_admin(user) or user.role in (Role.OFFICIAL, Role.PARK_MANAGER)


def _filter_choices(request, ask: Ask) -> dict[str, Any]:
    divisions = Industry.objects.filter(level=IndustryLevel.DIVISION).only("code", "name")
    if request.user.role == Role.ASSOCIATION:
        own = [d for d in request.user.industry_divisions if isinstance(d, str)]
        divisions = divisions.filter(code__in=own)
    parks = scope.parks(request.user)
    if ask.view.prefix:
        parks = parks.filter(region__code__startswith=ask.view.prefix)
    return {
        "divisions": list(divisions),
        "sizes": SizeClass.choices,
        "tags": Tag.choices,
        "parks": list(parks.only("pk", "name")[:200]),
    }


@login_required
def dashboard(request):
    ask = _ask(request)
    tab = request.GET.get("tab") or "region"
    if tab not in TABS:
        tab = "region"
    now = queries.figures(ask.view, ask.day)
    previous = tables.previous_reporting_day(ask.day)
    before = queries.figures(ask.view, previous) if previous else None
    locks = tables.locks_over(ask.code, ask.day)
    context = {
        "ask": ask,
        "query": ask.query(),
        "region": ask.region,
        "day": ask.day,
        "today": today(),
        "crumbs": _breadcrumbs(ask),
        "country_crumb": ask.own == "",
        "figures": present(now),
        "kpis": kpis(now, before),
        "previous": previous,
        "tabs": [(k, v, ask.query(tab=k)) for k, v in TABS.items()],
        "tab": tab,
        "table": _table(ask, tab, request.GET.get("page")),
        # the charts' series names and tooltip words (dashboard.js)
        "labels": {kpi[0]: str(kpi[1]) for kpi in KPIS} | {"reported": _("reported")},
        "map": _map(ask),
        "locks": [(lock, actions.can_unlock(request.user, lock)) for lock in locks],
        "can_lock": ask.region is not None and actions.can_manage(request.user, ask.region),
        "can_remind": can_remind(request.user),
        "problems": problem_figures(request.user, ask),
        **_filter_choices(request, ask),
    }
    return render(request, "stats/dashboard.html", context)


PROBLEM_DAYS = 30


def problem_figures(user, ask: "Ask") -> dict[str, Any] | None:
    """The problem desk's figures for the dashboard's region over the last 30 days to its date
    (problems are by region only: the dashboard's industry, size, tag and park filters do not
    narrow them). None for those who see no problem metrics (associations, park managers)."""
    if not scope.can_see_problem_metrics(user):
        return None
    from problems import metrics

    start = ask.day - timedelta(days=PROBLEM_DAYS - 1)
    f = metrics.figures(ask.view.prefix, start, ask.day)
    return {
        **f,
        "start": start,
        "rates": [
            ("response", _("response rate"), _pct(f["response_rate"])),
            ("resolution", _("resolution rate"), _pct(f["resolution_rate"])),
            ("satisfaction", _("satisfaction rate"), _pct(f["satisfaction_rate"])),
        ],
        "href": f"{reverse('problems:metrics')}?"
        + urlencode({"region": ask.code, "from": start.isoformat(), "to": ask.day.isoformat()}),
    }


@login_required
def table(request):
    """A breakdown table alone (the tabs swap it in with htmx)."""
    ask = _ask(request)
    tab = request.GET.get("tab") or "region"
    if tab not in TABS:
        raise Http404
    context = {
        "ask": ask,
        "query": ask.query(),
        "day": ask.day,
        "tabs": [(k, v, ask.query(tab=k)) for k, v in TABS.items()],
        "tab": tab,
        "table": _table(ask, tab, request.GET.get("page")),
    }
    return render(request, "stats/dashboard.html#breakdown", context)


@login_required
def trend_json(request):
    """[{date, resumption_rate, …, expected, reported}] for the TREND_DAYS days up to the date."""
    ask = _ask(request)
    start = ask.day - timedelta(days=TREND_DAYS - 1)
    return JsonResponse(
        [
            {
                "date": day.isoformat(),
                **{rate: f[rate] for rate in tables.RATES},
                "expected": f["expected"],
                "reported": f["reported"],
                "resumed": f["resumed"],
            }
            for day, f in queries.trend(ask.view, start, ask.day)
        ],
        safe=False,
    )


@login_required
def map_json(request):
    """[{code, name, map_name, value (resumption rate in %), lng, lat, drill, …}] of the child
    regions (empty at a county)."""
    ask = _ask(request)
    if not _has_children(ask):
        return JsonResponse([], safe=False)
    return JsonResponse(tables.map_items(ask.view, ask.day, ask.region), safe=False)


def _not_reported_context(request, ask: Ask, page_number: Any) -> dict[str, Any]:
    page = tables.not_reported_page(ask.view, ask.day, page_number, PAGE_SIZE)
    duties = list(page.object_list)
    done = tables.reminded([d.enterprise_id for d in duties], ask.day)
    rows = []
    for d in duties:
        contacts = list(d.enterprise.contacts.all())
        rows.append(
            {
                "e": d.enterprise,
                "duty": d,
                "phone": mask_phone(contacts[0].phone) if contacts else "",
                "reminded": d.enterprise_id in done,
            }
        )
    return {
        "ask": ask,
        "query": ask.query(),
        "page": page,
        "rows": rows,
        "day": ask.day,
        "region": ask.region,
        "crumbs": _breadcrumbs(ask),
        "can_remind": can_remind(request.user),
    }


@login_required
def not_reported(request):
    """The enterprises of the view that have not reported for the date, paged."""
    ask = _ask(request)
    context = _not_reported_context(request, ask, request.GET.get("page"))
    if request.headers.get("HX-Request"):
        return render(request, "stats/not_reported.html#rows", context)
    return render(request, "stats/not_reported.html", context)


@require_POST
@login_required
def remind(request):
    """Record reminders for the listed enterprises that are still not reported in the view."""
    ask = _ask(request, request.POST)
    if not can_remind(request.user):
        raise Http404
    usccs = [u.strip().upper() for u in request.POST.getlist("uscc")][:PAGE_SIZE]
    # Only the view's not-reported enterprises: an uscc outside it is silently left out.
    duties = queries.not_reported(ask.view, ask.day).filter(enterprise__uscc__in=usccs)
    enterprises = [d.enterprise for d in duties]
    made = actions.remind(actor=request.user, enterprises=enterprises, day=ask.day, request=request)
    note = ngettext(
        "%(n)d reminder recorded — it reaches the enterprise's reporters within minutes.",
        "%(n)d reminders recorded — they reach the enterprises' reporters within minutes.",
        made,
    ) % {"n": made}
    if made < len(enterprises):
        note += " " + _("Enterprises already reminded for this date are not reminded twice.")
    page = request.POST.get("page")
    if request.headers.get("HX-Request"):
        context = _not_reported_context(request, ask, page)
        context["note"] = note
        return render(request, "stats/not_reported.html#rows", context)
    messages.success(request, note)
    return redirect(f"{reverse('stats:not_reported')}?{ask.query(page=page or '')}")


def _lock_target(request) -> tuple[Ask, Region]:
    ask = _ask(request, request.POST)
    if ask.region is None:
        raise Http404
    return ask, ask.region


@require_POST
@login_required
def lock(request):
    """Lock the date for the view's region: its reports can no longer be corrected."""
    ask, region = _lock_target(request)
    try:
        actions.lock_period(actor=request.user, region=region, day=ask.day, request=request)
    except actions.OutOfScope:
        raise Http404 from None
    messages.success(
        request,
        _("%(day)s is locked for %(region)s.") % {"day": ask.day, "region": region.name},
    )
    return redirect(f"{reverse('stats:dashboard')}?{ask.query()}")


@require_POST
@login_required
def unlock(request):
    """Remove a lock (the region posted is the lock's, which may be above the page's region)."""
    ask, region = _lock_target(request)
    try:
        actions.unlock_period(actor=request.user, region=region, day=ask.day, request=request)
    except actions.OutOfScope:
        raise Http404 from None
    except actions.LockedAbove as e:
        messages.error(
            request,
            _("%(day)s was locked for %(region)s from above you (%(by)s): only they can unlock it.")
            % {
                "day": ask.day,
                "region": region.name,
                "by": e.by or _("an administrator"),
            },
        )
        return redirect(f"{reverse('stats:dashboard')}?{ask.query()}")
    messages.success(
        request,
        _("%(day)s is unlocked for %(region)s.") % {"day": ask.day, "region": region.name},
    )
    back = str(request.POST.get("back") or "")
    params = ask.params(region=back) if back.isdigit() and len(back) == 6 else ask.params()
    return redirect(f"{reverse('stats:dashboard')}?{urlencode(params)}")


# --- the daily brief -------------------------------------------------------------------------------

BRIEF_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _briefs():
    """stats.brief, imported when first used (it is written alongside this module)."""
    from . import brief

    return brief


@login_required
def brief_text(request):
    """The brief's paragraph (the dashboard loads it with htmx)."""
    ask = _ask(request)
    try:
        briefs = _briefs()
    except ImportError:
        return HttpResponse("")
    return render(
        request,
        "stats/brief.html",
        {
            "text": briefs.text(
                ask.view, ask.day, problems=scope.can_see_problem_metrics(request.user)
            ),
            "query": ask.query(),
        },
    )


def _brief_file(request, kind: str) -> HttpResponse:
    ask = _ask(request)
    content = getattr(_briefs(), kind)(
        ask.view, ask.day, problems=scope.can_see_problem_metrics(request.user)
    )
    response = HttpResponse(content, content_type=BRIEF_TYPES[kind])
    name = f"brief-{ask.code or 'china'}-{ask.day.isoformat()}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def brief_docx(request):
    return _brief_file(request, "docx")


@login_required
def brief_xlsx(request):
    return _brief_file(request, "xlsx")


@login_required
def brief_pdf(request):
    return _brief_file(request, "pdf")
