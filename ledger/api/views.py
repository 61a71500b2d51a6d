"""The API's endpoints: thin views over the scoped querysets, the web's FilterSets and the
workflow.

Reading: every queryset starts from the model's `visible_to(user)` (`core.permissions.Scope`),
so a record outside the user's organizations is a 404, as on the web. Writing: each endpoint
calls one function of `ledger.workflow`, which checks the role and the state again; refusals
become JSON errors (`ledger.api.errors`). Item responses carry an ETag (the item's version);
PUT and PATCH need it back in If-Match (428 without, 412 when stale)."""

import re

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import Organization
from ledger import lights, workflow
from ledger.filtersets import IssueFilterSet, ItemFilterSet
from ledger.history import Timeline
from ledger.models import Evidence, ExtensionRequest, Issue, Item, Meeting, ProgressUpdate
from ledger.workflow import Action

from . import serializers as s
from .errors import PreconditionRequired, etag


def _errors(*codes):
    """The error responses an operation documents (all share one shape)."""
    return {code: OpenApiResponse(s.ErrorSerializer) for code in codes}


READ_ERRORS = _errors(401, 403, 404)
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description='The item\'s ETag, e.g. "3"'
)


def if_match_version(request, required):
    """The version named by the request's If-Match header (`"3"`, `W/"3"` or `3`); None when
    there is none and it is optional, or `*` (any); 428 when required and missing. A value that names no
    version is a version that matches nothing (412 from the workflow)."""
    value = request.headers.get("If-Match")
    if value is not None and value.strip() == "*":
        return None  # any version: the client takes the item as it is now
    if value is None:
        if required:
            raise PreconditionRequired
        return None
    found = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', value)
    return int(found.group(1)) if found else -1


@extend_schema_view(list=extend_schema(responses={200: s.OrganizationSerializer(many=True), **READ_ERRORS}))
class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """The organizations the user reaches (their memberships' subtrees)."""

    serializer_class = s.OrganizationSerializer

    def get_queryset(self):
        return Organization.objects.visible_to(self.request.user).order_by("sort_order", "name", "pk")


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """Meetings of the user's organizations, with their attendance."""

    serializer_class = s.MeetingSerializer

    def get_queryset(self):
        return (
            Meeting.objects.visible_to(self.request.user)
            .select_related("organization", "host", "recorder")
            .prefetch_related("attendances__person")
            .order_by("-held_on", "-pk")
        )


class IssueViewSet(viewsets.ReadOnlyModelViewSet):
    """Issues of the user's organizations, filtered as the web's issue list."""

    serializer_class = s.IssueSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = IssueFilterSet

    def get_queryset(self):
        return (
            Issue.objects.visible_to(self.request.user)
            .select_related("category")
            .order_by("-raised_on", "-pk")
        )


def item_response(request, item, status=200):
    """An item as JSON, with the actions the person may take now, and its ETag."""
    response = Response(s.ItemDetailSerializer(item, context={"user": request.user}).data, status=status)
    response["ETag"] = etag(item)
    return response


ACTION_ERRORS = _errors(400, 401, 403, 404, 409, 412)


def _action_schema(request_serializer, summary):
    return extend_schema(
        request=request_serializer,
        responses={200: s.ItemDetailSerializer, **ACTION_ERRORS},
        parameters=[IF_MATCH],
        summary=summary,
    )


