"""The problem desk (诉求 / 问题协调): desks of the functional departments, the routing table,
problems with their deadlines and timeline, comments both ways and attachments."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Difficulty

# What a problem is about (seeds 001 and 003): a report's difficulties, whose values it shares so
# that a ticked difficulty becomes a problem of the same category, and policy consultation.
Category = models.TextChoices(  # type: ignore[call-overload]  # (value, label) pairs: stubs lag
    "Category",
    [(d.name, (d.value, d.label)) for d in Difficulty if d != Difficulty.OTHER]
    + [
        ("POLICY", ("policy", _("policy consultation 政策咨询"))),
        ("OTHER", (Difficulty.OTHER.value, Difficulty.OTHER.label)),
    ],
)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal 一般")
    URGENT = "urgent", _("urgent 紧急")
    CRITICAL = "critical", _("critical 特急")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("submitted 待受理")
    ACCEPTED = "accepted", _("accepted 已受理")
    IN_PROGRESS = "in_progress", _("in progress 办理中")
    ANSWERED = "answered", _("answered 已答复")
    CONFIRMED = "confirmed", _("confirmed 已确认")
    CLOSED = "closed", _("closed 已办结")


OPEN = (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS)
DONE = (Status.CONFIRMED, Status.CLOSED)


def overdue_q(now: datetime) -> Q:
    """Open and past its deadline at `now`: accept-by while waiting to be accepted, answer-by
    once accepted (an answered problem waits for the enterprise, not the desk)."""
    return Q(status=Status.SUBMITTED, accept_due__lt=now) | Q(
        status__in=[Status.ACCEPTED, Status.IN_PROGRESS], answer_due__lt=now
    )


class Source(models.TextChoices):
    ENTERPRISE = "enterprise", _("raised by the enterprise 企业提出")
    REPORT = "report", _("from a dispatch report 调度填报")
    VISIT = "visit", _("recorded on a visit 走访记录")


class DepartmentKind(models.TextChoices):
    """The functional departments problems go to; 工信 is the officials' own desk and the fallback."""

    INDUSTRY = "industry", _("industry and IT 工信")
    HUMAN_RESOURCES = "human_resources", _("human resources 人社")
    TRANSPORT = "transport", _("transport 交通运输")
    FINANCE_OFFICE = "finance_office", _("finance office 金融办")
    CENTRAL_BANK = "central_bank", _("central bank branch 人民银行")
    COMMERCE = "commerce", _("commerce 商务")
    CUSTOMS = "customs", _("customs 海关")
    DEVELOPMENT_REFORM = "development_reform", _("development and reform 发改")
    MARKET_REGULATION = "market_regulation", _("market regulation 市场监管")
    HEALTH = "health", _("health 卫健")
    TAX = "tax", _("tax 税务")
    NATURAL_RESOURCES = "natural_resources", _("natural resources 自然资源")
    HOUSING = "housing", _("housing and construction 住建")
    EMERGENCY = "emergency", _("emergency management 应急")


