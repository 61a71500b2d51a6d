"""The person's own profile: language, channels, mobile number and email address; API tokens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language", "email_digest", "in_app", "mobile", "email"]
        widgets = {"mobile": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"})}


class ApiTokenForm(forms.Form):
    """A new API token's name, to tell one system's token from another's."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What will use it, for example the data screen of the dispatch room."),
    )
