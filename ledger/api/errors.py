"""Errors of the API as JSON that names the rule, never a 500 for a refused action.

- `workflow.NotAllowed` (the actor's role does not allow the action): 403;
- `workflow.EditConflict` (a stale version): 412 when the client sent If-Match, else 409;
- any other `workflow.ActionRefused` (`InvalidTransition`: not in this state): 409;
- a field-keyed Django `ValidationError` (bad input the workflow refused): 400;
- the rest as DRF answers it (404 outside the user's scope, 401, 403, 429 with Retry-After).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ledger import workflow


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = _(
        "Send the item's ETag in an If-Match header: a change needs the version it is based on."
    )
    default_code = "precondition_required"


def _code(exc):
    if isinstance(exc, workflow.NotAllowed):
        return "not_allowed"
    if isinstance(exc, workflow.EditConflict):
        return "edit_conflict"
    if isinstance(exc, workflow.InvalidTransition):
        return "invalid_transition"
    return "action_refused"


def refusal_response(exc, request, view):
    """The JSON answer to a refused workflow action."""
    body = {"error": _code(exc), "detail": str(exc.message), "action": getattr(view, "workflow_action", None)}
    headers = {}
    if isinstance(exc, workflow.NotAllowed):
        code = status.HTTP_403_FORBIDDEN
    elif isinstance(exc, workflow.EditConflict):
        code = (
            status.HTTP_412_PRECONDITION_FAILED if "If-Match" in request.headers else status.HTTP_409_CONFLICT
        )
        body["version"] = exc.current.version
        headers["ETag"] = etag(exc.current)
    else:
        code = status.HTTP_409_CONFLICT
    return Response(body, status=code, headers=headers)


def exception_handler(exc, context):
    request, view = context["request"], context["view"]
    if isinstance(exc, workflow.ActionRefused):
        return refusal_response(exc, request, view)
    if isinstance(exc, ValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"error": "invalid", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"error": "invalid", "errors": _as_dict(response.data)}
    elif response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"error": getattr(response.data["detail"], "code", "error"), **response.data}
    return response


def _as_dict(data):
    return data if isinstance(data, dict) else {"non_field_errors": data}


def etag(item):
    return f'"{item.version}"'