class Department(models.Model):
    """A desk: one functional department of one region, with the people who work its problems."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        db_column="region_code",
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=DepartmentKind.choices)
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="desks",
        help_text=_("handlers who work this desk's problems (officials may be members too)"),
    )

    class Meta:
        ordering = ["region_id", "kind"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["region", "kind"], name="department_one_per_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Problems of a category go to a department kind. A rule on a region applies to its whole
    subtree and the most specific one wins; a rule without a region is the national default."""

    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_column="region_code",
        related_name="+",
        help_text=_("empty: the national default"),
    )
    kind = models.CharField(_("department"), max_length=24, choices=DepartmentKind.choices)

    class Meta:
        ordering = ["category", "region_id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "region"], name="routingrule_one_per_region"
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(region__isnull=True),
                name="routingrule_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} @ {self.region_id or '*'} → {self.kind}"


class Problem(models.Model):
    """One problem (诉求) of one enterprise, at one desk, with its deadlines and its state.

    `version` grows by one with every change of state: a change names the version it saw, and a
    stale one is refused (optimistic locking), so no step is ever lost to a concurrent edit.
    """

    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="problems",
    )
    county = models.CharField(_("county"), max_length=6)  # the enterprise's, for prefix scoping
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    description = models.TextField(_("description"), max_length=4000)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="problems",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_problems",
    )
    report = models.ForeignKey(
        "dispatch.Report",
        verbose_name=_("dispatch report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="problems",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.ENTERPRISE
    )
    accept_due = models.DateTimeField(_("accept by"))
    answer_due = models.DateTimeField(_("answer by"))
    accepted_at = models.DateTimeField(_("first accepted"), null=True, blank=True)
    accepted_on_time = models.BooleanField(_("accepted on time"), null=True, blank=True)
    missed_accept = models.BooleanField(_("acceptance overdue once"), default=False)
    answered_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_note = models.CharField(_("rating note"), max_length=500, blank=True)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("levels above the first desk"), default=0)
    # The region level (1 province, 2 city, 3 county) of the desk an automatic escalation last
    # moved the problem away from (or flagged it at): at most one automatic step per level.
    auto_escalated_level = models.PositiveSmallIntegerField(null=True, blank=True)
    flagged = models.BooleanField(_("overdue at the top desk"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("raised"))
    updated_at = models.DateTimeField(_("last changed"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        constraints = [
            models.CheckConstraint(
                name="problem_rating_1_to_5",
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
            ),
        ]
        indexes = [
            # lists and metrics of a region subtree (prefix range on county) over a date range
            models.Index(fields=["county", "created_at"], name="problem_county_created"),
            # an enterprise's own list
            models.Index(fields=["enterprise", "created_at"], name="problem_enterprise_created"),
            # escalate_overdue: open problems past a deadline
            models.Index(fields=["status", "accept_due"], name="problem_status_accept_due"),
            models.Index(fields=["status", "answer_due"], name="problem_status_answer_due"),
            # picking the member with the fewest open problems
            models.Index(fields=["handler", "status"], name="problem_handler_status"),
            # a desk's list
            models.Index(fields=["department", "status"], name="problem_department_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The number people quote (诉求编号): SQ and the id, zero-padded."""
        return f"SQ{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def overdue_at(self, now: datetime) -> bool:
        """The same as overdue_q, for one problem in hand."""
        if self.status == Status.SUBMITTED:
            return self.accept_due < now
        return self.status in (Status.ACCEPTED, Status.IN_PROGRESS) and self.answer_due < now


class Action(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ASSIGNED = "assigned", _("assigned")
    ACCEPTED = "accepted", _("accepted")
    STARTED = "started", _("work started")
    ANSWERED = "answered", _("answered")
    CONFIRMED = "confirmed", _("confirmed and rated")
    REOPENED = "reopened", _("reopened")
    CLOSED = "closed", _("closed")
    TRANSFERRED = "transferred", _("transferred")
    ESCALATED = "escalated", _("escalated")
    OVERDUE = "overdue", _("overdue")
    COMMENTED = "commented", _("commented")
    ATTACHED = "attached", _("attached a file")


class ProblemStep(models.Model):
    """One step on a problem's timeline: who, when, what (and the state before and after)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="steps")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=4000)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["problem_id", "at", "id"]
        verbose_name = _("problem step")
        verbose_name_plural = _("problem steps")
        indexes = [
            # a problem's timeline
            models.Index(fields=["problem", "at"], name="problemstep_problem_at"),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action}"


class Comment(models.Model):
    """A message between the enterprise and the desk, in either direction."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"), max_length=4000)
    by_enterprise = models.BooleanField(_("from the enterprise"), default=False)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["problem_id", "created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            # a problem's comments in order
            models.Index(fields=["problem", "created_at"], name="comment_problem_created"),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id}: {self.text[:30]}"


class Attachment(models.Model):
    """An uploaded file, stored under a generated name; the uploaded name is kept for display
    and for Content-Disposition only, never used as a path."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=32, unique=True)  # 32 hex digits
    filename = models.CharField(_("file name"), max_length=120)
    kind = models.CharField(_("type"), max_length=8)  # pdf, png, jpeg, docx, xlsx (sniffed)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["problem_id", "uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
