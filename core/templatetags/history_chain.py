"""`{% may_see_history_chain as flag %}`: whether the navigation bar links the chain page."""

from django import template

from core.permissions import Scope

register = template.Library()


@register.simple_tag(takes_context=True)
def may_see_history_chain(context):
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    return Scope.for_user(user).may_see_history_chain()
