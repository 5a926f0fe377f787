"""Users with a role and a scope, hashed API tokens and invitations for enterprise reporters."""

import functools
import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib import prepared
from lib.rawrows import Reader


class Role(models.TextChoices):
    REPORTER = "reporter", _("enterprise reporter")
    PARK_MANAGER = "park_manager", _("park manager")
    OFFICIAL = "official", _("regional official")
    ASSOCIATION = "association", _("association staff")
    HANDLER = "handler", _("department handler")
    ADMIN = "admin", _("administrator")


class User(AbstractUser):
    """A person with one role; the role's field (enterprise, park, region, divisions) is its scope."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REPORTER)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reporters",
    )
    park = models.ForeignKey(
        "registry.Park",
        verbose_name=_("park"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="managers",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_column="region_code",
        related_name="+",
    )
    industry_divisions = models.JSONField(
        _("industry divisions"),
        default=list,
        blank=True,
        help_text=_('GB/T 4754 two-digit divisions an association covers, e.g. ["27", "35"]'),
    )
    department = models.CharField(_("department"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_reporter_has_enterprise",
                condition=~models.Q(role="reporter")
                | models.Q(enterprise__isnull=False)
                | models.Q(is_superuser=True),
            ),
            models.CheckConstraint(
                name="user_park_manager_has_park",
                condition=~models.Q(role="park_manager") | models.Q(park__isnull=False),
            ),
            models.CheckConstraint(
                name="user_official_has_region",
                condition=~models.Q(role__in=["official", "handler"])
                | models.Q(region__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.username


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 digest is stored, the value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)  # shown in lists to tell tokens apart
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple["ApiToken", str]:
        raw = "fg_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:10], digest=digest_of(raw))
        return token, raw

    @classmethod
    def find(cls, raw: str, *, note_use: bool = False) -> "ApiToken | None":
        """The live token with this value, its user attached (active users only). With
        `note_use`, its last use is set to now when the one recorded is older than NOTE_EVERY
        (coarse on purpose: one write per token every few minutes, not per request). Written
        once as text: the ORM would build the same join on every API request; on PostgreSQL
        the look and the note are one statement, prepared once per connection (lib.prepared:
        unprepared, planning it cost the server more than running it)."""
        now = timezone.now()
        token_reader, user_reader = _readers()
        noting = note_use and connection.vendor == "postgresql"
        with prepared.cursor() as cursor:
            if noting:
                digest = digest_of(raw)
                params = [digest, now, digest, now - NOTE_EVERY]
                prepared.execute(cursor, _find_and_note_sql(), params)
            else:
                prepared.execute(cursor, _find_sql(), [digest_of(raw)])
            row = cursor.fetchone()
        if row is None:
            return None
        n = len(token_reader.fields)
        token = token_reader.build(row[:n])
        token._state.fields_cache["user"] = user_reader.build(row[n:])
        stale = token.last_used_at is None or token.last_used_at < now - NOTE_EVERY
        if note_use and stale:
            if not noting:
                cls.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token


NOTE_EVERY = timedelta(minutes=5)


@functools.cache
def _readers() -> tuple[Reader, Reader]:
    users = Reader(User, [f.name for f in User._meta.concrete_fields])
    return Reader(ApiToken, ["id", "user", "last_used_at"]), users


def live_token_sql(digest: str) -> str:
    """FROM … WHERE of a live token (t) and its user (u), the token's digest given by the SQL
    expression `digest`: what find() reads, for statements that read it themselves
    (dispatch.quick)."""
    q = connection.ops.quote_name
    return (
        f"{q(ApiToken._meta.db_table)} t JOIN {q(User._meta.db_table)} u "
        f"ON u.id = t.user_id WHERE t.digest = {digest} AND t.revoked_at IS NULL AND u.is_active"
    )


def note_use_sql(digest: str, now: str, stale_before: str, found: str) -> str:
    """PostgreSQL: the UPDATE that notes a token's use at `now` when the use on record is older
    than `stale_before` (see find), for a statement whose query `found` read it live. The
    arguments are SQL expressions."""
    table = connection.ops.quote_name(ApiToken._meta.db_table)
    return (
        f"UPDATE {table} SET last_used_at = {now} "  # noqa: S608
        f"WHERE digest = {digest} AND EXISTS (SELECT FROM {found}) "
        f"AND (last_used_at IS NULL OR last_used_at < {stale_before})"
    )


@functools.cache
def _find_sql() -> str:
    token_reader, user_reader = _readers()
    return (
        f"SELECT {token_reader.select('t')}, {user_reader.select('u')} "  # noqa: S608
        f"FROM {live_token_sql('%s')}"
    )


@functools.cache
def _find_and_note_sql() -> str:
    """PostgreSQL: _find_sql, and in the same statement the token's last use noted when stale
    (the row read is the one before the update)."""
    return (
        f"WITH found AS ({_find_sql()}), "  # noqa: S608
        f"noted AS ({note_use_sql('%s', '%s', '%s', 'found')}) SELECT * FROM found"
    )


class Invitation(models.Model):
    """A one-time link that lets an enterprise's reporter create an account."""

    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="invitations"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation for {self.enterprise_id}"

    @classmethod
    def issue(cls, enterprise, created_by: User, days: int = 14) -> tuple["Invitation", str]:
        raw = secrets.token_urlsafe(24)
        inv = cls.objects.create(
            enterprise=enterprise,
            digest=digest_of(raw),
            created_by=created_by,
            expires_at=timezone.now() + timedelta(days=days),
        )
        return inv, raw

    @classmethod
    def find_open(cls, raw: str) -> "Invitation | None":
        return (
            cls.objects.select_related("enterprise")
            .filter(digest=digest_of(raw), used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