class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The ledger's items: the web ledger's FilterSet and scope, and the workflow's actions."""

    serializer_class = s.ItemSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ItemFilterSet
    workflow_action = None  # named by each write, for the errors

    def get_queryset(self):
        # The same scoped queryset as the web ledger (`filter_items_for`), the same joins.
        return (
            Item.objects.visible_to(self.request.user)
            .select_related("organization", "issue", "leader", "owner")
            .with_co_owners()
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list" and "light_code" not in queryset.query.annotations:
            queryset = lights.Judge(timezone.localdate()).annotate(queryset)
        return queryset

    def get_item(self):
        """The item, if the user may see it (else 404); lookups only, no filters."""
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    @extend_schema(
        responses={200: s.ItemSerializer(many=True), 400: s.ErrorSerializer, 401: s.ErrorSerializer}
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.ItemDetailSerializer, **READ_ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return item_response(request, self.get_item())

    # --- edits: PUT and PATCH, with If-Match ----------------------------------------------------

    @extend_schema(
        request=s.ItemEditSerializer,
        responses={200: s.ItemDetailSerializer, **_errors(400, 401, 403, 404, 409, 412, 428)},
        parameters=[IF_MATCH],
    )
    def update(self, request, *args, **kwargs):
        return self._edit(request, partial=False)

    @extend_schema(
        request=s.ItemEditSerializer,
        responses={200: s.ItemDetailSerializer, **_errors(400, 401, 403, 404, 409, 412, 428)},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        return self._edit(request, partial=True)

    def _edit(self, request, partial):
        self.workflow_action = Action.EDIT
        item = self.get_item()
        version = if_match_version(request, required=True)
        form = s.ItemEditSerializer(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        reason = data.pop("reason", "")
        deadline_decision = data.pop("deadline_decision", False)
        changes = {name: data[name] for name in workflow.ITEM_EDITABLE_FIELDS if name in data}
        if not partial:
            # A PUT states every field: those left out are emptied, as a form would.
            changes = {name: data.get(name, _empty(name)) for name in workflow.ITEM_EDITABLE_FIELDS}
        item = workflow.edit_item(
            request.user,
            item,
            expected_version=version,
            reason=reason,
            deadline_decision=deadline_decision,
            **changes,
        )
        return item_response(request, self.get_item())

    # --- the workflow's actions -------------------------------------------------------------

    def _act(self, request, action_code, form_class, call):
        self.workflow_action = action_code
        item = self.get_item()
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        call(request.user, item, if_match_version(request, required=False), form.validated_data)
        return item_response(request, self.get_item())

    @_action_schema(s.NoteSerializer, "Start work")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._act(
            request,
            Action.START,
            s.NoteSerializer,
            lambda user, item, v, d: workflow.start(user, item, expected_version=v, note=d["note"]),
        )

    @_action_schema(s.SubmitSerializer, "Submit for verification")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(
            request,
            Action.SUBMIT,
            s.SubmitSerializer,
            lambda user, item, v, d: workflow.submit(
                user, item, expected_version=v, note=d["note"], incomplete_confirmed=d["incomplete_confirmed"]
            ),
        )

    @_action_schema(s.NoteSerializer, "Review (double review)")
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._act(
            request,
            Action.REVIEW,
            s.NoteSerializer,
            lambda user, item, v, d: workflow.review(user, item, expected_version=v, note=d["note"]),
        )

    @_action_schema(s.ReasonSerializer, "Return for more work")
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_item(self, request, pk=None):
        return self._act(
            request,
            Action.RETURN,
            s.ReasonSerializer,
            lambda user, item, v, d: workflow.return_item(user, item, reason=d["reason"], expected_version=v),
        )

    @_action_schema(s.CloseSerializer, "Verify and close")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(
            request,
            Action.CLOSE,
            s.CloseSerializer,
            lambda user, item, v, d: workflow.close(
                user,
                item,
                note=d["note"],
                outcome=d["outcome"],
                next_review_on=d["next_review_on"],
                expected_version=v,
            ),
        )

    @_action_schema(s.ReasonSerializer, "Reopen")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._act(
            request,
            Action.REOPEN,
            s.ReasonSerializer,
            lambda user, item, v, d: workflow.reopen(user, item, reason=d["reason"], expected_version=v),
        )

    @_action_schema(s.ReasonSerializer, "Withdraw")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(
            request,
            Action.WITHDRAW,
            s.ReasonSerializer,
            lambda user, item, v, d: workflow.withdraw(user, item, reason=d["reason"], expected_version=v),
        )

    # --- what hangs on an item ----------------------------------------------------------------

    @extend_schema(methods=["get"], responses={200: s.ProgressUpdateSerializer(many=True), **READ_ERRORS})
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": s.ProgressInputSerializer},
        responses={201: s.ProgressUpdateSerializer, **ACTION_ERRORS},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["get", "post"])
    def progress(self, request, pk=None):
        item = self.get_item()
        if request.method == "GET":
            updates = (
                ProgressUpdate.objects.filter(item=item)
                .select_related("author")
                .prefetch_related("evidence__uploaded_by")
            )
            return self._page(updates, s.ProgressUpdateSerializer)
        self.workflow_action = Action.POST_PROGRESS
        form = s.ProgressInputSerializer(data=_with_files(request, "files"))
        form.is_valid(raise_exception=True)
        data = form.validated_data
        update = workflow.post_progress(
            request.user,
            item,
            text=data["text"],
            percent=data["percent"],
            files=data["files"],
            expected_version=if_match_version(request, required=False),
        )
        update = (
            ProgressUpdate.objects.select_related("author")
            .prefetch_related("evidence__uploaded_by")
            .get(pk=update.pk)
        )
        return Response(s.ProgressUpdateSerializer(update).data, status=201)

    @extend_schema(methods=["get"], responses={200: s.EvidenceSerializer(many=True), **READ_ERRORS})
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": s.EvidenceInputSerializer},
        responses={201: s.EvidenceSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def evidence(self, request, pk=None):
        item = self.get_item()
        if request.method == "GET":
            return self._page(
                Evidence.objects.filter(item=item).select_related("uploaded_by"), s.EvidenceSerializer
            )
        self.workflow_action = Action.ATTACH_EVIDENCE
        form = s.EvidenceInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        evidence = workflow.attach_evidence(request.user, item, form.validated_data["file"])
        return Response(s.EvidenceSerializer(evidence).data, status=201)

    @extend_schema(methods=["get"], responses={200: s.ExtensionRequestSerializer(many=True), **READ_ERRORS})
    @extend_schema(
        methods=["post"],
        request=s.ExtensionInputSerializer,
        responses={201: s.ExtensionRequestSerializer, **ACTION_ERRORS},
    )
    @action(
        detail=True, methods=["get", "post"], url_path="extension-requests", url_name="extension-requests"
    )
    def extension_requests(self, request, pk=None):
        item = self.get_item()
        if request.method == "GET":
            requests = ExtensionRequest.objects.filter(item=item).select_related("requested_by", "decided_by")
            return self._page(requests, s.ExtensionRequestSerializer)
        self.workflow_action = Action.REQUEST_EXTENSION
        form = s.ExtensionInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        extension = workflow.request_extension(request.user, item, **form.validated_data)
        return Response(s.ExtensionRequestSerializer(extension).data, status=201)

    @extend_schema(responses={200: s.HistoryEntrySerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The item's audit history, newest first: who, when, the action, the reason, the changes."""
        return self._page(Timeline(self.get_item(), newest_first=True), s.HistoryEntrySerializer)

    def _page(self, rows, serializer_class):
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def _empty(name):
    return None if name in ("leader", "deadline", "next_review_on") else ""


def _with_files(request, name):
    """The request's data with every file sent under `name` (a multipart list)."""
    data = {key: request.data.get(key) for key in request.data if key != name}
    data[name] = request.FILES.getlist(name) if hasattr(request.FILES, "getlist") else []
    return data


class ExtensionRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Extension requests of the items the user may see; the committee approves or rejects."""

    serializer_class = s.ExtensionRequestSerializer
    workflow_action = Action.DECIDE_EXTENSION

    def get_queryset(self):
        return (
            ExtensionRequest.objects.filter(item__in=Item.objects.visible_to(self.request.user))
            .select_related("requested_by", "decided_by", "item")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request=s.DecisionSerializer, responses={200: s.ExtensionRequestSerializer, **ACTION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approve=True)

    @extend_schema(
        request=s.DecisionSerializer, responses={200: s.ExtensionRequestSerializer, **ACTION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, approve=False)

    def _decide(self, request, approve):
        extension = self.get_object()
        form = s.DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        decided = workflow.decide_extension(
            request.user, extension, approve=approve, note=form.validated_data["note"]
        )
        return Response(s.ExtensionRequestSerializer(self.get_queryset().get(pk=decided.pk)).data)


class EvidenceViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evidence files of the items the user may see; `download` serves the file itself."""

    serializer_class = s.EvidenceSerializer

    def get_queryset(self):
        return Evidence.objects.filter(item__in=Item.objects.visible_to(self.request.user)).select_related(
            "uploaded_by"
        )

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **READ_ERRORS})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        evidence = self.get_object()
        return FileResponse(
            evidence.file.open("rb"),
            as_attachment=not evidence.is_image,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )
