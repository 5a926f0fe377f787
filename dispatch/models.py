"""Daily and weekly dispatch: who reports how often, the reports and their versions, period locks,
the rollup tables every dashboard reads, risk levels and reminders."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Cadence(models.TextChoices):
    DAILY = "daily", _("daily 日调度")
    WEEKLY = "weekly", _("weekly 周调度")


class Status(models.TextChoices):
    NOT_RESUMED = "not_resumed", _("not resumed 未复工")
    PARTIAL = "partial", _("partly resumed 部分复工")
    FULL = "full", _("fully resumed 全面复工")


class RiskLevel(models.TextChoices):
    LOW = "low", _("low risk 低风险")
    MEDIUM = "medium", _("medium risk 中风险")
    HIGH = "high", _("high risk 高风险")


class Difficulty(models.TextChoices):
    """Difficulties a report can name (seed 003's list); each can open a problem later."""

    LABOUR = "labour", _("labour 用工")
    RAW_MATERIALS = "raw_materials", _("raw materials 原材料")
    ENERGY = "energy", _("energy 能源")
    FUNDS = "funds", _("funds and financing 资金")
    TRANSPORT = "transport", _("transport 运输")
    WAREHOUSING = "warehousing", _("warehousing 仓储")
    DELIVERY = "delivery", _("delivery 交付")
    CUSTOMS = "customs", _("customs 通关")
    APPROVALS = "approvals", _("approvals 审批")
    BACKLOG = "backlog", _("product backlog 产品积压")
    QUALIFICATION = "qualification", _("qualification 资质")
    INSPECTION = "inspection", _("product inspection 产品送检")
    PREVENTION_SUPPLIES = "prevention_supplies", _("prevention supplies 防疫物资")
    OTHER = "other", _("other 其他")


class Settings(models.Model):
    """The deployment's dispatch settings (one row): the daily cut-off time."""

    cutoff = models.TimeField(_("cut-off time"), default="17:00")

    class Meta:
        verbose_name = _("dispatch settings")
        verbose_name_plural = _("dispatch settings")

    def __str__(self) -> str:
        return f"cut-off {self.cutoff:%H:%M}"


class EmergencyPeriod(models.Model):
    """While an emergency switch is on, every day is a reporting day (weekends and holidays too)."""

    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)  # open: still on
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-start"]
        verbose_name = _("emergency period")
        verbose_name_plural = _("emergency periods")

    def __str__(self) -> str:
        return f"{self.start} – {self.end or '…'}"


