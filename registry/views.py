"""Web pages of the register: the filtered list (htmx rows), the enterprise page, the export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import scope
from audit.log import record
from dispatch import priority
from industries.models import Industry
from industries.models import Level as IndustryLevel
from industries.sizes import SizeClass
from regions.models import Level as RegionLevel
from regions.models import Region

from . import queries
from .models import Tag

PAGE_SIZE = 50

# The history table's labels for the fields actions.TRACKED records, and tags; the same
# msgids as the facts above it on the enterprise page.
CHANGE_LABELS = {
    "name": _("Name"),
    "region_id": _("Region"),
    "industry_id": _("Industry"),
    "headcount": _("Normal headcount"),
    "revenue": _("Revenue (10k yuan)"),
    "output_value": _("Baseline output value (10k yuan)"),
    "size_class": _("Size"),
    "size_overridden": _("Size set by hand"),
    "above_scale": _("Above designated size"),
    "park_id": _("Park"),
    "tags": _("Tags"),
}


def _region_choices(user, selected: str) -> tuple[list[Region], list[Region]]:
    """The path to the selected region (breadcrumbs, inside the user's subtree) and its children."""
    root = scope.root_region(user)
    current = Region.objects.filter(code=selected).first() if selected else None
    if current is not None and not scope.region_visible(user, current.code):
        current = None
    base = current or root
    prefix = scope.region_prefix(user) or ""
    path = [r for r in base.path() if r.code.startswith(prefix)] if base else []
    children = (
        Region.objects.filter(parent=base, active=True)
        if base
        else Region.objects.filter(level=RegionLevel.PROVINCE, active=True)
    )
    return path, list(children)


@login_required
def enterprise_list(request):
    filters = queries.Filters.from_query(request.GET)
    qs = queries.filtered(request.user, filters).order_by("region_id", "name", "pk")
    page = Paginator(queries.with_details(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    # Reporters, park managers and associations have no region subtree to drill into.
    drill_down = scope.region_prefix(request.user) is not None
    path, children = _region_choices(request.user, filters.region) if drill_down else ([], [])
    context = {
        "page": page,
        "filters": filters,
        "query": filters.as_query(),
        "region_path": path,
        "region_children": children,
        "drill_down": drill_down,
        "divisions": Industry.objects.filter(level=IndustryLevel.DIVISION).only("code", "name"),
        "sizes": SizeClass.choices,
        "tags": Tag.choices,
        "parks": scope.parks(request.user)[:200],
        "can_export": True,
        "can_import": scope.can_import(request.user),
    }
    template = (
        "registry/list.html#rows" if request.headers.get("HX-Request") else "registry/list.html"
    )
    return render(request, template, context)


@login_required
def enterprise_detail(request, uscc: str):
    enterprise = scope.enterprise_or_404(request.user, uscc.upper())
    enterprise = queries.with_details(type(enterprise).objects.filter(pk=enterprise.pk)).get()
    return render(
        request,
        "registry/detail.html",
        {
            "e": enterprise,
            "contacts": queries.contact_rows(request.user, enterprise),
            "can_reveal": scope.can_see_contacts(request.user, enterprise),
            "history": [
                (h, [(CHANGE_LABELS.get(f, f), old, new) for f, (old, new) in h.changes.items()])
                for h in enterprise.changes.select_related("actor")[:20]
            ],
            "can_edit": scope.can_edit_enterprise(request.user, enterprise),
            "region_path": enterprise.region.path(),
            # The county's risk level with its guidance, and the industry's priority categories.
            "policy": priority.enterprise_context(enterprise),
        },
    )


@require_POST
@login_required
def reveal_contacts(request, uscc: str):
    """The enterprise page's "show phone numbers": the API's audited reveal, as an HTML partial."""
    enterprise = scope.enterprise_or_404(request.user, uscc.upper(), request)
    if not scope.can_see_contacts(request.user, enterprise):
        record("reveal", request=request, obj=enterprise, result="denied")
        raise PermissionDenied
    record("reveal", request=request, obj=enterprise)
    # No Cache-Control here: lib.middleware marks every signed-in response no-store.
    return render(
        request,
        "registry/detail.html#contacts",
        {"e": enterprise, "contacts": queries.contact_rows(request.user, enterprise, reveal=True)},
    )


@login_required
def export_xlsx(request):
    from .exports import export_response

    filters = queries.Filters.from_query(request.GET)
    return export_response(request, filters)
