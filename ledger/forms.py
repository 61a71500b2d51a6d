"""Forms of the ledger's screens: one small form per workflow action, plus the meeting page.

Forms only read and clean input; the views pass `cleaned_data` to `ledger.workflow`, which
holds every rule.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms import inlineformset_factory, modelformset_factory
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import permissions
from core.models import Organization
from core.permissions import CHOOSABLE, OrganizationTree, Scope, eligible_people

from .merge import MergeChoicesMixin
from .models import Attendance, ExtensionRequest, Issue, Item, Meeting, Withheld, WordTemplate
from .workflow import BULK_EDITABLE_FIELDS, ITEM_EDITABLE_FIELDS, co_owner_ids, expected_attendees


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def related_organization_ids(organization):
    """The organization, the units below it and the ones above it (whose leaders answer for it)."""
    return permissions.related_organization_ids(organization.pk)


def people_for(organization):
    """People who may be picked as owner or leader of the organization's items."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__organization__in=related_organization_ids(organization))
        .distinct()
        .order_by("full_name", "username")
    )


def narrow_choices(form, *, user=None, organization=None):
    """Narrow the form's choices of organizations and people to what may be picked: the one
    place forms do it, so that a form never offers what the workflow would refuse.

    Organizations: those `user` manages (a record is filed where its keeper may keep it).
    People: those who may be picked for `organization`'s records (:func:`people_for`); without
    an organization, :func:`people_managed_by` `user`. Other choices (the issue of
    this meeting, a pending extension) are the form's own. Raises TypeError when the form has
    such a field and nothing to narrow it by, rather than offer everyone.
    """
    User = get_user_model()
    people = None  # one queryset for every people field of the form (owner and leader alike)
    for name, form_field in form.fields.items():
        model = getattr(getattr(form_field, "queryset", None), "model", None)
        if model is Organization:
            if user is None:
                raise TypeError(f"narrow_choices() needs the user to narrow {name!r}")
            form_field.queryset = Organization.objects.managed_by(user)
        elif model is User:
            if people is None:
                people = _pickable_people(name, user, organization)
            form_field.queryset = people


def _pickable_people(name, user, organization):
    if organization is not None:
        return people_for(organization)
    if user is None:
        raise TypeError(f"narrow_choices() needs the organization or the user to narrow {name!r}")
    return people_managed_by(user)


PLEASE_CHOOSE = _("Please choose")


