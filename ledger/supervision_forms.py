"""Forms of the supervision screens (issue 13): urging and notices, the reply, warning talks,
accountability, re-check draws and results. They only read and clean input; the views hand
`cleaned_data` to `ledger.workflow`, which holds the rules."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Membership, Organization
from core.permissions import Scope, eligible_people

from . import lights
from .forms import DateInput
from .models import Accountability, LightSettings, Recheck, Urging


def _people(organization):
    return eligible_people(organization).order_by("full_name", "username")


def kept_by(user):
    """The organizations whose records `user` keeps (committee), in their order."""
    scope = Scope.for_user(user)
    organizations = Organization.objects.all()
    if not scope.is_superuser:
        organizations = organizations.filter(pk__in=scope.committee_org_ids)
    return organizations.order_by("sort_order", "name")


class UrgeForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=Urging.Level.choices, initial=Urging.Level.URGING)
    message = forms.CharField(label=_("What is required"), widget=forms.Textarea(attrs={"rows": 4}))
    reply_by = forms.DateField(label=_("Reply by"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("reply_by", timezone.localdate() + datetime.timedelta(days=7))


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Reply (what was done)"), widget=forms.Textarea(attrs={"rows": 5}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class WarningTalkForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Talked to"), queryset=None)
    talked_on = forms.DateField(label=_("Date of the talk"), widget=DateInput())
    talked_by = forms.ModelChoiceField(label=_("Talked by"), queryset=None)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, item, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = _people(item.organization)
        self.fields["person"].queryset = people
        self.fields["talked_by"].queryset = people
        if not self.is_bound:
            self.initial.update(
                {"person": item.owner_id, "talked_by": user.pk, "talked_on": timezone.localdate()}
            )


class AccountabilityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of accountability"), choices=Accountability.Kind.choices)
    person = forms.ModelChoiceField(label=_("Person held accountable"), queryset=None, required=False)
    decided_on = forms.DateField(label=_("Date of the decision"), widget=DateInput())
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(item.organization)
        if not self.is_bound:
            self.initial.update({"person": item.owner_id, "decided_on": timezone.localdate()})


class DrawRecheckForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    period_start = forms.DateField(label=_("Closed from"), widget=DateInput())
    period_end = forms.DateField(label=_("Closed until"), widget=DateInput())
    one_in = forms.IntegerField(label=_("Draw one in"), min_value=1, max_value=100, initial=10)
    checker = forms.ModelChoiceField(label=_("Checker"), queryset=None)
    due_on = forms.DateField(label=_("Re-check due"), widget=DateInput())
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        min_value=0,
        help_text=_("Leave empty for a new draw; the seed of an earlier draw gives the same sample again."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = kept_by(user)
        self.fields["organization"].queryset = organizations
        # The members of the user's organizations; the workflow checks the checker against the
        # organization chosen (`eligible_people`).
        members = Membership.objects.filter(organization__in=organizations).values("user_id")
        self.fields["checker"].queryset = (
            get_user_model().objects.filter(pk__in=members, is_active=True).order_by("full_name", "username")
        )
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.update(
                {
                    "period_start": today.replace(month=1, day=1),
                    "period_end": today,
                    "due_on": today + datetime.timedelta(days=30),
                    "checker": user.pk,
                }
            )
            if organizations.count() == 1:
                self.initial["organization"] = organizations.get().pk


class RecheckResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Re-check result"),
        choices=[
            (Recheck.Result.HOLDS, Recheck.Result.HOLDS.label),
            (Recheck.Result.RELAPSED, Recheck.Result.RELAPSED.label),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    deadline = forms.DateField(
        label=_("Deadline of the new item"),
        widget=DateInput(),
        required=False,
        help_text=_("For a relapse: the new item opened for the problem that came back."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class AssignCheckerForm(forms.Form):
    checker = forms.ModelChoiceField(label=_("Checker"), queryset=None)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checker"].queryset = _people(organization)


class PersonTalkForm(forms.Form):
    """A warning talk with a person, not on an item: in one of the organizations the user keeps."""

    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    person = forms.ModelChoiceField(label=_("Talked to"), queryset=None)
    talked_on = forms.DateField(label=_("Date of the talk"), widget=DateInput())
    talked_by = forms.ModelChoiceField(label=_("Talked by"), queryset=None)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = kept_by(user)
        self.fields["organization"].queryset = organizations
        members = Membership.objects.filter(organization__in=organizations).values("user_id")
        people = (
            get_user_model().objects.filter(pk__in=members, is_active=True).order_by("full_name", "username")
        )
        self.fields["person"].queryset = people
        self.fields["talked_by"].queryset = people
        if not self.is_bound:
            self.initial.update({"talked_by": user.pk, "talked_on": timezone.localdate()})


class LightSettingsForm(forms.Form):
    """An organization's own traffic-light thresholds; a field left empty inherits. A plain form:
    the rules (yellow below red, as they apply with what is inherited) are the model's `clean()`,
    which the workflow runs."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in forms.fields_for_model(LightSettings, fields=lights.SETTING_FIELDS).items():
            field.required = False
            self.fields[name] = field
        self.fields["day_count"].choices = [("", _("Inherit")), *LightSettings.DayCount.choices]
        self.fields["reason"] = forms.CharField(
            label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2})
        )
