"""The navbar's count of the work queue (待我处理)."""

from django import template

from ledger import queue

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_count(context):
    """How many items wait for the user, as the navbar says it (3, or 99+ beyond 99): one query
    (none when logged out), once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_waiting_count"):
        request._waiting_count = queue.waiting_label(queue.waiting_count(user))
    return request._waiting_count
