"""The JSON API: one NinjaAPI at /api/v1/, one router per app."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from accounts.api_auth import api_auth
from dispatch.api import router as reports_router
from dispatch.risk_api import router as risk_router
from notify.api import router as inbox_router
from problems.api import router as problems_router
from registry.api import imports_router
from registry.api import router as registry_router
from stats.api import router as stats_router

api = NinjaAPI(
    title="fugong API",
    version="1",
    description="Enterprises, dispatch reports, aggregates, problems and your inbox for getting back to work. "
    "Authenticate with `Authorization: Bearer <token>` (from `manage.py issue_token` or your "
    "user page) or a browser session with its CSRF token.",
    auth=api_auth,
    urls_namespace="api-v1",
)
api.add_router("/enterprises", registry_router, tags=["enterprises"])
api.add_router("/imports", imports_router, tags=["imports"])
api.add_router("/reports", reports_router, tags=["reports"])
api.add_router("", stats_router, tags=["stats"])
api.add_router("/risk-levels", risk_router, tags=["risk levels"])
api.add_router("/problems", problems_router, tags=["problems"])
api.add_router("/inbox", inbox_router, tags=["inbox"])


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "Authentication required"}, status=401)
