"""API authentication: bearer tokens for machines, the session (with CSRF) for browsers."""

from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.find(token, note_use=True)
        if found is None:
            return None
        request.user = found.user
        return found.user


class ActiveSessionAuth(SessionAuth):
    """Django's session, CSRF-checked by django-ninja for every unsafe method."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api_auth = [TokenAuth(), ActiveSessionAuth()]
