"""Reading the supervision records back (issue 13): an item's supervision section, the notice
PDF (督办单) and the summary's figures. The records are written by `ledger.workflow` only."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from core.models import Organization
from core.permissions import OrganizationTree, Scope

from . import lights, workflow
from .models import Accountability, LightSettings, Recheck, Urging, WarningTalk


@dataclass
class Section:
    """What the item page shows of an item's supervision, and what the user may do there."""

    urgings: list
    talks: list
    accountabilities: list
    rechecks: list  # this item's re-checks (it was drawn while closed)
    relapse_of: Recheck | None  # the re-check whose relapse opened this item
    may_supervise: bool
    may_urge: bool
    replyable: set = field(default_factory=set)  # ids of the urgings the user may answer
    has_notice: bool = False
    may_print_notice: bool = False


def section(user, item):
    """The supervision section of `item` for `user`, in four queries (urgings, talks,
    accountability records, re-checks of and leading to it)."""
    scope = Scope.for_user(user)
    urgings = list(Urging.objects.filter(item=item).select_related("issued_by", "replied_by", "organization"))
    talks = list(WarningTalk.objects.filter(item=item).select_related("person", "talked_by"))
    accountabilities = list(Accountability.objects.filter(item=item).select_related("person"))
    linked = list(
        Recheck.objects.filter(Q(item=item) | Q(new_item=item))
        .select_related("item", "new_item", "checker", "batch")
        .order_by("pk")
    )
    manages = scope.manages(item.organization_id)
    owner_side = workflow.answers_urgings(user, item)
    has_notice = any(urging.level == Urging.Level.NOTICE for urging in urgings)
    return Section(
        urgings=urgings,
        talks=talks,
        accountabilities=accountabilities,
        rechecks=[recheck for recheck in linked if recheck.item_id == item.pk],
        relapse_of=next((recheck for recheck in linked if recheck.new_item_id == item.pk), None),
        may_supervise=manages,
        may_urge=workflow.may_urge(user, item),
        replyable={urging.pk for urging in urgings if urging.is_open} if owner_side else set(),
        has_notice=has_notice,
        may_print_notice=has_notice and may_print_notice(user, item),
    )


def may_print_notice(user, item):
    """The notice is for those who may print the item's dossier, and its co-owners."""
    return Scope.for_user(user).may_print_dossier(item) or workflow.is_co_owner(user, item)


def latest_notice(item):
    return (
        Urging.objects.filter(item=item, level=Urging.Level.NOTICE)
        .select_related("organization", "issued_by", "replied_by")
        .order_by("-issued_at", "-pk")
        .first()
    )


def totals(items, date_from, date_to, organizations=None):
    """The summary's supervision figures for the period, over `items` (items or their
    historical rows: ids are read from `id`): urgings and notices sent (督办 N 项次), notices
    still unanswered, warning talks (on these items, and on people of `organizations`),
    accountability records, re-checks done, held and relapsed."""
    ids = items.values("id")
    urged = Urging.objects.filter(item_id__in=ids, issued_at__date__range=(date_from, date_to)).aggregate(
        total=Count("pk"),
        notices=Count("pk", filter=Q(level=Urging.Level.NOTICE)),
        unanswered=Count("pk", filter=Q(replied_at__isnull=True)),
    )
    talk_filter = Q(item_id__in=ids)
    if organizations is not None:
        talk_filter |= Q(item__isnull=True, organization_id__in=organizations)
    talks = WarningTalk.objects.filter(talk_filter, talked_on__range=(date_from, date_to)).count()
    accountability = Accountability.objects.filter(
        item_id__in=ids, decided_on__range=(date_from, date_to)
    ).count()
    rechecks = Recheck.objects.filter(
        item_id__in=ids, checked_at__date__range=(date_from, date_to)
    ).aggregate(
        checked=Count("pk"),
        holds=Count("pk", filter=Q(result=Recheck.Result.HOLDS)),
        relapsed=Count("pk", filter=Q(result=Recheck.Result.RELAPSED)),
    )
    return {
        "urgings": urged["total"],
        "notices": urged["notices"],
        "unanswered": urged["unanswered"],
        "warning_talks": talks,
        "accountability": accountability,
        "rechecks": rechecks["checked"],
        "rechecks_hold": rechecks["holds"],
        "relapsed": rechecks["relapsed"],
    }


@dataclass
class ThresholdRow:
    """One line of the thresholds page: the organization's own value (None: inherits), the value
    that applies and where it comes from (an organization, None for the default)."""

    name: str
    label: str
    own: object
    value: object
    source: Organization | None
    own_source: bool


def light_settings_rows(organization, stored):
    """The thresholds page's lines for `organization`, whose own settings are `stored` (or None)."""
    tree = OrganizationTree.read()
    effective = lights.effective_settings(organization.pk, tree)
    sources = {org_id for _value, org_id in effective.values() if org_id is not None}
    names = Organization.objects.in_bulk(sources)
    rows = []
    for name in lights.SETTING_FIELDS:
        value, source = effective[name]
        own = getattr(stored, name) if stored is not None else None
        if name == "day_count":
            own = LightSettings.DayCount(own).label if own else None
            value = LightSettings.DayCount(value).label
        label = LightSettings._meta.get_field(name).verbose_name
        rows.append(ThresholdRow(name, label, own, value, names.get(source), source == organization.pk))
    return rows
