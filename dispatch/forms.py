"""The report form: draws the fields of a report and keeps what was typed.

It judges nothing itself. The one rule set (dispatch/validation.py, through actions.submit) decides,
and its messages are put next to the fields they name, so the form, the API and the spreadsheet can
never disagree about a rule.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from .models import Difficulty, Report, Status

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

YES_NO = [("true", _("Yes")), ("false", _("No"))]


def _number(
    label: "StrOrPromise", help_text: "StrOrPromise" = "", maximum: int | None = None
) -> forms.CharField:
    # Text, not IntegerField: whatever was typed comes back as typed, and the rule set words the
    # message. The widget still brings up a phone's number pad.
    attrs = {"inputmode": "numeric", "min": "0", "step": "1", "autocomplete": "off"}
    if maximum is not None:
        attrs["max"] = str(maximum)
    return forms.CharField(
        label=label, help_text=help_text, required=False, widget=forms.NumberInput(attrs=attrs)
    )


class ReportForm(forms.Form):
    date = forms.CharField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Status"), choices=Status.choices, required=False, widget=forms.RadioSelect
    )
    staff_on_site = _number(_("Staff on site"))
    capacity_pct = _number(_("Capacity %"), _("0 to 150"), 150)
    temperature_checks = forms.ChoiceField(
        label=_("Temperature checks"), choices=YES_NO, required=False, widget=forms.RadioSelect
    )
    disinfection = forms.ChoiceField(
        label=_("Disinfection"), choices=YES_NO, required=False, widget=forms.RadioSelect
    )
    mask_days = _number(_("Days of masks on hand"), maximum=365)
    fever = _number(_("Fever cases"))
    suspected = _number(_("Suspected cases"))
    confirmed = _number(_("Confirmed cases"))
    difficulties = forms.MultipleChoiceField(
        label=_("Difficulties met"),
        choices=Difficulty.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    over_headcount_reason = forms.CharField(
        label=_("Reason, if staff on site is above the normal headcount"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def full_clean(self) -> None:
        # The rule set is the only judge (see the module docstring): no Django-side messages.
        self._errors = ErrorDict()
        self.cleaned_data = {}

    def raw(self) -> dict[str, Any]:
        """What was typed, as the rule set takes it (blank stays blank: 0 is an answer, '' is not)."""
        data = self.data
        raw: dict[str, Any] = {name: data.get(name, "") for name in self.fields}
        raw["difficulties"] = data.getlist("difficulties") if hasattr(data, "getlist") else []
        return raw

    def add_rule_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)

    @classmethod
    def initial_from(cls, report: Report | None) -> dict[str, Any]:
        """A report's values as the form's starting point (the previous one, or the one corrected)."""
        if report is None:
            return {}
        return {
            "status": report.status,
            "staff_on_site": report.staff_on_site,
            "capacity_pct": report.capacity_pct,
            "temperature_checks": "true" if report.temperature_checks else "false",
            "disinfection": "true" if report.disinfection else "false",
            "mask_days": report.mask_days,
            "fever": report.fever,
            "suspected": report.suspected,
            "confirmed": report.confirmed,
            "difficulties": list(report.difficulties or []),
            "over_headcount_reason": report.over_headcount_reason,
            "note": report.note,
        }
