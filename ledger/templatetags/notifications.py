"""The navbar's bell (the unread count) and the item page's mute button."""

from django import template

from ledger import delivery

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context):
    """The person's unread notifications: one indexed query, once per request (none when logged
    out or when the person turned the in-app channel off)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.in_app:
        return 0
    if not hasattr(request, "_unread_count"):
        request._unread_count = delivery.unread_count(user)
    return request._unread_count


@register.inclusion_tag("notifications/mute_button.html", takes_context=True)
def mute_button(context, item):
    request = context.get("request")
    return {
        "item": item,
        "muted": delivery.is_muted(request.user, item),
        "csrf_token": context.get("csrf_token"),
    }
