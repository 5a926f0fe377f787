"""Absolute session lifetime (the idle limit is SESSION_COOKIE_AGE with save on every request)."""

import time

from django.conf import settings
from django.contrib.auth import logout


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get("started_at")
            now = int(time.time())
            if started is None:
                request.session["started_at"] = now
            elif now - int(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)
