"""Small template helpers of the ledger's screens."""

from django import template
from django.utils import timezone

register = template.Library()

SOON_DAYS = 7


@register.filter
def deadline_class(item):
    """CSS class of an item's due date: red when overdue, amber when due within 7 days."""
    days = item.days_left(timezone.localdate())
    if days is None:
        return ""
    if days < 0:
        return "deadline-overdue"
    if days <= SOON_DAYS:
        return "deadline-soon"
    return ""


@register.filter
def overdue_days(item):
    """How many days an item is overdue (its deadline, or a long-term item's review date, is
    past), or None when it is not."""
    days = item.days_left(timezone.localdate())
    return -days if days is not None and days < 0 else None


@register.simple_tag(takes_context=True)
def sort_link(context, field):
    """The `ordering` value a column header links to: ascending, or descending if already so."""
    current = context["request"].GET.get("ordering", "")
    return "-" + field if current == field else field


@register.filter
def bs(bound_field):
    """Render a form field's widget with Bootstrap's class for its kind, marking errors."""
    widget = bound_field.field.widget
    input_type = getattr(widget, "input_type", "")
    if input_type in ("checkbox", "radio") or widget.__class__.__name__.startswith("CheckboxSelect"):
        css = "form-check-input" if input_type == "checkbox" else ""
    elif widget.__class__.__name__.endswith("Select") or input_type == "select":
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    attrs = {"class": (widget.attrs.get("class", "") + " " + css).strip()}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag
def join_id(*parts):
    """An element id made of parts, e.g. one per issue and field on the meeting page."""
    return "-".join(str(part) for part in parts)


@register.filter
def bs_id(bound_field, element_id):
    """Like `bs`, with the given id (for a form rendered more than once on a page)."""
    widget = bound_field.field.widget
    css = (
        "form-select form-select-sm"
        if widget.__class__.__name__.endswith("Select")
        else "form-control form-control-sm"
    )
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css, "id": element_id})


@register.simple_tag(takes_context=True)
def saved_views(context):
    """The user's saved views (one query per request, none when logged out)."""
    from ledger.models import SavedView

    request = context["request"]
    if not request.user.is_authenticated:
        return []
    # Read once per request: the menu and the ledger list's own "manage" section both show them.
    if not hasattr(request, "saved_views"):
        request.saved_views = list(SavedView.objects.filter(user=request.user).only("pk", "name", "query"))
    return request.saved_views


@register.inclusion_tag("ledger/includes/error_summary.html")
def error_summary(form, anchor=""):
    """The summary at the top of a page whose form came back with errors: one entry per message,
    naming its field and linked to it; the form's own errors (and those of hidden fields) link
    to `anchor`, the id of the form's section."""
    entries = [{"label": "", "message": message, "href": anchor} for message in form.non_field_errors()]
    for field in form:
        for message in field.errors:
            if field.is_hidden:
                entries.append({"label": "", "message": message, "href": anchor})
            else:
                entries.append({"label": field.label, "message": message, "href": field.id_for_label})
    return {"entries": entries}
