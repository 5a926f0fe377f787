"""The enterprise register: enterprises, parks, key projects, contacts and the history of changes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from industries.sizes import SizeClass


class Tag(models.TextChoices):
    """Key lists an enterprise can be on."""

    LEADING = "leading", _("leading 龙头")
    BACKBONE = "backbone", _("backbone 骨干")
    KEY_CONTACT = "key_contact", _("key contact 重点联系")
    PREVENTION_SUPPLIES = "prevention_supplies", _("prevention supplies 防疫物资")
    LIVELIHOOD = "livelihood", _("livelihood 民生保障")
    FOREIGN_TRADE = "foreign_trade", _("foreign trade 外贸")


class Park(models.Model):
    """An industrial park (园区); its manager reports for its enterprises in bulk."""

    name = models.CharField(_("name"), max_length=128)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        db_column="region_code",
        related_name="+",
    )

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("park")
        verbose_name_plural = _("parks")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="park_unique_name_in_region")
        ]

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    """An enterprise, identified by its unified social credit code."""

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        db_column="region_code",
        related_name="+",
    )
    industry = models.ForeignKey(
        "industries.Industry",
        verbose_name=_("industry"),
        on_delete=models.PROTECT,
        db_column="industry_code",
        related_name="+",
    )
    headcount = models.PositiveIntegerField(_("normal headcount"))
    revenue = models.DecimalField(
        _("revenue (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    output_value = models.DecimalField(
        _("baseline output value (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    size_class = models.CharField(_("size"), max_length=8, choices=SizeClass.choices)
    size_overridden = models.BooleanField(_("size set by hand"), default=False)
    above_scale = models.BooleanField(_("above designated size"), default=False)
    park = models.ForeignKey(
        Park,
        verbose_name=_("park"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprises",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [
            # list and scope by region subtree (prefix range on region_code), ordered by name
            models.Index(fields=["region", "name"], name="ent_region_name"),
            # association scope and the industry filter (prefix range on industry_code)
            models.Index(fields=["industry", "region"], name="ent_industry_region"),
            # the park manager's list
            models.Index(fields=["park", "name"], name="ent_park_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc})"

    @property
    def tags(self) -> list[str]:
        """Tag codes, in Tag order (reads prefetched tag_rows when present)."""
        have = {row.tag for row in self.tag_rows.all()}
        return [t.value for t in Tag if t.value in have]


class EnterpriseTag(models.Model):
    """One tag of one enterprise (a row per tag, so both databases filter and count by tag)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(_("tag"), max_length=24, choices=Tag.choices)

    class Meta:
        ordering = ["enterprise_id", "tag"]
        verbose_name = _("enterprise tag")
        verbose_name_plural = _("enterprise tags")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "tag"], name="enterprisetag_unique")
        ]
        indexes = [
            # the tag filter: enterprises with tag T
            models.Index(fields=["tag", "enterprise"], name="enterprisetag_tag"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}:{self.tag}"


class KeyProject(models.Model):
    """A key project (重点项目), reported weekly."""

    name = models.CharField(_("name"), max_length=200)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="key_projects",
    )
    investment = models.DecimalField(
        _("investment (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["enterprise_id", "name"]
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A contact person; the phone is masked for anyone who does not need it."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=64)
    title = models.CharField(_("title"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20)

    class Meta:
        ordering = ["enterprise_id", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class EnterpriseChange(models.Model):
    """Who changed which fields of an enterprise, when (old and new values)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=16)  # web, api, import, admin
    changes = models.JSONField(_("changes"))  # {field: [old, new]}

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("enterprise change")
        verbose_name_plural = _("enterprise changes")
        indexes = [
            # an enterprise page's history, newest first
            models.Index(fields=["enterprise", "-at"], name="entchange_enterprise_at"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} @ {self.at:%Y-%m-%d %H:%M}"


class ImportJob(models.Model):
    """An uploaded enterprise sheet, checked (dry run) or imported by the worker.

    The worker claims a job by moving it to a running state with a lease; a job whose lease ran
    out (its worker died) is claimed again. The real run writes everything in one transaction, so
    a killed import leaves all of its rows or none.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        CHECKING = "checking", _("checking")
        WRITING = "writing", _("writing")
        DONE = "done", _("done")
        REJECTED = "rejected", _("rejected")  # bad rows: nothing written
        FAILED = "failed", _("failed")  # the file itself could not be read

    RUNNING = (Status.CHECKING, Status.WRITING)
    FINISHED = (Status.DONE, Status.REJECTED, Status.FAILED)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    filename = models.CharField(_("file name"), max_length=128)  # shown only, never a path
    data = models.BinaryField(_("file"), editable=False)
    dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.JSONField(default=list, blank=True)  # [{row, column, reason}], capped
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            # the worker's queue: oldest queued (or lease-expired) job first
            models.Index(fields=["status", "created_at"], name="importjob_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.REJECTED):
            return 100
        return int(100 * self.processed / self.total) if self.total else 0
