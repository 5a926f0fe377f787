"""The project's URLs plus one view that fails for a reason other than the database."""

from django.urls import path

from fugong.urls import handler500
from fugong.urls import urlpatterns as project


def failing(request):
    raise RuntimeError("a bug whose text is not for visitors: SELECT secret FROM somewhere")


urlpatterns = [*project, path("failing/", failing), path("api/v1/failing", failing)]

__all__ = ["handler500", "urlpatterns"]
