from django.urls import path

from . import settings_views as views

app_name = "dispatch_settings"
urlpatterns = [
    path("", views.settings_page, name="page"),
    path("rules/new/", views.save_rule, name="new_rule"),
    path("rules/<int:pk>/", views.save_rule, name="save_rule"),
    path("rules/<int:pk>/delete/", views.delete_rule, name="delete_rule"),
    path("cutoff/", views.set_cutoff, name="cutoff"),
    path("emergency/<str:switch>/", views.emergency, name="emergency"),
]
