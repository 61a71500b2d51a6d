"""The schema's error answers, documented on every operation from one table.

Every error has the shape of `ErrorSerializer` (component "Error"): the views answer 401 without
credentials, 403 when the role does not allow it, 404 outside the user's scope, 429 beyond the
rate; lists and writes 400 on bad input; the workflow's actions 409 (not in this state) and 412
(a stale If-Match); PUT and PATCH 428 without If-Match."""

from django.utils.translation import gettext_lazy as _

EVERYWHERE = {
    "401": _("Not authenticated"),
    "403": _("Not allowed"),
    "404": _("Not found, or outside the user's organizations"),
    "429": _("Too many requests; see Retry-After"),
}
BY_METHOD = {
    "get": {"400": _("Invalid filter or page")},
    "post": {
        "400": _("Invalid input"),
        "409": _("Not possible in the item's state"),
        "412": _("The item changed since (If-Match)"),
    },
    "put": {
        "400": _("Invalid input"),
        "409": _("Not possible in the item's state"),
        "412": _("The item changed since (If-Match)"),
        "428": _("If-Match missing"),
    },
}
BY_METHOD["patch"] = BY_METHOD["put"]
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the error answers each operation may give."""
    for path, operations in result.get("paths", {}).items():
        if path.endswith("/schema/") or path.endswith("/docs/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, description in {**EVERYWHERE, **BY_METHOD.get(method, {})}.items():
                responses.setdefault(code, {"description": str(description), "content": ERROR})
    return result
