"""Notifications: events stored first (the outbox), each recipient's inbox item, one delivery row
per event and channel target (e-mail to a user, or a DingTalk / WeCom group robot), the group
robots, users' e-mail choices, and the state of the worker's periodic jobs."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.masking import mask_secret, mask_url
from regions.models import prefix_of


class Kind(models.TextChoices):
    """What an event is about; robots and users' e-mail choices are per kind."""

    PROBLEM_ASSIGNED = "problem.assigned", _("a problem is assigned to me")
    PROBLEM_OVERDUE = "problem.overdue", _("a problem is overdue")
    PROBLEM_ANSWERED = "problem.answered", _("a problem is answered")
    PROBLEM_REOPENED = "problem.reopened", _("a problem is reopened")
    PROBLEM_ESCALATED = "problem.escalated", _("a problem is escalated to my desk")
    PROBLEM_TRANSFERRED = "problem.transferred", _("a problem is transferred to my desk")
    PROBLEM_COMMENTED = "problem.commented", _("a comment on a problem")
    PROBLEM_CONFIRMED = "problem.confirmed", _("an enterprise confirms an answer")
    REPORT_REMINDER = "report.reminder", _("a reminder to report")
    ROLLUP_CHECK = "system.rollup_check", _("the nightly figures check found a difference")


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")


class Event(models.Model):
    """Something to tell people about, stored in the writer's transaction: it exists exactly when
    the business change committed. Its id travels with every delivery so that receivers can
    discard a repeat (delivery is at least once)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=2000)
    url = models.CharField(_("link"), max_length=300, blank=True)  # a path on this site
    ref = models.CharField(_("reference"), max_length=100, blank=True)  # e.g. a USCC or problem id
    key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True, unique=True)
    region_code = models.CharField(_("region"), max_length=6, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            # reminders: has this enterprise been reminded in the last days (weekly reporters)
            models.Index(fields=["kind", "ref", "created_at"], name="event_kind_ref_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.short_id}"

    @property
    def short_id(self) -> str:
        """What people see at the end of a message (the full id goes in a header)."""
        return self.id.hex[:12]


class InboxItem(models.Model):
    """An event in one user's in-app inbox; every recipient gets one, whatever their e-mail
    choices."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="inbox_items")
    created_at = models.DateTimeField(_("created"))  # the event's, kept here for the list's index
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="inbox_once_per_event"),
        ]
        indexes = [
            # the unread badge on every page (a COUNT) and the inbox list
            models.Index(fields=["user", "read_at"], name="inbox_user_read"),
            models.Index(fields=["user", "-created_at"], name="inbox_user_created"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.event_id}"


class Robot(models.Model):
    """A DingTalk or WeCom group robot: events of its kinds from its region's subtree (every
    region when none is set) are posted to the group. The webhook address carries the group's
    access token and the secret signs DingTalk requests, so neither is ever shown in full."""

    kind = models.CharField(
        _("kind"), max_length=8, choices=[c for c in Channel.choices if c[0] != Channel.EMAIL]
    )
    name = models.CharField(_("name"), max_length=100)
    webhook_url = models.CharField(
        _("webhook address"),
        max_length=500,
        help_text=_(
            "DingTalk: https://oapi.dingtalk.com/robot/send?access_token=…; "
            "WeCom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
        ),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk's 加签 secret (SEC…); empty when the robot does not sign"),
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_column="region_code",
        related_name="+",
        help_text=_("events of this region's subtree; empty: every region"),
    )
    kinds = models.JSONField(_("event kinds"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self) -> str:
        return self.name

    def takes(self, kind: str, region_code: str) -> bool:
        if not self.active or kind not in self.kinds:
            return False
        if self.region_id is None:
            return True
        return bool(region_code) and region_code.startswith(prefix_of(self.region_id))

    @property
    def masked_secret(self) -> str:
        return mask_secret(self.secret)

    @property
    def masked_url(self) -> str:
        return mask_url(self.webhook_url)


class Delivery(models.Model):
    """One event to one target over one channel: a user's e-mail, or a group robot. At most one
    per event and target, so a retry or a second worker never makes a second one."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending 待发送")
        SENT = "sent", _("sent 已发送")
        FAILED = "failed", _("failed 发送失败")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    robot = models.ForeignKey(
        Robot, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(user__isnull=False),
                name="delivery_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["event", "robot"],
                condition=Q(robot__isnull=False),
                name="delivery_once_per_robot",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, robot__isnull=True)
                | Q(user__isnull=True, robot__isnull=False),
                name="delivery_one_target",
            ),
        ]
        indexes = [
            # deliver_due: pending deliveries whose time has come
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            # the rate limit: a robot's attempts of the last minute
            models.Index(fields=["robot", "last_attempt_at"], name="delivery_robot_recent"),
            # the clean-up of old sent deliveries
            models.Index(fields=["status", "sent_at"], name="delivery_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.target}"

    @property
    def target(self) -> str:
        return f"robot {self.robot_id}" if self.robot_id else f"user {self.user_id}"


class Preference(models.Model):
    """Whether a user wants e-mail for one kind of event (no row: yes, when they have an
    address). The in-app inbox is always on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preferences"
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        ordering = ["user_id", "kind"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {'e-mail' if self.email else 'inbox only'}"


class JobState(models.Model):
    """When a periodic job (lib/jobs.py) runs next and who holds it: a worker takes a due job by
    a compare-and-set on its lease, so two workers never run it at once, and a job whose worker
    died runs again after the lease."""

    name = models.CharField(_("name"), max_length=64, primary_key=True)
    next_run_at = models.DateTimeField(_("next run"))
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_started = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.name
