"""Forms of delivery: a group robot. Secrets (and the address, which holds WeCom's key) are
never shown back: left blank on an edit, they stay as they were."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.models import Organization

from .models import Webhook


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label=Webhook._meta.get_field("url").verbose_name, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = Webhook
        fields = ["organization", "name", "kind", "url", "secret", "enabled"]
        widgets = {"secret": forms.PasswordInput(render_value=False)}

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.managed_by(user)
        self.fields["secret"].help_text = _(
            "DingTalk and Feishu: the robot's signing secret (加签). WeCom: leave blank."
        )
        if self.instance.pk:
            self._kept = {"url": self.instance.url, "secret": self.instance.secret}
            self.initial["url"] = ""
            for name, shown in (("url", self.instance.masked_url), ("secret", self.instance.masked_secret)):
                self.fields[name].required = False
                if shown:
                    self.fields[name].help_text = _("Now {shown}; leave blank to keep it.").format(
                        shown=shown
                    )

    def clean_url(self):
        url = self.cleaned_data.get("url")
        if url and urlsplit(url).hostname not in settings.LEDGER_WEBHOOK_HOSTS:
            raise forms.ValidationError(
                _("Give the address the platform shows for its robot (on {hosts}).").format(
                    hosts=", ".join(settings.LEDGER_WEBHOOK_HOSTS)
                )
            )
        return url

    def _post_clean(self):
        for name, value in getattr(self, "_kept", {}).items():
            if not self.cleaned_data.get(name):
                self.cleaned_data[name] = value
        super()._post_clean()
