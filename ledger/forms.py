"""Forms of the ledger's screens: one small form per workflow action, plus the meeting page.

Forms only read and clean input; the views pass `cleaned_data` to `ledger.workflow`, which
holds every rule.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.forms import inlineformset_factory, modelformset_factory
from django.utils.translation import gettext_lazy as _

from core.models import Organization
from core.permissions import children_map, eligible_people, subtree_ids

from .models import Attendance, ExtensionRequest, Issue, Item, Meeting
from .workflow import ITEM_EDITABLE_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def related_organization_ids(organization):
    """The organization, the units below it and the ones above it (whose leaders answer for it)."""
    children = children_map()
    parents = {child: parent for parent, kids in children.items() for child in kids}
    ids = subtree_ids([organization.pk], children)
    node = parents.get(organization.pk)
    while node is not None:
        ids.add(node)
        node = parents.get(node)
    return ids


def people_for(organization):
    """People who may be picked as owner or leader of the organization's items."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__organization__in=related_organization_ids(organization))
        .distinct()
        .order_by("full_name", "username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class ItemForm(forms.ModelForm):
    """The fields a committee member sets when creating or editing an item."""

    class Meta:
        model = Item
        fields = list(ITEM_EDITABLE_FIELDS)
        widgets = {
            "measures": forms.Textarea(attrs={"rows": 3}),
            "closure_criteria": forms.Textarea(attrs={"rows": 2}),
            "deadline": DateInput(),
            "next_review_on": DateInput(),
        }
        field_classes = {"leader": PersonChoiceField, "owner": PersonChoiceField}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        # Owner and leader follow one rule, the workflow's and the importer's.
        people = eligible_people(organization).order_by("full_name", "username")
        self.fields["leader"].queryset = people
        self.fields["owner"].queryset = people
        # Read the people once: the form may be rendered once per issue on the meeting page.
        choices = [("", self.fields["owner"].empty_label), *((person.pk, str(person)) for person in people)]
        self.fields["leader"].choices = choices
        self.fields["owner"].choices = choices


class EditItemForm(ItemForm):
    """Editing an item: the version the user started from travels with the form."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=500)


class NoteForm(forms.Form):
    """Start, submit, review: an optional note."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    """Return, reopen, withdraw: a reason is required."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("Verification note"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Item.Outcome.choices, initial=Item.Outcome.COMPLETED
    )
    next_review_on = forms.DateField(
        label=_("Next review date"),
        required=False,
        widget=DateInput(),
        help_text=_("Only when the stage is completed and the work continues."),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(part, initial) for part in data]
        return [single(data, initial)] if data else []


class ProgressForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    percent = forms.IntegerField(label=_("Percent done"), min_value=0, max_value=100)
    files = MultipleFileField(
        label=_("Photos or files"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx", "capture": "environment"}
        ),
    )


class ExtensionForm(forms.Form):
    proposed_deadline = forms.DateField(label=_("Proposed deadline"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DecideExtensionForm(forms.Form):
    extension = forms.ModelChoiceField(queryset=ExtensionRequest.objects.none(), widget=forms.HiddenInput)
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Reject"))],
        coerce=lambda value: value == "1",
    )
    note = forms.CharField(label=_("Decision note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["extension"].queryset = item.extension_requests.filter(
            status=ExtensionRequest.Status.PENDING
        )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))


# ---------------------------------------------------------------------------------------------
# Meetings


class VersionedFormMixin:
    """The version of the record the user started from travels with the form (optimistic
    locking: `ledger.workflow` refuses it when the record was saved since)."""

    def add_version_field(self):
        saved = self.instance.pk is not None
        self.fields["version"] = forms.IntegerField(
            label=_("version"),
            widget=forms.HiddenInput,
            required=saved,
            initial=self.instance.version if saved else None,
        )


class MeetingForm(VersionedFormMixin, forms.ModelForm):
    """A meeting; when editing one, the version it was loaded at and the reason for the change."""

    class Meta:
        model = Meeting
        fields = ["organization", "meeting_type", "topic", "held_on", "place", "notes"]
        widgets = {"held_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.managed_by(user)
        if self.instance.pk is not None:
            self.add_version_field()
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the change"), required=False, max_length=500
            )


class IssueForm(VersionedFormMixin, forms.ModelForm):
    """An issue row; a saved issue's row carries the version it was loaded at."""

    class Meta:
        model = Issue
        fields = ["category", "source", "description", "raised_by_name"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version_field()


IssueFormSet = inlineformset_factory(
    Meeting, Issue, form=IssueForm, extra=3, can_delete=True, min_num=0, validate_min=False
)


class AttendanceForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["person", "present", "absence_reason", "absence_note", "makeup_on"]
        widgets = {"makeup_on": DateInput()}
        field_classes = {"person": PersonChoiceField}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people_for(organization)


class NewItemForm(ItemForm):
    """Turning an issue into an item, from the meeting page or from the issue page.

    `issues` are the ones this page may turn into items (the meeting's, or the one issue)."""

    issue = forms.ModelChoiceField(queryset=Issue.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args, organization, issues, **kwargs):
        super().__init__(*args, organization=organization, **kwargs)
        self.fields["issue"].queryset = issues


# ---------------------------------------------------------------------------------------------
# Issues that do not come from a meeting (inspections, feedback from above, self-checks)


class IssueBatchForm(forms.Form):
    """What the issues logged together share: the organization and the date they were found."""

    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.none())
    raised_on = forms.DateField(label=_("Date raised"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.managed_by(user)


class LooseIssueForm(IssueForm):
    """An issue row on the page for issues without a meeting: inspection is the usual source."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].initial = Issue.Source.INSPECTION


LooseIssueFormSet = modelformset_factory(Issue, form=LooseIssueForm, extra=3, can_delete=True)


class EditIssueForm(IssueForm):
    """Editing one issue on its own page: the date it was raised too, unless it was raised at a
    meeting (then it is the meeting's date), and the reason for the change."""

    reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=500)

    class Meta(IssueForm.Meta):
        fields = ["category", "source", "description", "raised_by_name", "raised_on"]
        widgets = {**IssueForm.Meta.widgets, "raised_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.meeting_id:
            del self.fields["raised_on"]
