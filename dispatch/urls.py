"""Dispatch pages: the report form, a park's day and its spreadsheet."""

from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/<str:uscc>/", views.report_for, name="report_for"),
    path("park/template.xlsx", views.park_template, name="park_template"),
    path("park/upload/", views.park_upload, name="park_upload"),
]