class PleaseChooseMixin:
    """Empty choices of the form's selects read 请选择 (Please choose), not Django's "---------"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label is not None:
                    field.empty_label = PLEASE_CHOOSE
            elif isinstance(field, forms.ChoiceField):
                choices = list(field.choices)
                if choices and choices[0][0] == "":
                    field.choices = [("", PLEASE_CHOOSE), *choices[1:]]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def item_people_for(organization):
    """People who may own or lead the organization's items (`eligible_people`: placeholders an
    import made included), in the order the selects show them."""
    return eligible_people(organization).order_by("full_name", "username")


def people_managed_by(user, *, placeholders=False):
    """People who may be named on the records `user` keeps (host, recorder, who raised an issue,
    whom it concerns) or picked as owner or leader of an item in at least one organization the
    user manages: the active members of those organizations and of the ones above them (whose
    leaders answer for them). Whether a person fits one item's own organization is for the
    workflow to say, per item. Reads the tree once. With `placeholders`, the placeholder people
    an import made are among them (as owners and leaders, which they may be)."""
    people = get_user_model().objects.filter(CHOOSABLE if placeholders else Q(is_active=True))
    scope = Scope.for_user(user)
    if not scope.is_superuser:
        tree = OrganizationTree.read()
        ids = set(scope.committee_org_ids)
        for org_id in scope.committee_org_ids:
            ids.update(tree.ancestors(org_id))
        people = people.filter(memberships__organization__in=ids).distinct()
    return people.order_by("full_name", "username")


# The most people a person select lists for a name typed (the people endpoint's too).
PEOPLE_SHOWN = 50


def people_matching(people, text, limit=PEOPLE_SHOWN):
    """`people` whose name or user name contains every word of `text` (the first `limit`)."""
    for word in text.split():
        people = people.filter(Q(full_name__icontains=word) | Q(username__icontains=word))
    return people if limit is None else people[:limit]


def set_people(form, names, people):
    """Give the person fields `names` of `form` the choices `people` (a queryset, or a list of
    (pk, label) read once for a whole formset)."""
    for name in names:
        field = form.fields[name]
        if isinstance(people, list):
            field.choices = [("", field.empty_label), *people]
        else:
            field.queryset = people


class ItemForm(PleaseChooseMixin, forms.ModelForm):
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

    def __init__(self, *args, organization, people=None, people_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        # `people` and `people_choices` (another form's `fields["owner"].choices`): the people
        # read once for several forms of a page. Owner and leader follow one rule, the
        # workflow's and the importer's (`eligible_people`).
        if people is None:
            people = eligible_people(organization).order_by("full_name", "username")
        self.fields["leader"].queryset = people
        self.fields["owner"].queryset = people
        # Read the people once: the form may be rendered once per issue on the meeting page.
        choices = people_choices
        if choices is None:
            choices = [
                ("", self.fields["owner"].empty_label),
                *((person.pk, str(person)) for person in people),
            ]
        self.fields["leader"].choices = choices
        self.fields["owner"].choices = choices
        if "co_owners" in self.fields:
            self.fields["co_owners"].choices = [choice for choice in choices if choice[0] != ""]
            if self.instance.pk and "co_owners" not in self.initial:
                self.initial["co_owners"] = co_owner_ids(self.instance)


def people_in_order(ids):
    """The people of `ids` (a co-owners field's choice), in that order, in one query."""
    people = get_user_model().objects.in_bulk(ids)
    return [people[pk] for pk in ids if pk in people]


def co_owners_field():
    """协办人: the same people as owner and leader (`eligible_people`), set by the workflow."""
    return forms.TypedMultipleChoiceField(
        label=_("Co-owners"),
        required=False,
        coerce=int,
        help_text=_("People who help the owner; the owner answers for the item."),
    )


class EditItemForm(MergeChoicesMixin, ItemForm):
    """Editing an item: the version the user started from travels with the form.

    Leader, owner and co-owners accept exactly the people `ItemForm` accepts (`eligible_people`
    of the item's organization), but their selects list only the people chosen and those
    matching the name typed in each field's search box (`<name>_search`, which the people
    endpoint answers as one types, `role=item`), never everyone: the item page would otherwise
    list a company's people three times."""

    co_owners = co_owners_field()
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=500)
    deadline_decision = forms.BooleanField(
        label=_("A new deadline is the committee's decision to move it"),
        required=False,
        help_text=_(
            "Tick it when the committee decided to move the deadline: the original deadline stays on "
            "record and the reports print it. Leave it for a correction of a mistyped date."
        ),
    )

    PERSON_FIELDS = ("leader", "owner", "co_owners")

    def __init__(self, *args, organization, **kwargs):
        # No choices read here: the selects get only the people below (`people_choices`).
        super().__init__(*args, organization=organization, people_choices=[], **kwargs)
        people = self.fields["owner"].queryset
        chosen = {name: self._chosen(name) for name in self.PERSON_FIELDS}
        texts = {
            name: (self.data.get(f"{name}_search", "") if self.is_bound else "").strip()
            for name in self.PERSON_FIELDS
        }
        # One query for the people chosen in the three fields; one more per name typed.
        wanted = {pk for ids in chosen.values() for pk in ids}
        found = {person.pk: person for person in people.filter(pk__in=wanted)} if wanted else {}
        url = reverse("ledger:people_search")
        for name in self.PERSON_FIELDS:
            shown = [found[pk] for pk in chosen[name] if pk in found]
            if texts[name]:
                shown += [p for p in people_matching(people, texts[name]) if p.pk not in chosen[name]]
            field = self.fields[name]
            options = [(person.pk, str(person)) for person in shown]
            field.choices = options if name == "co_owners" else [("", field.empty_label), *options]
            field.search_text = texts[name]
            field.search_url = f"{url}?role=item&org={organization.pk}&field={name}"

    def _chosen(self, name):
        """The ids of the people chosen in field `name`: as posted, or as the item has them."""
        if self.is_bound:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name)
        else:
            values = self.initial.get(name, getattr(self.instance, f"{name}_id", None))
        if not isinstance(values, (list, tuple)):
            values = [values]
        return [int(value) for value in values if str(value).isdigit()]