class CadenceRule(models.Model):
    """One rule of who reports how often; an enterprise takes the first rule it matches (daily
    rules before weekly). Blank conditions match anything."""

    cadence = models.CharField(_("cadence"), max_length=8, choices=Cadence.choices)
    above_scale = models.BooleanField(_("above designated size"), null=True, blank=True)
    tag = models.CharField(_("tag"), max_length=24, blank=True)
    industry_prefix = models.CharField(
        _("industry code prefix"), max_length=4, blank=True, help_text=_("e.g. 27, 3841")
    )
    in_park = models.BooleanField(_("in a park"), null=True, blank=True)
    key_project = models.BooleanField(_("has a key project"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")

    def __str__(self) -> str:
        return f"{self.get_cadence_display()}: {self.note or self.pk}"


class Duty(models.Model):
    """An enterprise's reporting duty and the dimensions its figures are rolled up under: a copy
    of the register kept in step with it, so a rollup never joins the register."""

    enterprise = models.OneToOneField(
        "registry.Enterprise", primary_key=True, on_delete=models.CASCADE, related_name="duty"
    )
    cadence = models.CharField(_("cadence"), max_length=8, choices=Cadence.choices, blank=True)
    county = models.CharField(_("county"), max_length=6)
    division = models.CharField(_("industry division"), max_length=2)
    size = models.CharField(_("size"), max_length=8)
    tagset = models.CharField(_("tags"), max_length=120, blank=True)  # sorted, comma-joined
    park_id = models.BigIntegerField(_("park"), default=0)  # 0: none (a key column, never NULL)
    headcount = models.PositiveIntegerField(_("normal headcount"))
    weight = models.PositiveBigIntegerField(_("weight"))  # baseline output, else headcount

    class Meta:
        ordering = ["enterprise_id"]
        verbose_name = _("reporting duty")
        verbose_name_plural = _("reporting duties")
        indexes = [
            # the not-reported list: expected enterprises of a subtree
            models.Index(fields=["county", "cadence"], name="duty_county_cadence"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.cadence or '-'}"


class Report(models.Model):
    """The current version of one enterprise's report for one date (earlier versions are kept).

    A report never corrected is its own first version: who sent it (submitted_by), when
    (submitted_at), from where (source) and its values. Its ReportVersion rows are written at
    its first correction, the first version's from the report as it stood (actions.versions
    reads both kinds)."""

    # No index of its own: report_one_per_date (enterprise, date) serves lookups by enterprise,
    # and a second index would cost every insert.
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="reports", db_index=False
    )
    county = models.CharField(_("county"), max_length=6)  # every large table carries its region
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    staff_on_site = models.PositiveIntegerField(_("staff on site"))
    capacity_pct = models.PositiveSmallIntegerField(_("capacity %"))
    temperature_checks = models.BooleanField(_("temperature checks"))
    disinfection = models.BooleanField(_("disinfection"))
    mask_days = models.PositiveSmallIntegerField(_("days of masks on hand"))
    fever = models.PositiveIntegerField(_("fever cases"))
    suspected = models.PositiveIntegerField(_("suspected cases"))
    confirmed = models.PositiveIntegerField(_("confirmed cases"))
    difficulties = models.JSONField(_("difficulties"), default=list, blank=True)
    over_headcount_reason = models.CharField(
        _("reason for staff above headcount"), max_length=200, blank=True
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    on_time = models.BooleanField(_("on time"))
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("first submitted"))
    updated_at = models.DateTimeField(_("last changed"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where the first version came from: web, api, batch, import, no_change, demo.
    source = models.CharField(_("source"), max_length=16, default="", blank=True)

    class Meta:
        ordering = ["-date", "enterprise_id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "date"], name="report_one_per_date"),
        ]
        indexes = [
            # the raw-report comparison in the benchmark and the rebuild: a subtree on a date
            models.Index(fields=["date", "county"], name="report_date_county"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.date} v{self.version}"


class ReportVersion(models.Model):
    """Every version of a corrected report: who, when, from where, the values and what changed.
    A report never corrected has none (it is its own first version: see Report)."""

    # Lookups by report use reportversion_unique (report, version); no index of its own.
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    version = models.PositiveIntegerField(_("version"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    source = models.CharField(_("source"), max_length=16)  # web, api, batch, import
    values = models.JSONField(_("values"))
    changes = models.JSONField(_("changes"), default=dict)  # {field: [old, new]}

    class Meta:
        ordering = ["report_id", "version"]
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="reportversion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.version}"


class PeriodLock(models.Model):
    """An official has locked a date for a region's subtree: its reports can no longer change."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, db_column="region_code", related_name="+"
    )
    date = models.DateField(_("date"))
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    locked_at = models.DateTimeField(_("locked"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "region_id"]
        verbose_name = _("period lock")
        verbose_name_plural = _("period locks")
        constraints = [
            models.UniqueConstraint(fields=["region", "date"], name="periodlock_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.date}"


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an Idempotency-Key, replayed for the same key."""

    # No index of its own: idempotencykey_unique (user, key) serves lookups by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    created_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_unique"),
        ]
        indexes = [
            # forgetting old keys
            models.Index(fields=["created_at"], name="idempotencykey_created"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key[:20]}"


MEASURES = (
    "reported",  # enterprises counted with a report
    "on_time",  # … of which received by the cut-off
    "resumed",  # … partial or full
    "full",
    "staff_on_site",
    "capacity_weighted",  # Σ capacity % × weight
    "weight",  # Σ weight of those reported
    "fever",
    "suspected",
    "confirmed",
)
REGISTER_MEASURES = ("enterprises", "headcount", "weight")
DIMENSIONS = ("cadence", "division", "size", "tagset", "park_id")


class Rollup(models.Model):
    """Report figures by county × date × cadence × industry division × size × tags × park.

    Kept by the same transaction as each write; `rebuild_rollups` recomputes it from reports.
    """

    county = models.CharField(max_length=6)
    date = models.DateField()
    cadence = models.CharField(max_length=8)
    division = models.CharField(max_length=2)
    size = models.CharField(max_length=8)
    tagset = models.CharField(max_length=120)
    park_id = models.BigIntegerField()
    reported = models.BigIntegerField(default=0)
    on_time = models.BigIntegerField(default=0)
    resumed = models.BigIntegerField(default=0)
    full = models.BigIntegerField(default=0)
    staff_on_site = models.BigIntegerField(default=0)
    capacity_weighted = models.BigIntegerField(default=0)
    weight = models.BigIntegerField(default=0)
    fever = models.BigIntegerField(default=0)
    suspected = models.BigIntegerField(default=0)
    confirmed = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["date", "county"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "date", "cadence", "division", "size", "tagset", "park_id"],
                name="rollup_key",
            ),
        ]
        indexes = [
            # breakdowns of a subtree on a date (prefix range on county)
            models.Index(fields=["date", "county"], name="rollup_date_county"),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.date}"


class CountyDay(models.Model):
    """Report figures by county × date × cadence: what the headline figures of any region sum."""

    county = models.CharField(max_length=6)
    date = models.DateField()
    cadence = models.CharField(max_length=8)
    reported = models.BigIntegerField(default=0)
    on_time = models.BigIntegerField(default=0)
    resumed = models.BigIntegerField(default=0)
    full = models.BigIntegerField(default=0)
    staff_on_site = models.BigIntegerField(default=0)
    capacity_weighted = models.BigIntegerField(default=0)
    weight = models.BigIntegerField(default=0)
    fever = models.BigIntegerField(default=0)
    suspected = models.BigIntegerField(default=0)
    confirmed = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["date", "county"]
        constraints = [
            models.UniqueConstraint(fields=["county", "date", "cadence"], name="countyday_key"),
        ]
        indexes = [
            # stats and trends: a subtree on a date or a date range (prefix range on county)
            models.Index(fields=["date", "county"], name="countyday_date_county"),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.date}"


class RegisterRollup(models.Model):
    """Enterprises expected to report, by county × cadence × division × size × tags × park."""

    county = models.CharField(max_length=6)
    cadence = models.CharField(max_length=8)
    division = models.CharField(max_length=2)
    size = models.CharField(max_length=8)
    tagset = models.CharField(max_length=120)
    park_id = models.BigIntegerField()
    enterprises = models.BigIntegerField(default=0)
    headcount = models.BigIntegerField(default=0)
    weight = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["county"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "cadence", "division", "size", "tagset", "park_id"],
                name="registerrollup_key",
            ),
        ]

    def __str__(self) -> str:
        return self.county


class CountyRegister(models.Model):
    """Enterprises expected to report, by county × cadence."""

    county = models.CharField(max_length=6)
    cadence = models.CharField(max_length=8)
    enterprises = models.BigIntegerField(default=0)
    headcount = models.BigIntegerField(default=0)
    weight = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["county"]
        constraints = [
            models.UniqueConstraint(fields=["county", "cadence"], name="countyregister_key"),
        ]

    def __str__(self) -> str:
        return self.county


class CountyRisk(models.Model):
    """A county's risk level from a date on (分区分级); the latest one in effect applies."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, db_column="region_code", related_name="+"
    )
    level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices)
    effective_from = models.DateField(_("effective from"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(_("set"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=16, default="web")

    class Meta:
        ordering = ["region_id", "-effective_from"]
        verbose_name = _("risk level")
        verbose_name_plural = _("risk levels")
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"], name="countyrisk_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.level} from {self.effective_from}"


class Reminder(models.Model):
    """An official asked a non-reporting enterprise to report (notify.reminders delivers it)."""

    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="reminders"
    )
    date = models.DateField(_("for date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "date"], name="reminder_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.date}"
