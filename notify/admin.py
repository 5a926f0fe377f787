"""Notifications in the back office: group robots (their secret and token never shown back),
events and deliveries read-only (they are the outbox's history), with a "retry now" for
deliveries that were given up."""

from django import forms
from django.contrib import admin, messages
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.log import record

from .delivery import WINDOW
from .models import Delivery, Event, JobState, Kind, Robot


class RobotForm(forms.ModelForm):
    """The secret and the webhook address are write-only: left empty, they stay as they are."""

    webhook_url = forms.URLField(
        label=_("webhook address"),
        assume_scheme="https",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 80}),
        help_text=_("only http(s); leave empty to keep the current address"),
    )
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("DingTalk's 加签 secret (SEC…); leave empty to keep the current one"),
    )
    clear_secret = forms.BooleanField(label=_("remove the signing secret"), required=False)
    kinds = forms.MultipleChoiceField(
        label=_("event kinds"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Robot
        fields = ["name", "kind", "webhook_url", "secret", "region", "kinds", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["webhook_url"] = ""
        self.initial["secret"] = ""
        if self.instance.pk is None:
            self.fields["webhook_url"].required = True
            self.fields["webhook_url"].help_text = _("only http(s)")

    def clean_webhook_url(self):
        value = self.cleaned_data["webhook_url"].strip()
        if value and not value.startswith(("https://", "http://")):
            raise forms.ValidationError(_("The address must start with https:// or http://."))
        return value or self.instance.webhook_url

    def clean_secret(self):
        return self.cleaned_data["secret"].strip() or self.instance.secret

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_secret"):
            cleaned["secret"] = ""
        return cleaned


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    form = RobotForm
    list_display = [
        "name",
        "kind",
        "region",
        "kinds_shown",
        "masked_url",
        "masked_secret",
        "active",
    ]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    autocomplete_fields = ["region"]
    fields = [
        "name",
        "kind",
        "current",
        "webhook_url",
        "secret",
        "clear_secret",
        "region",
        "kinds",
        "active",
    ]
    readonly_fields = ["current"]

    @admin.display(description=_("event kinds"))
    def kinds_shown(self, obj: Robot) -> str:
        labels = dict(Kind.choices)
        return "、".join(str(labels.get(k, k)) for k in obj.kinds)

    @admin.display(description=_("webhook address"))
    def masked_url(self, obj: Robot) -> str:
        return obj.masked_url

    @admin.display(description=_("signing secret"))
    def masked_secret(self, obj: Robot) -> str:
        return obj.masked_secret or "—"

    @admin.display(description=_("now"))
    def current(self, obj: Robot) -> str:
        if obj.pk is None:
            return "—"
        return f"{obj.masked_url} · {obj.masked_secret or '—'}"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(
            "save_robot",
            request=request,
            obj=obj,
            secret_changed="secret" in form.changed_data or form.cleaned_data.get("clear_secret"),
            address_changed="webhook_url" in form.changed_data,
        )


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ["created_at", "kind", "title", "region_code", "short_id"]
    list_filter = ["kind"]
    search_fields = ["title", "ref", "key"]
    date_hierarchy = "created_at"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = [
        "created_at",
        "event",
        "channel",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "channel"]
    list_select_related = ["event"]
    actions = ["retry_now"]

    @admin.action(description=_("Retry the selected failed deliveries now"))
    def retry_now(self, request, queryset):
        now = timezone.now()
        # Not sooner than a minute after the last attempt: the robots' rate count relies on it.
        count = queryset.filter(status=Delivery.Status.FAILED).update(
            status=Delivery.Status.PENDING,
            attempts=0,
            next_attempt_at=Greatest(
                Coalesce(F("last_attempt_at") + Value(WINDOW), Value(now)), Value(now)
            ),
            leased_until=None,
            lease_token=None,
        )
        record("retry_deliveries", request=request, object_type="delivery", count=count)
        messages.info(
            request,
            ngettext("%(n)d delivery will be retried.", "%(n)d deliveries will be retried.", count)
            % {"n": count},
        )

    def has_change_permission(self, request, obj=None):
        # The action needs change permission; the change form itself stays read-only.
        return obj is None and request.user.is_superuser


@admin.register(JobState)
class JobStateAdmin(ReadOnly):
    list_display = ["name", "next_run_at", "last_started", "last_finished", "last_error", "runs"]
