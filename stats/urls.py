"""Dashboard pages and their small JSON endpoints (included at /stats/)."""

from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("table/", views.table, name="table"),
    path("trend.json", views.trend_json, name="trend"),
    path("map.json", views.map_json, name="map"),
    path("not-reported/", views.not_reported, name="not_reported"),
    path("remind/", views.remind, name="remind"),
    path("lock/", views.lock, name="lock"),
    path("unlock/", views.unlock, name="unlock"),
    path("brief/", views.brief_text, name="brief_text"),
    path("brief.docx", views.brief_docx, name="brief_docx"),
    path("brief.xlsx", views.brief_xlsx, name="brief_xlsx"),
    path("brief.pdf", views.brief_pdf, name="brief_pdf"),
]
