"""URLs of the risk-level page (included at /dispatch/risk/)."""

from django.urls import path

from . import risk_views as views

app_name = "risk"
urlpatterns = [
    path("", views.page, name="page"),
    path("set/", views.set_level, name="set"),
    path("import/", views.import_file, name="import"),
    path("import/confirm/", views.import_confirm, name="confirm"),
]
