"""The inbox page (/inbox/): one's own items, unread first; open, mark read, mark all read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import services
from .models import InboxItem

PAGE_SIZE = 30


@login_required
def inbox(request):
    page = Paginator(services.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "items": page.object_list})


def _mark(request, pk: int) -> InboxItem:
    try:
        return services.mark_read(request.user, pk)
    except InboxItem.DoesNotExist:
        raise Http404 from None


@login_required
def open_item(request, pk: int):
    """Follow an item's link, marking it read on the way (a link is what people tap)."""
    item = _mark(request, pk)
    url = item.event.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notify:inbox")


@login_required
@require_POST
def read(request, pk: int):
    item = _mark(request, pk)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "notify/inbox.html#item",
            {"item": item, "badge_oob": True},
        )
    return redirect("notify:inbox")


@login_required
@require_POST
def read_all(request):
    services.mark_all_read(request.user)
    return redirect("notify:inbox")
