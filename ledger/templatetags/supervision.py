"""The supervision section of the item page (issue 13), as one tag, so that the item page and
its view need no more than a line for it: ``{% supervision_section item %}``."""

from django import template

from .. import supervision

register = template.Library()


@register.inclusion_tag("ledger/includes/supervision_section.html", takes_context=True)
def supervision_section(context, item):
    return {
        "item": item,
        "section": supervision.section(context["request"].user, item),
        "request": context["request"],
    }
