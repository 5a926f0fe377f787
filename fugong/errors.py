"""What a visitor sees when a request fails on our side (RELIABILITY check 7).

Django calls `server_error` for any exception a view or a middleware did not handle, while the
exception is still being handled. A database that cannot be reached (down or restarting, the
network gone) or cannot take writes (read-only, disk full: RELIABILITY check 9) is a passing
fault: the answer is 503 with Retry-After, so that clients and load balancers try again, and
nothing was committed that the client will send again. Any other failure is 500.
Both answers are generic: no traceback, no SQL, no exception text (the server log has those).
Neither touches the database: the templates are rendered without the request, so no context
processor loads the session or the user.
"""

import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext

from lib.middleware import SecurityHeadersMiddleware

RETRY_AFTER_SECONDS = 10


READ_ONLY_TRANSACTION = (
    "25006"  # PostgreSQL's SQLSTATE: a standby, or default_transaction_read_only
)


def database_unavailable(exc: BaseException | None) -> bool:
    """A lost or refused connection, a full disk, a database that is read-only for now: psycopg's
    and sqlite3's OperationalError, a closed connection's InterfaceError, and PostgreSQL's
    read-only transaction (an InternalError by class). Django re-raises them under its own names,
    the driver's exception as the cause."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    cause = exc.__cause__ if isinstance(exc, DatabaseError) else None
    return getattr(cause, "sqlstate", None) == READ_ONLY_TRANSACTION


def server_error(request, *args, **kwargs) -> HttpResponse:
    unavailable = database_unavailable(sys.exc_info()[1])
    status = 503 if unavailable else 500
    if unavailable:
        message = gettext("fugong cannot use its database just now. Please try again in a moment.")
    else:
        message = gettext("Something went wrong on our side. It has been logged; please try again.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=status)
    else:
        page = loader.render_to_string("error.html", {"status": status, "message": message})
        response = HttpResponse(page, status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = SecurityHeadersMiddleware.CSP
    return response
