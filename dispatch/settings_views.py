"""The dispatch settings page: cadence rules, the cut-off time and the emergency switch."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.models import Tag

from . import calendar, rules
from .models import Cadence, CadenceRule, Duty, EmergencyPeriod

ANY = [("", gettext_lazy("any")), ("1", gettext_lazy("yes")), ("0", gettext_lazy("no"))]


class RuleForm(forms.Form):
    cadence = forms.ChoiceField(label=gettext_lazy("cadence"), choices=Cadence.choices)
    above_scale = forms.ChoiceField(
        label=gettext_lazy("above designated size"), choices=ANY, required=False
    )
    tag = forms.ChoiceField(
        label=gettext_lazy("tag"), choices=[("", gettext_lazy("any")), *Tag.choices], required=False
    )
    industry_prefix = forms.RegexField(
        label=gettext_lazy("industry code prefix"), regex=r"^\d{0,4}$", required=False, max_length=4
    )
    in_park = forms.ChoiceField(label=gettext_lazy("in a park"), choices=ANY, required=False)
    key_project = forms.ChoiceField(
        label=gettext_lazy("has a key project"), choices=ANY, required=False
    )
    position = forms.IntegerField(
        label=gettext_lazy("order"), min_value=0, max_value=999, initial=100
    )
    note = forms.CharField(label=gettext_lazy("note"), max_length=200, required=False)

    def __init__(self, *args, form_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # The inputs sit in table cells; the form attribute ties them to their row's form.
            field.widget.attrs["form"] = form_id
            field.widget.attrs["aria-label"] = str(field.label)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("above_scale", "in_park", "key_project"):
            data[name] = {"": None, "1": True, "0": False}[data[name]]
        return data


def _initial(rule: CadenceRule) -> dict:
    def tri(value):
        return "" if value is None else "1" if value else "0"

    return {
        "cadence": rule.cadence,
        "above_scale": tri(rule.above_scale),
        "tag": rule.tag,
        "industry_prefix": rule.industry_prefix,
        "in_park": tri(rule.in_park),
        "key_project": tri(rule.key_project),
        "position": rule.position,
        "note": rule.note,
    }


def _allowed(request) -> None:
    if not rules.can_change(request.user):
        raise Http404


@login_required
def settings_page(request):
    _allowed(request)
    counts = {c: Duty.objects.filter(cadence=c).count() for c in Cadence.values}
    counts["none"] = Duty.objects.filter(cadence="").count()
    context = {
        "rules": [
            (r, RuleForm(initial=_initial(r), prefix=f"r{r.pk}", form_id=f"rule-{r.pk}"))
            for r in CadenceRule.objects.all()
        ],
        "new_rule": RuleForm(prefix="new", form_id="rule-new"),
        "cutoff": calendar.settings_row().cutoff,
        "open_emergency": EmergencyPeriod.objects.filter(end__isnull=True).first(),
        "periods": EmergencyPeriod.objects.all()[:10],
        "today": calendar.today(),
        "counts": counts,
    }
    return render(request, "dispatch/settings.html", context)


@login_required
@require_POST
def save_rule(request, pk: int | None = None):
    _allowed(request)
    rule = get_object_or_404(CadenceRule, pk=pk) if pk else None
    form = RuleForm(request.POST, prefix=f"r{pk}" if pk else "new")
    if not form.is_valid():
        messages.error(
            request, _("The rule was not saved: %(errors)s") % {"errors": form.errors.as_text()}
        )
        return redirect("dispatch_settings:page")
    _rule, changed = rules.save_rule(
        actor=request.user, values=form.values(), rule=rule, request=request
    )
    messages.success(
        request, _("Rule saved; %(n)d enterprises changed their reporting duty.") % {"n": changed}
    )
    return redirect("dispatch_settings:page")


@login_required
@require_POST
def delete_rule(request, pk: int):
    _allowed(request)
    changed = rules.delete_rule(
        actor=request.user, rule=get_object_or_404(CadenceRule, pk=pk), request=request
    )
    messages.success(
        request, _("Rule deleted; %(n)d enterprises changed their reporting duty.") % {"n": changed}
    )
    return redirect("dispatch_settings:page")


class CutoffForm(forms.Form):
    cutoff = forms.TimeField(label=gettext_lazy("cut-off time"))


@login_required
@require_POST
def set_cutoff(request):
    _allowed(request)
    form = CutoffForm(request.POST)
    if form.is_valid():
        rules.set_cutoff(actor=request.user, cutoff=form.cleaned_data["cutoff"], request=request)
        messages.success(request, _("Cut-off time saved."))
    else:
        messages.error(request, _("Give a time like 17:00."))
    return redirect("dispatch_settings:page")


class EmergencyForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("date"))
    note = forms.CharField(label=gettext_lazy("note"), max_length=200, required=False)


@login_required
@require_POST
def emergency(request, switch: str):
    _allowed(request)
    form = EmergencyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a date like 2020-02-03."))
    elif switch == "on":
        rules.emergency_on(
            actor=request.user,
            start=form.cleaned_data["day"],
            note=form.cleaned_data["note"],
            request=request,
        )
        messages.success(request, _("Emergency on: every day is a reporting day."))
    else:
        rules.emergency_off(actor=request.user, end=form.cleaned_data["day"], request=request)
        messages.success(request, _("Emergency off: working days only."))
    return redirect("dispatch_settings:page")
