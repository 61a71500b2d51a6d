from django.apps import AppConfig
from django.db.models import signals
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Rectification ledger")

    def ready(self):
        from core import events
        from core.models import Organization
        from ledger import receivers

        # Notifications on the workflow's events (assignments, returns, closures, extensions).
        events.subscribe(receivers.on_event)

        # Items keep their organization's place as their sort key (`Item.org_rank`): whatever
        # changes the organizations (the admin, a shell, a data migration of the tree) renumbers
        # the items whose place moved.
        signals.post_save.connect(_renumber_items, sender=Organization, dispatch_uid="ledger-org-rank-save")
        signals.post_delete.connect(
            _renumber_items, sender=Organization, dispatch_uid="ledger-org-rank-delete"
        )


def _renumber_items(sender, raw=False, **kwargs):
    if raw:  # loading a fixture: the items come with their keys
        return
    from ledger import workflow

    workflow.renumber_organization_ranks()
