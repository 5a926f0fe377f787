"""URL map: web pages per app, the API at /api/v1/, the admin."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path

from dispatch.quick import view as quick_view

from .api import api


def home(request):
    """Officials land on the dashboard, enterprises and parks on the report form."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.role in ("reporter", "park_manager"):
        return redirect("dispatch:report")
    if user.role in ("official", "admin", "association") or user.is_superuser:
        return redirect("stats:dashboard")
    return redirect("registry:list")


urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("enterprises/", include("registry.urls")),
    path("dispatch/settings/", include("dispatch.settings_urls")),
    path("dispatch/risk/", include("dispatch.risk_urls")),
    path("dispatch/", include("dispatch.urls")),
    path("stats/", include("stats.urls")),
    path("problems/", include("problems.urls")),
    path("inbox/", include("notify.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/reports", quick_view),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler500 = "fugong.errors.server_error"
