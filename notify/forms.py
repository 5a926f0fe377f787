from django import forms
from django.utils.translation import gettext_lazy as _

from . import services


class PreferencesForm(forms.Form):
    """A user's e-mail address and the kinds of event they want by e-mail (the inbox gets all)."""

    email = forms.EmailField(label=_("E-mail address"), required=False, max_length=254)
    kinds = forms.MultipleChoiceField(
        label=_("Also send me an e-mail when"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kinds"].choices = services.kinds_for(user)
        if not self.is_bound:
            self.initial = {
                "email": user.email,
                "kinds": [k for k, on in services.email_choices(user).items() if on],
            }
