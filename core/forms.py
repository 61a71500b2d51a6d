"""The person's own profile: language, channels, mobile number and email address."""

from django import forms

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language", "email_digest", "in_app", "mobile", "email"]
        widgets = {"mobile": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"})}