class NoteForm(forms.Form):
    """Start, submit, review: an optional note."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SubmitForm(forms.Form):
    """Submit for verification: a short completion note, and below 100 % the owner's explicit
    confirmation that the work is done (the workflow refuses the submit without it)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label=_("Completion note"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was done, in a sentence or two: the verifier reads it first."),
    )
    incomplete_confirmed = forms.BooleanField(label=_("The work is done all the same"), required=False)


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


class MeetingForm(MergeChoicesMixin, PleaseChooseMixin, VersionedFormMixin, forms.ModelForm):
    """A meeting; when editing one, the version it was loaded at and the reason for the change."""

    class Meta:
        model = Meeting
        fields = ["organization", "meeting_type", "topic", "held_on", "place", "host", "recorder", "notes"]
        widgets = {"held_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"host": PersonChoiceField, "recorder": PersonChoiceField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        narrow_choices(self, user=user)
        if self.instance.pk is not None:
            self.add_version_field()
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the change"), required=False, max_length=500
            )


class IssueForm(MergeChoicesMixin, PleaseChooseMixin, VersionedFormMixin, forms.ModelForm):
    """An issue row; a saved issue's row carries the version it was loaded at.

    `people` are those who may be picked as having raised it or as whom it concerns: a queryset
    (`people_managed_by`), and for the rows of a formset also `people_choices`, the same people
    read once for every row."""

    class Meta:
        model = Issue
        fields = ["category", "source", "description", "raised_by", "raised_by_name", "concerns"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"raised_by": PersonChoiceField, "concerns": PersonChoiceField}
        help_texts = {
            "raised_by": _("Pick the person, or type the name below when the person has no account."),
            "raised_by_name": _("Leave this and the person above empty for anonymous opinions."),
        }

    def __init__(self, *args, people=None, people_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version_field()
        names = ("raised_by", "concerns")
        set_people(self, names, people if people is not None else get_user_model().objects.none())
        if people_choices is not None:
            set_people(self, names, people_choices)


def issue_people(user):
    """The form kwargs of an issue formset's rows: the people `user` may name, read once."""
    people = people_managed_by(user)
    return {"people": people, "people_choices": [(person.pk, str(person)) for person in people]}


IssueFormSet = inlineformset_factory(
    Meeting, Issue, form=IssueForm, extra=3, can_delete=True, min_num=0, validate_min=False
)


class AttendanceForm(PleaseChooseMixin, forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["person", "present", "absence_reason", "absence_note", "makeup_on"]
        widgets = {"makeup_on": DateInput()}
        field_classes = {"person": PersonChoiceField}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        narrow_choices(self, organization=organization)


class RosterForm(forms.Form):
    """One person's line on a meeting's attendance list (`RosterFormSet`): present by default;
    absent with a reason (a reason given marks the person absent), the make-up study later; or
    taken off the list. `person` holds the person's id, among the meeting's expected people (`attendee`)."""

    person = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    present = forms.BooleanField(label=_("present"), required=False)
    absence_reason = forms.ChoiceField(
        label=_("absence reason"),
        choices=[("", _("Choose…")), *Attendance.AbsenceReason.choices],
        required=False,
    )
    absence_note = forms.CharField(
        label=_("absence note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("absence note")}),
    )
    makeup_on = forms.DateField(label=_("make-up study on"), required=False, widget=DateInput())
    remove = forms.BooleanField(label=_("Remove from the list"), required=False)

    def __init__(self, *args, meeting, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.people = people
        self.fields["person"].choices = [(pk, str(person)) for pk, person in people.items()]
        self.attendee = people.get(self.initial.get("person"))
        if self.is_bound:
            value = self.data.get(self.add_prefix("person"), "")
            self.attendee = people.get(int(value)) if value.isdigit() else None

    def clean(self):
        data = super().clean()
        if data.get("absence_reason"):
            data["present"] = False
        if data.get("remove") or self.errors:
            return data
        # The model's rules (an absent person has a reason; no make-up study before the meeting).
        attendance = Attendance(
            meeting=self.meeting,
            present=data.get("present", False),
            absence_reason=data.get("absence_reason", ""),
            makeup_on=data.get("makeup_on"),
        )
        try:
            attendance.clean()
        except forms.ValidationError as error:
            for field, errors in error.error_dict.items():
                self.add_error(field, errors)
        return data


RosterFormSet = forms.formset_factory(RosterForm, extra=0)


def roster_formset(meeting, data=None, *, attendances=None):
    """The attendance list of `meeting` as a formset: everyone expected, by name, as recorded, or
    present when not on the list yet (`ledger.workflow.expected_attendees`). `attendances` are
    the meeting's rows when already read."""
    people = {person.pk: person for person in expected_attendees(meeting)}
    if attendances is None:
        attendances = meeting.attendances.all()
    stored = {attendance.person_id: attendance for attendance in attendances}
    initial = []
    for pk in people:
        attendance = stored.get(pk)
        if attendance is None:
            initial.append({"person": pk, "present": True})
        else:
            initial.append(
                {"person": pk, "version": attendance.version}
                | {name: getattr(attendance, name) for name in ("present", "absence_reason", "absence_note")}
                | {"makeup_on": attendance.makeup_on}
            )
    return RosterFormSet(
        data, initial=initial, prefix="roster", form_kwargs={"meeting": meeting, "people": people}
    )


class NewItemForm(ItemForm):
    """Turning an issue into an item, from the meeting page or from the issue page.

    `issues` are the ones this page may turn into items (the meeting's, or the one issue)."""

    issue = forms.ModelChoiceField(queryset=Issue.objects.none(), widget=forms.HiddenInput)
    co_owners = co_owners_field()
    # Offered once the workflow warned that the deadline is already past (`asks_confirmation`).
    confirm_past_deadline = forms.BooleanField(label=_("Yes, this deadline is already past"), required=False)

    def __init__(self, *args, organization, issues, **kwargs):
        super().__init__(*args, organization=organization, **kwargs)
        self.fields["issue"].queryset = issues

    @property
    def asks_confirmation(self):
        """True when the deadline typed is already past and the user has to confirm it."""
        return self.is_bound and self.has_error("deadline", "past_deadline")


class QuickItemForm(ItemForm):
    """One row of the issue page's quick entry of several items (`QuickItemFormSet`)."""

    co_owners = co_owners_field()
    confirm_past_deadline = NewItemForm.base_fields["confirm_past_deadline"]
    asks_confirmation = NewItemForm.asks_confirmation


QuickItemFormSet = forms.formset_factory(QuickItemForm, extra=3)


# ---------------------------------------------------------------------------------------------
# Issues that do not come from a meeting (inspections, feedback from above, self-checks)


class IssueBatchForm(PleaseChooseMixin, forms.Form):
    """What the issues logged together share: the organization and the date they were found."""

    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.none())
    raised_on = forms.DateField(label=_("Date raised"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        narrow_choices(self, user=user)


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
        fields = ["category", "source", "description", "raised_by", "raised_by_name", "concerns", "raised_on"]
        widgets = {**IssueForm.Meta.widgets, "raised_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.meeting_id:
            del self.fields["raised_on"]


# ---------------------------------------------------------------------------------------------
# Errors


def add_validation_errors(form, error):
    """Put a `ValidationError` raised by the workflow on `form`: each message on its field when
    the form has that field, else on the form itself (the summary at the top shows both)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# ---------------------------------------------------------------------------------------------
# Bulk changes from the ledger list


class BulkEditForm(forms.Form):
    """Owner, leader, department or deadline set on several selected items, with one reason.

    Fields left empty are kept as they are on each item. `query` is the ledger list's query
    string, to go back to the same filtered page."""

    items = forms.ModelMultipleChoiceField(
        label=_("Selected items"),
        queryset=Item.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Select at least one item.")},
    )
    owner = PersonChoiceField(
        label=_("New owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Keep as is"),
    )
    leader = PersonChoiceField(
        label=_("New responsible leader"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Keep as is"),
    )
    department = forms.CharField(label=_("New responsible department"), required=False, max_length=100)
    deadline = forms.DateField(label=_("New deadline"), required=False, widget=DateInput())
    co_owners = forms.TypedMultipleChoiceField(
        label=_("New co-owners"),
        required=False,
        coerce=int,
        help_text=_("They replace the co-owners of every selected item."),
    )
    clear_co_owners = forms.BooleanField(label=_("Remove all co-owners"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        # Ids of their own: on the list page the filter form has an owner, a leader and a deadline too.
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = Item.objects.visible_to(user).select_related("organization")
        people = people_managed_by(user, placeholders=True)
        for name in ("owner", "leader"):
            # Any of these people is accepted; the select lists only the one chosen and those
            # matching the name typed in its search box (`<name>_search`, which the people
            # endpoint answers as one types), never everyone: a company has thousands.
            field = self.fields[name]
            field.queryset = people
            chosen = self.data.get(name, "") if self.is_bound else ""
            text = self.data.get(f"{name}_search", "") if self.is_bound else ""
            shown = people.filter(pk=int(chosen)) if str(chosen).isdigit() else people.none()
            if text.strip():
                shown = shown | people_matching(people, text, limit=None)
            field.choices = [
                ("", _("Keep as is")),
                *((p.pk, str(p)) for p in shown.distinct()[:PEOPLE_SHOWN]),
            ]
            field.search_text = text
        # The co-owners the same way: those chosen, and those matching the name typed.
        field = self.fields["co_owners"]
        chosen = []
        if self.is_bound:
            typed = field.widget.value_from_datadict(self.data, self.files, self.add_prefix("co_owners"))
            chosen = [pk for pk in typed or () if str(pk).isdigit()]
        text = self.data.get("co_owners_search", "") if self.is_bound else ""
        shown = people.filter(pk__in=chosen)
        if text.strip():
            shown = shown | people_matching(people, text, limit=None)
        field.choices = [(p.pk, str(p)) for p in shown.distinct()[: PEOPLE_SHOWN + len(chosen)]]
        field.search_text = text

    def clean(self):
        data = super().clean()
        if data.get("co_owners") and data.get("clear_co_owners"):
            raise forms.ValidationError(_("Choose new co-owners or remove them all, not both."))
        if not self.changes():
            raise forms.ValidationError(
                _("Choose at least one change: a new owner, leader, department, deadline or co-owners.")
            )
        return data

    def changes(self):
        """The fields to change on every selected item, from the cleaned data: the co-owners
        chosen (people, in order), or none when they are to be removed."""
        data = self.cleaned_data
        changes = {
            name: data[name]
            for name in BULK_EDITABLE_FIELDS
            if name != "co_owners" and data.get(name) not in (None, "")
        }
        if data.get("co_owners"):
            changes["co_owners"] = people_in_order(data["co_owners"])
        elif data.get("clear_co_owners"):
            changes["co_owners"] = []
        return changes


class WordTemplateForm(forms.Form):
    """Upload a new version of an organization's Word template (checked by the workflow)."""

    kind = forms.ChoiceField(label=_("Document"), choices=WordTemplate.Kind.choices)
    file = forms.FileField(label=_("Template (.docx, at most 5 MB)"))
    reason = forms.CharField(label=_("What changed"), max_length=200, required=False)


class WithheldForm(forms.Form):
    """Mark an item or one of its fields 不公开, or take the mark off."""

    field = forms.ChoiceField(label=_("What"), choices=Withheld.Field.choices, required=False)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "---------"), *Withheld.Reason.choices], required=False
    )
    disclose = forms.BooleanField(required=False)
    note = forms.CharField(label=_("Why it may be published"), max_length=200, required=False)
