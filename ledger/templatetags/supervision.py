"""The supervision section of the item page (issue 13), as one tag, so that the item page and
its view need no more than a line for it: ``{% supervision_section item %}``."""

from django import template

from core.permissions import Scope

from .. import supervision

register = template.Library()


@register.inclusion_tag("ledger/includes/supervision_section.html", takes_context=True)
def supervision_section(context, item):
    return {
        "item": item,
        "section": supervision.section(context["request"].user, item),
        "request": context["request"],
    }


@register.simple_tag(takes_context=True)
def manages_anything(context):
    """Whether the navbar's supervision menu offers the committee's pages (the traffic-light
    thresholds): the user's scope, which the page's view has read already."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and Scope.for_user(user).manages_anything)
