"""Audit logins and failed logins; end the sessions of a disabled account."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from audit.log import record

from .models import User


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record("login", actor=user, request=request, object_type="user", object_id=str(user.pk))


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The username tried is kept; the password never is.
    record(
        "login",
        request=request,
        object_type="user",
        object_id=str(credentials.get("username", ""))[:64],
        result="denied",
    )


@receiver(post_save, sender=User)
def end_sessions_of_disabled(sender, instance: User, **kwargs):
    if instance.is_active:
        return
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(instance.pk):
            session.delete()
