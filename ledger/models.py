"""The "what" of the ledger: meetings, issues, rectification items, progress, evidence, extensions.

State changes of items never happen here directly: `ledger.workflow` owns them. The models hold
the fields, the invariants (`clean()` and named constraints) and derived facts such as overdue.
"""

import datetime
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.audit import Snapshot, audited
from core.models import Organization
from core.permissions import OrganizationTree, Scope, among

USER = settings.AUTH_USER_MODEL


class ScopedQuerySet(models.QuerySet):
    """Records that belong to an organization, narrowed to the user's organizations."""

    organization_field = "organization"

    def visible_to(self, user):
        scope = Scope.for_user(user)
        if scope.is_superuser:
            return self
        return self.filter(**{f"{self.organization_field}__in": scope.visible_org_ids})


class Category(models.Model):
    """An issue category (党建, 安全, 廉政, 作风, …): an editable list."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("Imported rows that name no category are filed under this one. One category at most."),
    )

    history = audited()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="category_one_default",
                violation_error_message=_("Another category is the default already: untick it first."),
            )
        ]

    def __str__(self):
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class MeetingQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Meetings of the user's organizations, plus the meetings the user was expected at (a
        group member attends the branch's meetings)."""
        scope = Scope.for_user(user)
        if scope.is_superuser:
            return self
        if scope.user_id is None:
            return self.none()
        attended = Attendance.objects.filter(person_id=scope.user_id).values("meeting_id")
        return self.filter(Q(organization__in=scope.visible_org_ids) | Q(pk__in=attended))


