from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("<str:uscc>/", views.enterprise_detail, name="detail"),
    path("<str:uscc>/contacts/reveal/", views.reveal_contacts, name="reveal_contacts"),
]
