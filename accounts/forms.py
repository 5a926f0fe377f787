from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or USCC"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class InvitationForm(SetPasswordForm):
    """The invited reporter picks a username and a password."""

    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$")
    field_order = ["username", "new_password1", "new_password2"]

    def clean_username(self):
        from .models import User

        name = self.cleaned_data["username"]
        if User.objects.filter(username=name).exists():
            raise forms.ValidationError(_("This username is taken."))
        return name