class Meeting(Snapshot, models.Model):
    """A meeting where issues were raised (民主生活会, 组织生活会, 三会一课 …)."""

    class Type(models.TextChoices):
        DEMOCRATIC_LIFE = "democratic_life", _("Democratic life meeting")
        ORGANIZATION_LIFE = "organization_life", _("Organization life meeting")
        SPECIAL_ORGANIZATION_LIFE = "special_organization_life", _("Special organization life meeting")
        BRANCH_GENERAL = "branch_general", _("Branch general meeting")
        BRANCH_COMMITTEE = "branch_committee", _("Branch committee meeting")
        GROUP = "group", _("Party group meeting")
        LESSON = "lesson", _("Party lesson")
        OTHER = "other", _("Other meeting")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="meetings"
    )
    meeting_type = models.CharField(_("meeting type"), max_length=30, choices=Type.choices)
    topic = models.CharField(_("topic"), max_length=200)
    held_on = models.DateField(_("date held"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    host = models.ForeignKey(
        USER, verbose_name=_("host"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorder = models.ForeignKey(
        USER, verbose_name=_("recorder"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    # Bumped by every update through `ledger.workflow.save_meeting`: an edit form started from
    # an older version is refused instead of overwriting what someone else saved meanwhile.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = MeetingQuerySet.as_manager()
    history = audited()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.get_meeting_type_display()}：{self.topic}"

    def clean(self):
        # A meeting is logged once it was held: a date after today is a typo.
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError(
                {"held_on": _("A meeting cannot be logged before it was held: the date is after today.")}
            )


class Attendance(Snapshot, models.Model):
    """Whether a person attended a meeting; if absent, why, and when the make-up study was done."""

    class AbsenceReason(models.TextChoices):
        ON_SHIFT = "on_shift", _("On shift underground")
        RESTING = "resting", _("Resting before a shift")
        LEAVE = "leave", _("On leave")
        ON_BUSINESS = "on_business", _("On business trip")
        OTHER = "other", _("Other reason")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendances"
    )
    person = models.ForeignKey(USER, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("present"), default=True)
    absence_reason = models.CharField(
        _("absence reason"), max_length=20, choices=AbsenceReason.choices, blank=True
    )
    absence_note = models.CharField(_("absence note"), max_length=200, blank=True)
    makeup_on = models.DateField(_("make-up study on"), null=True, blank=True)
    # Bumped by every update through `ledger.workflow` (optimistic locking, as meetings): a roster
    # loaded before someone else recorded the same person is refused instead of overwriting.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = audited()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["meeting", "-present", "person__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "person"],
                name="attendance_unique_person",
                violation_error_message=_("This person is already on the attendance list."),
            )
        ]

    def __str__(self):
        return f"{self.person} · {_('present') if self.present else self.get_absence_reason_display()}"

    def clean(self):
        if self.present and (self.absence_reason or self.makeup_on):
            raise ValidationError(
                {"absence_reason": _("A person who was present has no absence reason or make-up study.")}
            )
        if not self.present and not self.absence_reason:
            raise ValidationError({"absence_reason": _("Give the reason for the absence.")})
        if self.makeup_on and self.meeting_id and self.makeup_on < self.meeting.held_on:
            raise ValidationError({"makeup_on": _("The make-up study cannot be before the meeting.")})


class ChoiceLabels:
    """`get_<field>_display()` without translating every label of the field on each call.

    Django's own looks the value up in a dict of the field's choices made hashable on every
    call, which hashes, and so translates, each lazy label: about 0.1 ms a call, and the ledger
    list shows a status four times a row."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        for choice, label in field.flatchoices:
            if choice == value:
                return force_str(label, strings_only=True)
        return force_str(value, strings_only=True)


class Issue(ChoiceLabels, Snapshot, models.Model):
    """A problem raised at a meeting or found by an inspection (问题)."""

    class Source(models.TextChoices):
        SOLICITATION = "solicitation", _("Opinion solicitation")
        TALK = "talk", _("Heart-to-heart talk")
        CRITICISM = "criticism", _("Criticism and self-criticism")
        INSPECTION = "inspection", _("Inspection")
        SUPERIOR = "superior", _("Feedback from above")
        SELF_CHECK = "self_check", _("Self-inspection")
        OTHER = "other", _("Other source")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="issues"
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issues",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="issues"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    description = models.TextField(_("issue description"))
    raised_by = models.ForeignKey(
        USER,
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    raised_by_name = models.CharField(
        _("raised by (name)"),
        max_length=100,
        blank=True,
        help_text=_("When the person has no account. Leave both empty for anonymous opinions."),
    )
    concerns = models.ForeignKey(
        USER,
        verbose_name=_("concerns"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty when the issue concerns the leadership team as a whole."),
    )
    raised_on = models.DateField(_("date raised"), default=timezone.localdate)
    # Bumped by every update through `ledger.workflow.save_issue` (optimistic locking, as items).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    # Historical rows are looked up by the issue's id and organization: no index on the others,
    # which every imported row would otherwise write.
    history = audited(no_db_index=["meeting", "category", "raised_by", "concerns"])

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-raised_on", "-pk"]

    def __str__(self):
        text = " ".join(self.description.split())
        return text if len(text) <= 40 else text[:40] + "…"

    @property
    def raised_by_display(self):
        if self.raised_by_id:
            return str(self.raised_by)
        return self.raised_by_name or _("Anonymous (public opinion)")

    @property
    def concerns_display(self):
        return str(self.concerns) if self.concerns_id else _("The leadership team")

    def clean(self):
        if self.meeting_id and self.organization_id and self.meeting.organization_id != self.organization_id:
            raise ValidationError({"meeting": _("The meeting belongs to another organization.")})


class ItemQuerySet(ScopedQuerySet):
    def with_co_owners(self):
        """The items with their co-owners (one more query for all of them)."""
        links = ItemCoOwner.objects.select_related("person").order_by("position", "pk")
        return self.prefetch_related(models.Prefetch("co_owner_links", queryset=links))

    def visible_to(self, user):
        """Items of the user's organizations, plus items the user owns or leads anywhere
        (`Scope.visible_items`, the one rule; the ledger as it stood at a date uses it too)."""
        return Scope.for_user(user).visible_items(self)

    def overdue(self, today=None):
        """Items whose deadline (or, for long-term items, review date) has passed, not closed."""
        return self.filter(Item.overdue_q(today or timezone.localdate()))

    def due_within(self, days, today=None):
        """Open items due between today and `days` days from now, overdue ones excluded."""
        return self.filter(Item.due_within_q(days, today or timezone.localdate()))


class Item(ChoiceLabels, Snapshot, models.Model):
    """A rectification item (整改事项): one tracked piece of work that fixes (part of) an issue.

    `status` changes only through `ledger.workflow`; `version` is bumped on every save that the
    workflow makes, so an edit based on an older version is refused instead of overwriting.
    """

    class Kind(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediate")
        BY_DEADLINE = "by_deadline", _("By deadline")
        LONG_TERM = "long_term", _("Long-term")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Awaiting verification")
        REVIEWED = "reviewed", _("Reviewed by leader")
        LONG_TERM = "long_term", _("Long-term")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        STAGE_COMPLETED = "stage_completed", _("Stage completed, continuing")

    # Bootstrap colour of each status badge.
    STATUS_COLOURS = {
        Status.OPEN: "secondary",
        Status.IN_PROGRESS: "primary",
        Status.SUBMITTED: "warning",
        Status.REVIEWED: "info",
        Status.LONG_TERM: "dark",
        Status.CLOSED: "success",
        Status.WITHDRAWN: "light",
    }
    # The status groups, defined here once; the workflow, the figures, the reports and the lists
    # read them. Finished: closed or withdrawn, nothing more happens to the item.
    FINISHED_STATUSES = (Status.CLOSED, Status.WITHDRAWN)
    # Active: every other state (worked on, waiting for a decision, or long-term).
    ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.REVIEWED, Status.LONG_TERM)
    # The active states in which the deadline (not the review date) is what can run late: all but
    # long-term. The summary counts them as "being pushed forward" (正在推进).
    DEADLINE_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.REVIEWED)

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="items")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="items"
    )
    year = models.PositiveIntegerField(_("year"), editable=False)
    sequence = models.PositiveIntegerField(_("sequence"), editable=False)
    reference = models.CharField(_("reference"), max_length=40, editable=False)
    measures = models.TextField(_("measures"))
    leader = models.ForeignKey(
        USER,
        verbose_name=_("responsible leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_items",
    )
    department = models.CharField(_("responsible department"), max_length=100, blank=True)
    owner = models.ForeignKey(
        USER,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_items",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BY_DEADLINE)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    original_deadline = models.DateField(_("original deadline"), null=True, blank=True, editable=False)
    next_review_on = models.DateField(_("next review date"), null=True, blank=True)
    closure_criteria = models.TextField(_("closure criteria"), blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    # 实际完成时间: the day the work was done, as an imported ledger says, or the day the item was
    # closed here (`workflow.close`); cleared when it is reopened. Never derived from the deadline.
    completed_on = models.DateField(_("completed on"), null=True, blank=True, editable=False)
    # 协办人: people who help the owner; the owner answers for the item. Written by the workflow
    # only (`workflow.set_co_owners`), each link with its own history row (`ItemCoOwner`).
    co_owners = models.ManyToManyField(
        USER,
        verbose_name=_("co-owners"),
        through="ItemCoOwner",
        through_fields=("item", "person"),
        blank=True,
        related_name="co_owned_items",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, editable=False
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)], editable=False
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, blank=True, editable=False
    )
    verification_note = models.TextField(_("verification note"), blank=True, editable=False)
    verified_by = models.ForeignKey(
        USER,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        USER,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # 新增 counts by this day: an old ledger imported today is not all new this month.
    opened_on = models.DateField(
        _("opened on"),
        editable=False,
        help_text=_(
            "The day the item entered the ledger: the day it was created here, or for an imported "
            "item the day its issue was raised."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # --- The list's sort key (issue 12, "lists") ---------------------------------------------
    # The ledger is sorted by year, then by its organization's place in the organizations'
    # order (sort order, then name), then by number. Sorting by the joined organization's
    # columns cannot use an index, so every page sorted all visible rows: the organization's
    # place is kept here (`workflow.organization_ranks`), set when the item is made and renumbered
    # when an organization is added, reordered, renamed or removed
    # (`workflow.renumber_organization_ranks`). It is derived, not a fact about the item: history
    # leaves it out (a reordering of organizations changes no item, and the organization's own
    # history records it).
    org_rank = models.PositiveIntegerField(_("organization's place"), default=0, editable=False)
    LEDGER_ORDER = ("-year", "org_rank", "sequence")
    # --- end of the sort key -------------------------------------------------------------------

    objects = ItemQuerySet.as_manager()
    # Historical rows are looked up by item, organization, owner and leader (the ledger as it
    # stood): no index on the other people or the issue, which every change would write.
    history = audited(no_db_index=["issue", "verified_by", "reviewed_by"], excluded_fields=["org_rank"])

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["-year", "org_rank", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "sequence"],
                name="item_unique_sequence",
                violation_error_message=_("This reference number is already used in this organization."),
            ),
            models.UniqueConstraint(
                fields=["organization", "reference"],
                name="item_unique_reference",
                violation_error_message=_("This reference number is already used in this organization."),
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="item_progress_at_most_100"),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="item_status_deadline"),
            # --- issue 12, "lists": the list's order and its usual filters -----------------------
            # The default order (`LEDGER_ORDER`): page 1 and deep pages walk this index.
            models.Index(fields=["-year", "org_rank", "sequence"], name="item_ledger_order"),
            # Sorted by deadline (ties in the ledger's order); status filters with the order.
            models.Index(fields=["deadline"], name="item_deadline"),
            models.Index(fields=["status", "-year", "org_rank", "sequence"], name="item_status_order"),
            # --- end of issue 12 -------------------------------------------------------------------
        ]

    def __str__(self):
        return f"{self.reference} {self.issue}"

    @staticmethod
    def worked_on_q(user_id):
        """The items a person works on: owns, or helps on as a co-owner (协办人), who reports
        progress too."""
        return Q(owner_id=user_id) | among(
            "pk", ItemCoOwner.objects.filter(person_id=user_id).values("item_id")
        )

    @staticmethod
    def overdue_q(today):
        return Q(status=Item.Status.LONG_TERM, next_review_on__lt=today) | (
            Q(status__in=Item.DEADLINE_STATUSES) & Q(deadline__lt=today)
        )

    @staticmethod
    def due_within_q(days, today):
        # A Q rather than only a QuerySet method: the as-of reports filter historical rows with it.
        until = today + datetime.timedelta(days=days)
        return Q(status=Item.Status.LONG_TERM, next_review_on__range=(today, until)) | (
            Q(status__in=Item.DEADLINE_STATUSES) & Q(deadline__range=(today, until))
        )

    @property
    def due_date(self):
        """The date that can run late: the review date of a long-term item, else the deadline."""
        if self.status == self.Status.LONG_TERM:
            return self.next_review_on
        if self.status in self.DEADLINE_STATUSES:
            return self.deadline
        return None

    def is_overdue(self, today=None):
        due = self.due_date
        return due is not None and due < (today or timezone.localdate())

    def days_left(self, today=None):
        due = self.due_date
        return None if due is None else (due - (today or timezone.localdate())).days

    def light(self, today=None):
        """The traffic light (亮灯) of this item on `today`, with its reason (`ledger.lights`)."""
        from .lights import light_of

        return light_of(self, today)

    @property
    def current_light(self):
        """Today's light, for templates (from the list's annotation when the item carries it)."""
        return self.light()

    @property
    def deadline_was_extended(self):
        return bool(self.original_deadline and self.deadline and self.deadline != self.original_deadline)

    @property
    def status_colour(self):
        return self.STATUS_COLOURS.get(self.status, "secondary")

    def co_owner_list(self):
        """The links to the co-owners, in their order, with their people: from a prefetch of
        `co_owner_links` when made (`with_co_owners`), else read once (one query) and kept."""
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "co_owner_links" in cache:
            return list(cache["co_owner_links"])
        if "_co_owner_list" not in self.__dict__:
            self._co_owner_list = (
                list(self.co_owner_links.select_related("person").order_by("position", "pk"))
                if self.pk
                else []
            )
        return self._co_owner_list

    @property
    def co_owner_people(self):
        """The co-owners in their order."""
        return [link.person for link in self.co_owner_list()]

    @property
    def owner_display(self):
        """The owner as a ledger prints it, with the co-owners: 王强（协办：杨帆、李娜）."""
        owner = str(self.owner) if self.owner_id else ""
        co_owners = "、".join(str(person) for person in self.co_owner_people)
        if not co_owners:
            return owner
        return _("{owner} (co-owners: {co_owners})").format(owner=owner, co_owners=co_owners).strip()

    def clean(self):
        errors = {}
        if self.kind == self.Kind.LONG_TERM:
            if not self.next_review_on:
                errors["next_review_on"] = _("A long-term item needs its next review date.")
        elif not self.deadline:
            errors["deadline"] = _("Set a deadline, or make the item long-term.")
        if self.deadline and self.issue_id and self.deadline < self.issue.raised_on:
            errors["deadline"] = _("The deadline cannot be before the issue was raised ({date}).").format(
                date=self.issue.raised_on.isoformat()
            )
        if (
            self.issue_id
            and self.organization_id
            and not _is_within(self.organization, self.issue.organization_id)
        ):
            errors["organization"] = _("An item belongs to the issue's organization or to a unit below it.")
        if errors:
            raise ValidationError(errors)


def _is_within(organization, ancestor_id):
    # The usual case (the item in the issue's own organization) needs no query.
    return organization.pk == ancestor_id or OrganizationTree.read().is_within(organization.pk, ancestor_id)


class ItemCoOwner(Snapshot, models.Model):
    """One co-owner (协办人) of an item, in the order the ledger names them.

    An explicit through model rather than simple-history's `m2m_fields`: each link is added or
    taken away by the workflow with `save_with_history` / `delete_with_history`, so its history
    row names the actor, the action and its id like every other record, and the co-owners of an
    item at a date are read from these rows.
    """

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="co_owner_links"
    )
    person = models.ForeignKey(USER, verbose_name=_("co-owner"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = audited(no_db_index=["person"])

    class Meta:
        verbose_name = _("co-owner")
        verbose_name_plural = _("co-owners")
        ordering = ["item", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "person"],
                name="item_co_owner_unique",
                violation_error_message=_("This person is already a co-owner of this item."),
            )
        ]

    def __str__(self):
        return f"{self.item_id} ← {self.person_id}"


class ProgressUpdate(Snapshot, models.Model):
    """What was done on an item, with the percent reached (整改进展)."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="updates")
    author = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("progress"))
    percent = models.PositiveSmallIntegerField(
        _("percent done"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    history = audited(no_db_index=["author"])

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="progress_percent_at_most_100"),
        ]

    def __str__(self):
        return f"{self.item.reference} {self.percent}%"


