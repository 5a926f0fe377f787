"""URL map: web pages per app, the API at /api/v1/, the admin."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path

from .api import api


def home(request):
    return redirect("registry:list" if request.user.is_authenticated else "accounts:login")


urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("enterprises/", include("registry.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
