"""The unread count on every page's inbox link: one COUNT, only when a template shows it."""

from django.utils.functional import SimpleLazyObject

from . import services


def inbox(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: services.unread_count(user))}