def evidence_path(instance, filename):
    # Stored under a neutral name: the user's file name is kept in `original_name`, never used
    # as a path, so it can neither collide nor climb out of the media folder.
    suffix = PurePath(filename).suffix.lower()[:10]
    return timezone.now().strftime("evidence/%Y/%m/") + uuid.uuid4().hex + suffix


class Evidence(Snapshot, models.Model):
    """A file proving progress (佐证材料), attached to an item or to one of its updates."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="evidence")
    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("progress update"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        USER, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    history = audited()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")

    # What a person calls a file, by its content type (the types `ledger.validators` accepts).
    KIND_DOCUMENT = _("Document")
    KIND_IMAGE = _("Image")
    KIND_SPREADSHEET = _("Spreadsheet")
    KIND_OTHER = _("Other file")
    SPREADSHEET_TYPES = (
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv",
    )
    DOCUMENT_TYPES = (
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.ms-works",
        "text/plain",
    )

    @classmethod
    def kind_of(cls, content_type):
        """文档 / 图片 / 表格 / 其他 for a content type, in the active language."""
        content_type = (content_type or "").lower()
        if content_type.startswith("image/"):
            return cls.KIND_IMAGE
        if content_type in cls.SPREADSHEET_TYPES:
            return cls.KIND_SPREADSHEET
        if content_type in cls.DOCUMENT_TYPES:
            return cls.KIND_DOCUMENT
        return cls.KIND_OTHER

    @property
    def kind(self):
        return self.kind_of(self.content_type)

    @staticmethod
    def size_text(size):
        """A size in bytes as people read it: 820 bytes, 12.5 KB, 3.2 MB."""
        from django.template.defaultfilters import filesizeformat

        return filesizeformat(size)

    @property
    def size_display(self):
        return self.size_text(self.size)


class ExtensionRequest(ChoiceLabels, Snapshot, models.Model):
    """An owner's request to move an item's deadline (延期申请) and the committee's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="extension_requests"
    )
    requested_by = models.ForeignKey(
        USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    previous_deadline = models.DateField(_("deadline before"), null=True, blank=True)
    proposed_deadline = models.DateField(_("proposed deadline"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("decision"), max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        USER, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    history = audited()

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status="pending"),
                name="extension_one_pending_per_item",
                violation_error_message=_("This item already has an extension request awaiting a decision."),
            )
        ]

    def __str__(self):
        return f"{self.item.reference} → {self.proposed_deadline:%Y-%m-%d}"


