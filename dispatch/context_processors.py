"""Whether the page's navigation offers the dispatch settings: only when a template asks, and
by the same rule as the settings pages (dispatch.rules.can_change)."""

from django.utils.functional import SimpleLazyObject

from . import rules


def settings_link(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"may_change_settings": SimpleLazyObject(lambda: rules.can_change(user))}
