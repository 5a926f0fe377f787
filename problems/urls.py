"""Problem pages (included at /problems/)."""

from django.urls import path

from . import views

app_name = "problems"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.new, name="new"),
    path("metrics/", views.metrics_page, name="metrics"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/comments/", views.comment, name="comment"),
    path("<int:pk>/attachments/", views.attach, name="attach"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
