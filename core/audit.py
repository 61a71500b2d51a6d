"""Audit history plumbing shared by every audited model.

django-simple-history writes one historical row per save. On top of its user and change reason,
every historical row here also records the *action* that caused it (a workflow action code such
as ``close``), so that the history can be shown as "X closed the item: <reason>" in the reader's
language, whatever language the reason was typed in.
"""

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class ActionHistory(models.Model):
    """Abstract base of the historical models: adds the action code."""

    history_action = models.CharField(_("action"), max_length=30, blank=True, default="")

    class Meta:
        abstract = True


def audited(**kwargs):
    """`HistoricalRecords` with the action column; use it on every audited model."""
    return HistoricalRecords(bases=[ActionHistory], **kwargs)


@receiver(pre_create_historical_record)
def stamp_action(sender, instance, history_instance, **kwargs):
    if hasattr(history_instance, "history_action"):
        history_instance.history_action = getattr(instance, "_history_action", "") or ""


def save_with_history(obj, *, user, action, reason="", **save_kwargs):
    """Save `obj` so that its history row names the user, the action and the reason.

    The attributes are removed again afterwards: a later save of the same object must not
    inherit this action's reason.
    """
    obj._history_user = user
    obj._history_action = action
    obj._change_reason = reason or ""
    try:
        obj.save(**save_kwargs)
    finally:
        for attr in ("_history_user", "_history_action", "_change_reason"):
            if hasattr(obj, attr):
                delattr(obj, attr)
    return obj
