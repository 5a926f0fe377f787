"""Print a new API token for a user (stored hashed; shown only this once)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken, User
from audit.log import record


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="a label to tell tokens apart")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}")
        token, raw = ApiToken.issue(user, name or "command line")
        record("issue_token", actor=user, obj=token, object_type="apitoken", object_id=token.prefix)
        self.stdout.write(raw)