class ImportedRow(models.Model):
    """Which item a row of an imported spreadsheet became, so that re-importing the file (or an
    edited version of it) updates that item instead of creating a duplicate.

    Rows that carry a reference number (an export of this product) are recognised by it; other
    rows by `key`, a digest of the issue description and the measures with blanks normalised,
    the two texts that stay put while a ledger's progress, people and dates are edited.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("import key"), max_length=64)
    item = models.OneToOneField(
        Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="imported_row"
    )
    source_name = models.CharField(_("file name"), max_length=200)
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key"],
                name="imported_row_unique_key",
                violation_error_message=_("This row was already imported into this organization."),
            )
        ]

    def __str__(self):
        return f"{self.source_name} → {self.item_id}"


class SavedView(models.Model):
    """A named filter of the ledger list, kept per user (the GET string of `/ledger/`)."""

    user = models.ForeignKey(
        USER, verbose_name=_("user"), on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="saved_view_unique_name",
                violation_error_message=_("You already have a saved view with this name."),
            )
        ]

    def __str__(self):
        return self.name


class ReportJob(models.Model):
    """A big PDF report generated in the background (see ``ledger.tasks``), and its file.

    Only the person who asked for it may see it: the file was built within their scope.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being generated")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(USER, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("report"), max_length=20)
    query = models.TextField(_("filters"), blank=True)
    language = models.CharField(_("language"), max_length=10)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", max_length=200, blank=True)
    filename = models.CharField(_("file name"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written by the worker when it starts and as the progress moves: a running job whose worker
    # has not written for LEDGER_REPORT_LEASE_SECONDS has lost its worker (killed, restarted).
    heartbeat_at = models.DateTimeField(_("last sign of its worker"), null=True, blank=True)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    # The error of a job failed because its worker died (`ledger.tasks.fail_lost_jobs`).
    WORKER_LOST = "worker-lost"

    @property
    def lost_its_worker(self):
        return self.status == self.Status.FAILED and self.error == self.WORKER_LOST

    def worker_lost(self, now=None):
        """Whether the job is running but its worker gave no sign for the lease's length."""
        if self.status != self.Status.RUNNING:
            return False
        seen = self.heartbeat_at or self.created_at
        lease = datetime.timedelta(seconds=settings.LEDGER_REPORT_LEASE_SECONDS)
        return seen < (now or timezone.now()) - lease


class Notification(models.Model):
    """One thing one person is told (an item assigned, a deadline near, an urging notice …).

    Written by `ledger.notify.notify` only, at most once per person and `key`, so that the daily
    reminder run and the event receivers may run any number of times. The text is not stored: it
    is rendered from `kind` and `params` in the reader's language when shown or sent (`text()`).
    Delivery: the in-app list and bell read these rows; the email digest and the group robots
    mark what they sent (`emailed_at`).
    """

    class Kind(models.TextChoices):
        # Events of the workflow
        ASSIGNED = "assigned", _("Item assigned")
        RETURNED = "returned", _("Item returned")
        CLOSED = "closed", _("Item closed")
        EXTENSION_DECIDED = "extension_decided", _("Extension decided")
        # The daily reminder run
        DUE_SOON = "due_soon", _("Deadline approaching")
        OVERDUE = "overdue", _("Overdue")
        RED = "red", _("Red light")
        ESCALATED = "escalated", _("Escalated")
        AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
        EXTENSION_PENDING = "extension_pending", _("Extension request pending")
        REVIEW_DUE = "review_due", _("Review date reached")
        AWAITING_REVIEW = "awaiting_review", _("Awaiting your review")
        # Supervision
        URGED = "urged", _("Urging notice")
        SUPERVISION_NOTICE = "supervision_notice", _("Supervision notice")
        NOTICE_REPLIED = "notice_replied", _("Reply to a supervision notice")
        REPLY_OVERDUE = "reply_overdue", _("Reply overdue")
        WARNING_TALK = "warning_talk", _("Warning talk")
        RECHECK_ASSIGNED = "recheck_assigned", _("Re-check assigned")
        RELAPSED = "relapsed", _("Problem relapsed")
        FEEDBACK = "feedback", _("How the problem you raised was resolved")

    recipient = models.ForeignKey(
        USER, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    item = models.ForeignKey(
        Item, verbose_name=_("item"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # What makes this notification the same as one sent before: the reminder run's
    # "due_soon:<item>:<days>:<deadline>", an event's "assigned:<history id>" …
    key = models.CharField(_("key"), max_length=200)
    # Figures for the text ({"days": 7}); dates as ISO strings.
    params = models.JSONField(_("details"), default=dict, blank=True)
    # Words a person wrote (an urging notice's message): shown as written, escaped.
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self):
        return f"{self.recipient_id} {self.kind} {self.key}"

    # The sentence of each kind; `{reference}` is the item's, the rest come from `params`.
    TEXTS = {
        Kind.ASSIGNED: _("You are now responsible for item {reference}."),
        Kind.RETURNED: _("Item {reference} was returned to you: {reason}"),
        Kind.CLOSED: _("Item {reference} was verified and closed."),
        Kind.EXTENSION_DECIDED: _("The extension request of item {reference} was decided: {decision}."),
        Kind.DUE_SOON: _("Item {reference} is due in {days} days ({deadline})."),
        Kind.OVERDUE: _("Item {reference} is {days} days overdue (deadline {deadline})."),
        Kind.RED: _("Item {reference} turned red: its progress is {points} points behind pace."),
        Kind.ESCALATED: _(
            "Item {reference} of {organization} is {days} days overdue and was escalated to you."
        ),
        Kind.AWAITING_VERIFICATION: _("Item {reference} has been awaiting verification for {days} days."),
        Kind.EXTENSION_PENDING: _("An extension request for item {reference} has been waiting {days} days."),
        Kind.REVIEW_DUE: _("The review date of long-term item {reference} has come ({date})."),
        Kind.AWAITING_REVIEW: _("Item {reference} is awaiting your review."),
        Kind.URGED: _("Urging notice on item {reference}: reply by {reply_by}."),
        Kind.SUPERVISION_NOTICE: _("Supervision notice on item {reference}: reply by {reply_by}."),
        Kind.NOTICE_REPLIED: _("The supervision notice on item {reference} was answered."),
        Kind.REPLY_OVERDUE: _("The reply to the {level} on item {reference} was due on {reply_by}."),
        Kind.WARNING_TALK: _("A warning talk was recorded on item {reference}."),
        Kind.RECHECK_ASSIGNED: _("Please re-check closed item {reference} by {date}."),
        Kind.RELAPSED: _("Closed item {reference} relapsed; new item {new_reference} was opened."),
        Kind.FEEDBACK: _("The problem you raised was resolved (item {reference})."),
    }

    ANONYMOUS_FEEDBACK = _(
        "A problem raised anonymously was resolved (item {reference}): publish the result to those who raised it."
    )

    def text(self):
        """The sentence in the active language (wrap in `translation.override` for the reader's)."""
        values = {"reference": self.item.reference if self.item_id else ""}
        values.update(self.params)
        if (
            self.kind == self.Kind.EXTENSION_DECIDED
            and values.get("decision") in ExtensionRequest.Status.values
        ):
            # Stored as the status code, so that each reader reads it in their own language.
            values["decision"] = ExtensionRequest.Status(values["decision"]).label
        if self.kind == self.Kind.REPLY_OVERDUE and values.get("level") in Urging.Level.values:
            values["level"] = Urging.Level(values["level"]).label.lower()
        template = self.TEXTS.get(self.kind, self.get_kind_display())
        if self.kind == self.Kind.FEEDBACK and values.get("anonymous"):
            # Nobody to tell by name: the committee that logged the opinion publishes the result.
            template = self.ANONYMOUS_FEEDBACK
        template = str(template)
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return str(self.get_kind_display())


class MutedItem(models.Model):
    """A person's choice to hear nothing more about one item (`notify` skips them)."""

    person = models.ForeignKey(USER, verbose_name=_("person"), on_delete=models.CASCADE, related_name="muted")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("muted at"), default=timezone.now)

    class Meta:
        verbose_name = _("muted item")
        verbose_name_plural = _("muted items")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["person", "item"], name="muted_item_once")]

    def __str__(self):
        return f"{self.person_id} {self.item_id}"


class Webhook(models.Model):
    """A group robot (群机器人) of an organization: what its units are told goes to the group too.

    Kept by the organization's committee. `ledger.delivery` posts what is new since
    `sent_up_to` (a notification id) in batches; a failed post keeps the cursor, counts the
    attempt and waits before the next try (`next_try_at`, doubling), so nothing is lost and
    the other channels go on.
    """

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk (钉钉)")
        FEISHU = "feishu", _("Feishu (飞书)")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    url = models.URLField(_("webhook address"), max_length=500)
    # DingTalk's and Feishu's signing secret; WeCom's key is in the address.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    sent_up_to = models.BigIntegerField(_("sent up to"), default=0)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["organization__sort_order", "name", "pk"]

    def __str__(self):
        return self.name

    @staticmethod
    def masked(text):
        """A secret (or an address with a key in it) as shown back: its last four characters."""
        if not text:
            return ""
        return "••••" + text[-4:] if len(text) > 8 else "••••"

    @property
    def masked_url(self):
        head, _sep, tail = self.url.partition("?")
        if tail:
            return head + "?" + self.masked(tail)
        base, _slash, last = head.rpartition("/")
        return base + "/" + self.masked(last)

    @property
    def masked_secret(self):
        return self.masked(self.secret)


# ---------------------------------------------------------------------------------------------
# Supervision (issue 13, "notices"): urging and supervision notices, warning talks,
# accountability records, re-checks. Written by `ledger.workflow` only, each with its history.


class Urging(Snapshot, models.Model):
    """An urging notice (催办) or, one level up, a supervision notice (督办单) on an item.

    One record with a level rather than two models: both are the committee asking the owner for
    an answer by a date, both are closed by the owner's reply (反馈情况), and the summary counts
    them together ("督办 N 项次"); the notice is the formal, printed level (`notice.pdf`).
    """

    class Level(models.TextChoices):
        URGING = "urging", _("Urging notice")
        NOTICE = "notice", _("Supervision notice")

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="urgings")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.URGING)
    organization = models.ForeignKey(
        Organization, verbose_name=_("issuing organization"), on_delete=models.PROTECT, related_name="+"
    )
    message = models.TextField(_("what is required"))
    reply_by = models.DateField(_("reply by"))
    issued_by = models.ForeignKey(
        USER, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    reply = models.TextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(
        USER, verbose_name=_("replied by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    # Bumped by the reply (`workflow.reply_to_urging`): a second reply from an older page is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = audited(no_db_index=["organization", "issued_by", "replied_by"])

    class Meta:
        verbose_name = _("urging notice")
        verbose_name_plural = _("urging notices")
        ordering = ["-issued_at", "-pk"]

    def __str__(self):
        return f"{self.item.reference} {self.get_level_display()} {self.reply_by:%Y-%m-%d}"

    @property
    def is_open(self):
        return self.replied_at is None

    def is_late(self, today=None):
        return self.is_open and self.reply_by < (today or timezone.localdate())


class WarningTalk(Snapshot, models.Model):
    """A warning talk (约谈), on an item (with its owner, usually) or on a person alone."""

    item = models.ForeignKey(
        Item,
        verbose_name=_("item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warning_talks",
    )
    # The organization whose committee recorded it: the item's, or the one chosen for a person.
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(USER, verbose_name=_("talked to"), on_delete=models.PROTECT, related_name="+")
    talked_on = models.DateField(_("date of the talk"))
    talked_by = models.ForeignKey(
        USER, verbose_name=_("talked by"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.TextField(_("outcome"))
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    history = audited(no_db_index=["organization", "person", "talked_by", "recorded_by"])

    class Meta:
        verbose_name = _("warning talk")
        verbose_name_plural = _("warning talks")
        ordering = ["-talked_on", "-pk"]

    def __str__(self):
        return f"{self.person} {self.talked_on:%Y-%m-%d}"


class Accountability(Snapshot, models.Model):
    """An accountability record (问责) on an item: the kind of measure, its date and the decision."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder talk")
        CRITICISM = "criticism", _("Criticism and education")
        CIRCULATED = "circulated", _("Circulated criticism")
        ADMONISHMENT = "admonishment", _("Admonishment")
        ORGANIZATIONAL = "organizational", _("Organizational handling")
        DISCIPLINARY = "disciplinary", _("Disciplinary sanction")

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="accountabilities"
    )
    person = models.ForeignKey(
        USER,
        verbose_name=_("person held accountable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind of accountability"), max_length=20, choices=Kind.choices)
    decided_on = models.DateField(_("date of the decision"))
    decision = models.TextField(_("decision"))
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = audited(no_db_index=["person", "recorded_by"])

    class Meta:
        verbose_name = _("accountability record")
        verbose_name_plural = _("accountability records")
        ordering = ["-decided_on", "-pk"]

    def __str__(self):
        return f"{self.item.reference} {self.get_kind_display()}"


class RecheckBatch(Snapshot, models.Model):
    """A draw of closed items for re-check (回头看): the items of `organization` and below closed
    in the period, one in `one_in` of them (at least one) picked with `random.Random(seed)` over
    the items in id order, so that the same seed and the same closed items give the same sample
    (`workflow.recheck_sample`)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("closed from"))
    period_end = models.DateField(_("closed until"))
    one_in = models.PositiveSmallIntegerField(
        _("one in"), default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    seed = models.PositiveBigIntegerField(_("seed"))
    pool_size = models.PositiveIntegerField(_("items closed in the period"), default=0)
    due_on = models.DateField(_("re-check due"))
    drawn_by = models.ForeignKey(USER, verbose_name=_("drawn by"), on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    history = audited(no_db_index=["organization", "drawn_by"])

    class Meta:
        verbose_name = _("re-check batch")
        verbose_name_plural = _("re-check batches")
        ordering = ["-drawn_at", "-pk"]

    def __str__(self):
        return f"{self.organization} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"


class Recheck(Snapshot, models.Model):
    """One closed item drawn for re-check (回头看), who checks it by when, and what they found:
    the problem holds, or it relapsed (问题反弹), which opened `new_item` (the closed item stays
    closed: its deadline and history are its own)."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Not checked yet")
        HOLDS = "holds", _("Holds")
        RELAPSED = "relapsed", _("Relapsed")

    batch = models.ForeignKey(
        RecheckBatch, verbose_name=_("re-check batch"), on_delete=models.PROTECT, related_name="rechecks"
    )
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="rechecks")
    checker = models.ForeignKey(
        USER, verbose_name=_("checked by"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("re-check due"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.PENDING)
    note = models.TextField(_("findings"), blank=True)
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    new_item = models.OneToOneField(
        Item,
        verbose_name=_("new item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="relapse_of",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = audited(no_db_index=["batch", "checker", "recorded_by", "new_item"])

    RESULT_COLOURS = {Result.PENDING: "secondary", Result.HOLDS: "success", Result.RELAPSED: "danger"}

    class Meta:
        verbose_name = _("re-check")
        verbose_name_plural = _("re-checks")
        ordering = ["batch", "item__reference", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "item"],
                name="recheck_once_per_batch",
                violation_error_message=_("This item is already in this re-check batch."),
            )
        ]

    def __str__(self):
        return f"{self.item.reference} {self.get_result_display()}"

    @property
    def result_colour(self):
        return self.RESULT_COLOURS.get(self.result, "secondary")


class LightSettings(models.Model):
    """An organization's thresholds of the traffic light (亮灯, `ledger.lights`).

    Every field left empty is inherited from the organization above, up to the defaults
    (`ledger.lights.DEFAULT_RULES`): a branch that sets nothing lights its items as its committee
    does. Reference data, with history: the organization's committee edits it on its page
    (`workflow.save_light_settings`), administrators in the admin.
    """

    class DayCount(models.TextChoices):
        WORKING = "working", _("Working days (statutory holidays and swapped workdays)")
        CALENDAR = "calendar", _("Calendar days")

    organization = models.OneToOneField(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="light_settings"
    )
    red_lag = models.PositiveSmallIntegerField(
        _("red: progress behind pace by more than (points)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    yellow_lag = models.PositiveSmallIntegerField(
        _("yellow: progress behind pace by at least (points)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    due_soon_days = models.PositiveSmallIntegerField(
        _("yellow: due within (days)"), null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    stale_days = models.PositiveSmallIntegerField(
        _("yellow: not updated for more than (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    day_count = models.CharField(_("days counted as"), max_length=10, choices=DayCount.choices, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("traffic-light settings")
        verbose_name_plural = _("traffic-light settings")

    def __str__(self):
        return str(self.organization)

    # {setting: value} this organization inherits where it sets nothing, when known (the settings
    # page gives it, `lights.effective_settings`): the thresholds are then checked as they apply.
    inherited = None

    def clean(self):
        inherited = self.inherited or {}
        red = self.red_lag if self.red_lag is not None else inherited.get("red_lag")
        yellow = self.yellow_lag if self.yellow_lag is not None else inherited.get("yellow_lag")
        if red is not None and yellow is not None and yellow > red:
            # On the field this organization set: the one to change.
            field = "yellow_lag" if self.yellow_lag is not None else "red_lag"
            raise ValidationError(
                {
                    field: _("The yellow threshold ({yellow}) cannot be above the red one ({red}).").format(
                        yellow=yellow, red=red
                    )
                }
            )


def word_template_path(instance, filename):
    """Each uploaded version under a name of its own, so that history rows keep their file."""
    return f"word_templates/{instance.organization_id}/{instance.kind}-{uuid.uuid4().hex}.docx"


class WordTemplate(models.Model):
    """An organization's own Word template (docxtpl) for one document, replacing the default one
    (``ledger/docx_templates``) for it and the organizations below that have none of their own.

    One record per organization and document; each upload stores a new file and bumps `version`,
    and the history keeps who uploaded which file when (``workflow.upload_word_template``)."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Rectification report")
        LEDGER = "ledger", _("Ledger table")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="word_templates"
    )
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=word_template_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        USER, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = audited()

    class Meta:
        verbose_name = _("Word template")
        verbose_name_plural = _("Word templates")
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind"], name="one_word_template_per_document")
        ]

    def __str__(self):
        return f"{self.organization} · {self.get_kind_display()} · v{self.version}"


class Withheld(models.Model):
    """An item, or one of its fields, left out of the public version (不公开), with the reason
    chosen from a short list and who marked it. Marked and unmarked only through the workflow
    (``workflow.withhold`` / ``workflow.disclose``); the history keeps both."""

    class Reason(models.TextChoices):
        PRIVACY = "privacy", _("Personal privacy")
        SECRET = "secret", _("State or work secret")
        INVESTIGATION = "investigation", _("Under investigation or review")
        RULES = "rules", _("Not to be disclosed under the rules")

    class Field(models.TextChoices):
        WHOLE = "", _("The whole item")
        DESCRIPTION = "description", _("Issue description")
        MEASURES = "measures", _("Measures")
        DEPARTMENT = "department", _("Responsible department")
        PROGRESS = "progress", _("Progress / completion")

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="withheld")
    field = models.CharField(_("what is withheld"), max_length=20, choices=Field.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    marked_by = models.ForeignKey(
        USER, verbose_name=_("marked by"), on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    history = audited()

    class Meta:
        verbose_name = _("not for publication")
        verbose_name_plural = _("not for publication")
        constraints = [models.UniqueConstraint(fields=["item", "field"], name="one_withheld_mark_per_field")]

    def __str__(self):
        return f"{self.item} · {self.get_field_display()} · {self.get_reason_display()}"
