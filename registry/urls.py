from django.urls import path

from . import import_views, views

app_name = "registry"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("import/", import_views.upload, name="import"),
    path("import/template.xlsx", import_views.template_xlsx, name="import_template"),
    path("import/<int:job_id>/", import_views.job_page, name="import_job"),
    path("import/<int:job_id>/run/", import_views.run_for_real, name="import_run"),
    path("import/<int:job_id>/errors.xlsx", import_views.errors_xlsx, name="import_errors"),
    path("<str:uscc>/", views.enterprise_detail, name="detail"),
    path("<str:uscc>/contacts/reveal/", views.reveal_contacts, name="reveal_contacts"),
]
