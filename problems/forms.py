"""The form to raise a problem. It judges nothing itself: actions.raise_problem decides (the same
rules as the API), and its messages are put next to the fields they name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, Urgency


class ProblemForm(forms.Form):
    enterprise = forms.CharField(
        label=_("Enterprise (USCC)"),
        required=False,
        max_length=40,
        help_text=_("The enterprise visited, by its unified social credit code."),
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", "—"), *Category.choices], required=False
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        required=False,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("What is the problem?"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    report = forms.ChoiceField(label=_("From the report of"), required=False, choices=[])

    def __init__(self, *args, reports=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = [("", "—")] + [
            (str(r.pk), r.date.isoformat()) for r in reports
        ]

    def add_rule_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)
