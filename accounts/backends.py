"""Log in by username, or by an enterprise's USCC for its reporter."""

from django.contrib.auth.backends import ModelBackend

from .models import Role, User


class UsernameOrUsccBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        ident = "".join(str(username).split())
        user = User.objects.filter(username=ident).first()
        if user is None and len(ident) == 18:
            user = (
                User.objects.filter(
                    role=Role.REPORTER, enterprise__uscc=ident.upper(), is_active=True
                )
                .order_by("date_joined")
                .first()
            )
        if user is None:
            User().set_password(password)  # same work as a real check, so timing reveals nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
