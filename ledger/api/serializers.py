"""What the API shows of each record, and the input of each write.

Read serializers show codes beside their labels in the request's language (`status` and
`status_label`), people by id and by name. Input serializers only check types: the rules are
the workflow's, which the views call with `validated_data`."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import Organization
from ledger import lights, workflow
from ledger.models import Attendance, Evidence, ExtensionRequest, Issue, Item, Meeting, ProgressUpdate

User = get_user_model()


class PersonField(serializers.CharField):
    """A person's name as the web shows it (full name, else username); null for nobody."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return str(value) if value is not None else ""


class OrganizationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "short_name", "kind", "kind_label", "parent", "double_review"]


class AttendanceSerializer(serializers.ModelSerializer):
    person_name = PersonField(source="person")
    absence_reason = serializers.ChoiceField(
        choices=Attendance.AbsenceReason.choices, allow_blank=True, read_only=True
    )
    absence_reason_label = serializers.CharField(source="get_absence_reason_display", read_only=True)

    class Meta:
        model = Attendance
        fields = [
            "id",
            "person",
            "person_name",
            "present",
            "absence_reason",
            "absence_reason_label",
            "absence_note",
            "makeup_on",
        ]


class MeetingSerializer(serializers.ModelSerializer):
    meeting_type_label = serializers.CharField(source="get_meeting_type_display", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    host_name = PersonField(source="host")
    recorder_name = PersonField(source="recorder")
    attendance = AttendanceSerializer(many=True, read_only=True, source="attendances")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "organization",
            "organization_name",
            "meeting_type",
            "meeting_type_label",
            "topic",
            "held_on",
            "place",
            "host",
            "host_name",
            "recorder",
            "recorder_name",
            "notes",
            "version",
            "attendance",
        ]


class IssueSerializer(serializers.ModelSerializer):
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True, default="")

    class Meta:
        model = Issue
        fields = [
            "id",
            "organization",
            "meeting",
            "category",
            "category_name",
            "source",
            "source_label",
            "description",
            "raised_on",
            "version",
        ]


class LightSerializer(serializers.Serializer):
    colour = serializers.CharField(
        allow_null=True, help_text=_("red, yellow, green, blue, or null (withdrawn)")
    )
    label = serializers.CharField()
    reason = serializers.CharField()


class ItemSerializer(serializers.ModelSerializer):
    """An item, with what the ledger page shows of it: its light, overdue days, labels."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    # Empty until the item is closed.
    outcome = serializers.ChoiceField(choices=Item.Outcome.choices, allow_blank=True, read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    owner_name = PersonField(source="owner")
    leader_name = PersonField(source="leader")
    co_owners = serializers.SerializerMethodField()
    light = serializers.SerializerMethodField()
    overdue_days = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = [
            "id",
            "reference",
            "url",
            "organization",
            "organization_name",
            "issue",
            "measures",
            "leader",
            "leader_name",
            "department",
            "owner",
            "owner_name",
            "co_owners",
            "kind",
            "kind_label",
            "deadline",
            "original_deadline",
            "next_review_on",
            "closure_criteria",
            "remarks",
            "status",
            "status_label",
            "progress",
            "outcome",
            "verification_note",
            "completed_on",
            "light",
            "overdue_days",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _today(self):
        return self.context.get("today") or timezone.localdate()

    def get_co_owners(self, item) -> list[int]:
        return [link.person_id for link in item.co_owner_list()]

    @extend_schema_field(LightSerializer)
    def get_light(self, item):
        light = lights.light_of(item, self._today())
        return {"colour": light.colour, "label": str(light.label), "reason": str(light.reason)}

    def get_overdue_days(self, item) -> int:
        today = self._today()
        return (today - item.due_date).days if item.is_overdue(today) else 0

    def get_url(self, item) -> str:
        return reverse("api:item-detail", args=[item.pk])


class ItemDetailSerializer(ItemSerializer):
    """An item with the actions the requesting person may take on it now (what the item page
    offers as buttons; the workflow checks again when one is taken)."""

    allowed_actions = serializers.SerializerMethodField()

    class Meta(ItemSerializer.Meta):
        fields = [*ItemSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, item) -> list[str]:
        return [str(action.value) for action in workflow.allowed_actions(self.context["user"], item)]


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by_name = PersonField(source="uploaded_by")
    download = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "item",
            "update",
            "original_name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_by_name",
            "uploaded_at",
            "download",
        ]

    def get_download(self, evidence) -> str:
        return reverse("api:evidence-download", args=[evidence.pk])


class ProgressUpdateSerializer(serializers.ModelSerializer):
    author_name = PersonField(source="author")
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = ["id", "item", "author", "author_name", "text", "percent", "created_at", "evidence"]


class ExtensionRequestSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    requested_by_name = PersonField(source="requested_by")
    decided_by_name = PersonField(source="decided_by")

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "item",
            "requested_by",
            "requested_by_name",
            "previous_deadline",
            "proposed_deadline",
            "reason",
            "status",
            "status_label",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    """One entry of an item's history (`ledger.history.Entry`): who, when, what and why."""

    when = serializers.DateTimeField()
    user = serializers.CharField()
    record = serializers.CharField()
    action = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    changes = ChangeSerializer(many=True)
    details = DetailSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    detail = serializers.CharField(required=False)
    action = serializers.CharField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False)
    errors = serializers.DictField(required=False)


# --- input ------------------------------------------------------------------------------------

_people = User.objects.all()


class ItemEditSerializer(serializers.Serializer):
    """An item's editable fields (`workflow.ITEM_EDITABLE_FIELDS`) and the edit's reason."""

    measures = serializers.CharField(max_length=10000)
    leader = serializers.PrimaryKeyRelatedField(queryset=_people, allow_null=True, required=False)
    department = serializers.CharField(max_length=100, allow_blank=True, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=_people)
    kind = serializers.ChoiceField(choices=Item.Kind.choices)
    deadline = serializers.DateField(allow_null=True, required=False)
    next_review_on = serializers.DateField(allow_null=True, required=False)
    closure_criteria = serializers.CharField(max_length=10000, allow_blank=True, required=False)
    remarks = serializers.CharField(max_length=10000, allow_blank=True, required=False)
    reason = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")
    deadline_decision = serializers.BooleanField(required=False, default=False)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")


class SubmitSerializer(NoteSerializer):
    incomplete_confirmed = serializers.BooleanField(required=False, default=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class CloseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, allow_blank=True)
    outcome = serializers.ChoiceField(choices=Item.Outcome.choices, default=Item.Outcome.COMPLETED)
    next_review_on = serializers.DateField(allow_null=True, required=False, default=None)


class ProgressInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000, allow_blank=True)
    percent = serializers.IntegerField(min_value=0, max_value=100)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class EvidenceInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class ExtensionInputSerializer(serializers.Serializer):
    proposed_deadline = serializers.DateField()
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
