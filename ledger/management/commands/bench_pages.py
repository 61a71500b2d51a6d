"""Benchmark of the ledger's pages against their floors, measured side by side in one run.

Every page is requested through the whole stack (the test Client: URL routing, every
middleware, the session, the view, the templates) and timed beside

- its floor: the least SQL that yields the page's rows and counts, written by hand (not a replay
  of the page's own queries), run through the database driver (`connection.cursor()`), with the
  rows joined into an HTML string by plain Python; and
- for the ledger list, the Django admin's changelist of Item on the same data and filter (what a
  user could use instead), as a superuser.

Absolute timings on a shared machine are noise; the ratios, measured in the same run, are what
the targets name. The floor of a page that could grow without bound (the item's progress
updates, its history, an owner's open items) is one page of rows and their count: as many rows
as the page declares it shows (`ledger.views.items.UPDATES_SHOWN`, ...), or `SHOWN` when it
declares no bound (and shows everything).
"""

import datetime
import html
import json
import platform
import random
import statistics
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from core.models import Membership, Organization
from core.permissions import Scope, children_map, subtree_ids
from ledger import demo, workflow
from ledger.models import (
    Category,
    Evidence,
    ExtensionRequest,
    Issue,
    Item,
    Meeting,
    ProgressUpdate,
)

# One page of rows: the list's page size, and the bound the floors of unbounded pages take.
SHOWN = 50
BENCH_OWNER = "bench_owner"
BENCH_OWNER_GROUP = "机运党支部第一党小组"
SUBTREE = "机运党支部"
KEYWORD = "安全"

T = {
    "item": Item._meta.db_table,
    "issue": Issue._meta.db_table,
    "category": Category._meta.db_table,
    "org": Organization._meta.db_table,
    "user": get_user_model()._meta.db_table,
    "update": ProgressUpdate._meta.db_table,
    "evidence": Evidence._meta.db_table,
    "extension": ExtensionRequest._meta.db_table,
    "meeting": Meeting._meta.db_table,
    "attendance": "ledger_attendance",
    "hitem": Item.history.model._meta.db_table,
    "hupdate": ProgressUpdate.history.model._meta.db_table,
}


@dataclass
class Case:
    """One page to measure: its address, its floor (a function returning HTML), optionally the
    admin's address for the same data, and the targets (at most `floor_target` × the floor, at
    most `admin_target` × the admin)."""

    name: str
    client: str  # which logged-in client requests it
    url: str
    floor: object
    floor_target: float
    admin_url: str = ""
    admin_target: float = 0.5
    references: object = None  # the floor's rows, to check that the page shows the same ones
    beside: str = "admin"  # the client that requests `admin_url` (the API's row: the web list's user)


@dataclass
class Result:
    name: str
    url: str
    page_ms: float
    floor_ms: float
    floor_ratio: float
    floor_target: float
    admin_url: str = ""
    admin_ms: float | None = None
    admin_ratio: float | None = None
    admin_target: float | None = None
    queries: int = 0
    page_kb: float = 0.0
    same_rows: str = ""
    runs: list = field(default_factory=list)

    @property
    def met(self):
        ok = self.floor_ratio <= self.floor_target
        if self.admin_ratio is not None:
            ok = ok and self.admin_ratio <= self.admin_target
        return ok


class Command(BaseCommand):
    help = (
        "Time the ledger list (first page, a deep page, three filters, sorted by deadline, keyword "
        "search), an item's detail and history pages at 1,000 revisions, the owner's page at 500 "
        "open items and the dashboard, through the whole request stack, each beside its floor "
        "(hand-written SQL through the database driver plus a bare HTML join) and the list beside "
        "the Django admin's changelist; median of --runs after a warm-up. Prints one table and "
        "saves it as JSON. Creates the bench owner and the item with many revisions when missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--items",
            type=int,
            default=0,
            help="First add synthetic items (seed_demo --items) until the ledger holds this many.",
        )
        parser.add_argument(
            "--runs", type=int, default=5, help="Timed runs of each (the median is shown); 0: only prepare."
        )
        parser.add_argument("--revisions", type=int, default=1000, help="History rows of the bench item.")
        parser.add_argument("--owner-items", type=int, default=500, help="Open items of the bench owner.")
        parser.add_argument(
            "--json", dest="json_path", default="bench/results.json", help="Where to save the results."
        )
        parser.add_argument(
            "--pages",
            action="append",
            default=[],
            help="Measure only the pages whose name contains this text (repeatable), e.g. --pages history.",
        )
        parser.add_argument(
            "--attach",
            action="append",
            default=[],
            help="A text file (another benchmark's output) to save in the JSON beside the table.",
        )

    def handle(self, *args, items, runs, revisions, owner_items, json_path, attach, pages, **options):
        users = get_user_model().objects
        seeded = self.seed(items)
        if not users.filter(username="secretary").exists():
            raise CommandError("No demo data: run `manage.py seed_demo --items N` first (or give --items).")
        started = time.perf_counter()
        owner, busy_item = bench_fixtures(owner_items, revisions)
        self.stdout.write(f"bench fixtures ready in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            # What autovacuum does soon after a bulk load: the planner needs the new statistics.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if runs <= 0:
            return
        clients = {
            "secretary": logged_in(users.get(username="secretary")),
            "admin": logged_in(users.filter(is_superuser=True).order_by("pk").first()),
            "owner": logged_in(owner),
        }
        # DEBUG (which `make bench` sets for its SECRET_KEY) keeps every query's SQL, which a
        # server does not: measure without it. The test Client's host must be allowed.
        with (
            override_settings(
                DEBUG=False,
                ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
                LEDGER_API_USER_RATE="1000000/min",  # the API's throttle counts the bench's requests
            ),
            warnings.catch_warnings(),
        ):
            # whitenoise's "No directory at STATIC_ROOT": the bench serves no static files.
            warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
            cases = build_cases(users.get(username="secretary"), owner, busy_item)
            cases += api_cases(users.get(username="secretary"))
            if pages:
                cases = [case for case in cases if any(text in case.name for text in pages)]
            results = [measure(case, clients, max(runs, 1)) for case in cases]
        data = dataset()
        self.stdout.write(table(results, data))
        data["seed_seconds"] = seeded
        save(json_path, results, data, runs, attach)
        self.stdout.write(f"saved to {json_path}")

    def seed(self, items):
        """Top the ledger up to `items` items with seed_demo; its time in seconds (None: no seeding)."""
        missing = items - Item.objects.count() if items else 0
        if missing <= 0:
            return None
        started = time.perf_counter()
        call_command("seed_demo", items=missing, stdout=self.stdout)
        return round(time.perf_counter() - started, 1)


# ---------------------------------------------------------------------------------------------
# The data the bench needs beside the seed: an owner with ~500 open items, one of them with
# 1,000 revisions (progress posts, through the workflow like every change).


def bench_fixtures(owner_items, revisions):
    """The bench owner (created with `owner_items` open items when missing) and the item of theirs
    that has `revisions` history rows (progress posts are added until it has)."""
    User = get_user_model()
    owner = User.objects.filter(username=BENCH_OWNER).first()
    if owner is None:
        demo.build_demo()
        group = Organization.objects.get(name=BENCH_OWNER_GROUP)
        owner = User.objects.create_user(BENCH_OWNER, password=demo.DEFAULT_PASSWORD, full_name="基准责任人")
        Membership.objects.create(user=owner, organization=group, role=Membership.Role.MEMBER)
        add_owned_items(owner, group, owner_items)
    item = Item.objects.filter(owner=owner).order_by("pk").first()
    missing = revisions - Item.history.filter(id=item.pk).count()
    if missing > 0:
        with transaction.atomic():
            for n in range(missing):
                item = workflow.post_progress(
                    owner, item, text=f"第{n + 1}次进展：已按整改措施推进。", percent=min(90, n % 91)
                ).item
    return owner, item


def add_owned_items(owner, group, count):
    """`count` open items owned by `owner` in `group`, through the workflow's batch path."""
    rng = random.Random(12)
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    leader = get_user_model().objects.filter(username="leader").first()
    categories = list(Category.objects.all())
    today = timezone.localdate()
    rows = []
    for n in range(count):
        category = categories[n % len(categories)]
        issue = Issue(
            organization=group,
            category=category,
            source=demo.SOURCES[n % len(demo.SOURCES)],
            description=f"{category.name}方面问题（基准 {n + 1}）："
            + rng.choice(demo.ISSUES.get(category.name, demo.ISSUES["作风"])),
            raised_on=today - datetime.timedelta(days=rng.randint(0, 300)),
        )
        started = n % 2 == 1
        rows.append(
            workflow.NewItem(
                key=n + 1,
                issue=issue,
                organization=group,
                fields={
                    "measures": rng.choice(demo.MEASURES.get(category.name, demo.MEASURES["作风"])),
                    "leader": leader,
                    "department": "机运工区",
                    "owner": owner,
                    "kind": Item.Kind.BY_DEADLINE,
                    "deadline": today + datetime.timedelta(days=rng.randint(-60, 120)),
                    "next_review_on": None,
                },
                progress="已按整改措施逐项推进。" if started else "",
                percent=20 if started else 0,
                status=Item.Status.IN_PROGRESS if started else Item.Status.OPEN,
            )
        )
    workflow.import_new_items(admin, rows, reason="bench_pages")


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def dataset():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {T['item']}")
        items = cursor.fetchone()[0]
        history = 0
        for model in (Item, Issue, ProgressUpdate, Evidence, ExtensionRequest, Meeting):
            cursor.execute(f"SELECT COUNT(*) FROM {model.history.model._meta.db_table}")
            history += cursor.fetchone()[0]
    return {"vendor": connection.vendor, "items": items, "history_rows": history}


# ---------------------------------------------------------------------------------------------
# The cases and their floors.

LIST_COLUMNS = f"""
    SELECT i.id, i.reference, iss.description, cat.name, i.measures, ld.full_name, i.department,
           ow.full_name, i.kind, i.deadline, i.next_review_on, i.status, i.progress
    FROM {T["item"]} i
    JOIN {T["issue"]} iss ON iss.id = i.issue_id
    JOIN {T["category"]} cat ON cat.id = iss.category_id
    JOIN {T["org"]} o ON o.id = i.organization_id
    LEFT JOIN {T["user"]} ld ON ld.id = i.leader_id
    LEFT JOIN {T["user"]} ow ON ow.id = i.owner_id
"""


def ledger_order():
    """The ledger's order (`Item.Meta.ordering`, which the page and the floor must both follow
    to yield the same rows) in SQL: the item's own columns, or its organization's (`o.`)."""
    columns = []
    for name in Item._meta.ordering:
        path = name.lstrip("-")
        column = f"o.{path.split('__', 1)[1]}" if path.startswith("organization__") else f"i.{path}"
        columns.append(column + (" DESC" if name.startswith("-") else ""))
    return ", ".join(columns)


def bound(name):
    """How many rows a bounded page shows: the page's own bound when it declares one
    (`ledger.views.items.<name>`), else one page of `SHOWN`."""
    from ledger.views import items

    return getattr(items, name, SHOWN)


def placeholders(values):
    return ", ".join(["%s"] * len(values))


def list_floor(org_ids, where="", params=(), order="", page=1, count_joins="", size=None):
    """The ledger list's floor: its page of rows (`size`, the list's page size unless given) and
    the counts by status (withdrawn ones included, as the badges show them), in two queries,
    joined into a table."""
    org_ids = sorted(org_ids)
    order = order or ledger_order()
    size = size or bound("PAGE_SIZE")
    scope = f"i.organization_id IN ({placeholders(org_ids)})"
    condition = f" AND ({where})" if where else ""

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                f"{LIST_COLUMNS} WHERE {scope} AND i.status <> %s{condition} ORDER BY {order} LIMIT %s OFFSET %s",
                [*org_ids, Item.Status.WITHDRAWN, *params, size, (page - 1) * size],
            )
            rows = cursor.fetchall()
            cursor.execute(
                f"SELECT i.status, COUNT(*) FROM {T['item']} i {count_joins} WHERE {scope}{condition} "
                "GROUP BY i.status",
                [*org_ids, *params],
            )
            counts = dict(cursor.fetchall())
        total = sum(n for status, n in counts.items() if status != Item.Status.WITHDRAWN)
        return "".join(
            [
                "<p>",
                " ".join(f"{html.escape(status)} {n}" for status, n in sorted(counts.items())),
                f" {total}</p><table>",
                *(table_row(row[1:]) for row in rows),
                "</table>",
            ]
        ), [row[1] for row in rows]

    return floor


def table_row(values):
    return (
        "<tr>"
        + "".join(f"<td>{html.escape(str(v if v is not None else '—'))}</td>" for v in values)
        + "</tr>"
    )


def detail_floor(pk):
    """The item page's floor: the item with its issue and people, its newest progress updates
    (as many as the page shows, `UPDATES_SHOWN`) and how many there are, its evidence and
    extension requests."""
    shown = bound("UPDATES_SHOWN")

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT i.reference, iss.description, cat.name, o.name, i.measures, ld.full_name,
                           i.department, ow.full_name, i.deadline, i.status, i.progress, i.closure_criteria
                    FROM {T["item"]} i JOIN {T["issue"]} iss ON iss.id = i.issue_id
                    JOIN {T["category"]} cat ON cat.id = iss.category_id
                    JOIN {T["org"]} o ON o.id = i.organization_id
                    LEFT JOIN {T["user"]} ld ON ld.id = i.leader_id
                    LEFT JOIN {T["user"]} ow ON ow.id = i.owner_id WHERE i.id = %s""",
                [pk],
            )
            item = cursor.fetchone()
            cursor.execute(
                f"""SELECT u.created_at, a.full_name, u.percent, u.text FROM {T["update"]} u
                    JOIN {T["user"]} a ON a.id = u.author_id WHERE u.item_id = %s
                    ORDER BY u.created_at DESC, u.id DESC LIMIT %s""",
                [pk, shown],
            )
            updates = cursor.fetchall()
            cursor.execute(f"SELECT COUNT(*) FROM {T['update']} WHERE item_id = %s", [pk])
            count = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT original_name, size FROM {T['evidence']} WHERE item_id = %s ORDER BY uploaded_at, id",
                [pk],
            )
            evidence = cursor.fetchall()
            cursor.execute(
                f"""SELECT proposed_deadline, reason, status FROM {T["extension"]} WHERE item_id = %s
                    ORDER BY created_at DESC, id DESC""",
                [pk],
            )
            extensions = cursor.fetchall()
        return "".join(
            [
                "<dl>",
                *(f"<dd>{html.escape(str(value))}</dd>" for value in item),
                f"</dl><p>{count}</p><ul>",
                *(table_row(row) for row in updates),
                *(table_row(row) for row in evidence),
                *(table_row(row) for row in extensions),
                "</ul>",
            ]
        ), None

    return floor


def history_floor(pk):
    """The history page's floor: the item's heading, its newest history rows (a page,
    `HISTORY_PAGE_SIZE`, and the one before, to diff against) with who did it, the progress texts
    of the same actions, the count; each entry shows the fields that changed."""
    shown = bound("HISTORY_PAGE_SIZE")

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT reference FROM {T['item']} WHERE id = %s", [pk])
            reference = cursor.fetchone()[0]
            cursor.execute(
                f"""SELECT h.history_date, u.full_name, h.history_action, h.history_change_reason,
                           h.history_type, h.history_action_id, h.status, h.progress, h.deadline,
                           h.owner_id, h.measures
                    FROM {T["hitem"]} h LEFT JOIN {T["user"]} u ON u.id = h.history_user_id
                    WHERE h.id = %s ORDER BY h.history_date DESC, h.history_id DESC LIMIT %s""",
                [pk, shown + 1],
            )
            rows = cursor.fetchall()
            cursor.execute(
                f"""SELECT history_action_id, text, percent FROM {T["hupdate"]} WHERE item_id = %s
                    ORDER BY history_date DESC, history_id DESC LIMIT %s""",
                [pk, shown],
            )
            texts = {action: (text, percent) for action, text, percent in cursor.fetchall()}
            cursor.execute(f"SELECT COUNT(*) FROM {T['hitem']} WHERE id = %s", [pk])
            count = cursor.fetchone()[0]
        parts = [f"<h1>{html.escape(reference)}</h1><p>{count}</p><ol>"]
        for row, older in zip(rows[:shown], [*rows[1:], None], strict=False):
            changed = [
                str(new)
                for new, old in zip(row[6:], older[6:] if older else row[6:], strict=True)
                if new != old
            ]
            text = texts.get(row[5], ("", ""))
            parts.append(table_row((*row[:5], *changed, *text)))
        parts.append("</ol>")
        return "".join(parts), None

    return floor


def owner_floor(owner_id):
    """The owner's page's floor: their open items, overdue first then by due date, one page
    (`MINE_PAGE_SIZE`), and how many there are."""
    shown = bound("MINE_PAGE_SIZE")
    today = timezone.localdate()
    finished = list(Item.FINISHED_STATUSES)
    deadline_statuses = list(Item.DEADLINE_STATUSES)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT i.id, i.reference, iss.description, cat.name, o.short_name, i.measures,
                           i.deadline, i.next_review_on, i.status, i.progress
                    FROM {T["item"]} i JOIN {T["issue"]} iss ON iss.id = i.issue_id
                    JOIN {T["category"]} cat ON cat.id = iss.category_id
                    JOIN {T["org"]} o ON o.id = i.organization_id
                    WHERE i.owner_id = %s AND i.status NOT IN ({placeholders(finished)})
                    ORDER BY CASE WHEN (i.status IN ({placeholders(deadline_statuses)}) AND i.deadline < %s)
                                    OR (i.status = %s AND i.next_review_on < %s) THEN 0 ELSE 1 END,
                             COALESCE(i.deadline, i.next_review_on), i.id
                    LIMIT %s""",
                [owner_id, *finished, *deadline_statuses, today, Item.Status.LONG_TERM, today, shown],
            )
            rows = cursor.fetchall()
            cursor.execute(
                f"SELECT COUNT(*) FROM {T['item']} WHERE owner_id = %s AND status NOT IN ({placeholders(finished)})",
                [owner_id, *finished],
            )
            count = cursor.fetchone()[0]
        return f"<p>{count}</p>" + "".join(table_row(row[1:]) for row in rows), [row[1] for row in rows]

    return floor


def dashboard_floor(org_ids):
    """The dashboard's floor: the raw aggregate SQL. One grouped scan of the items (by
    organization, category and status, with the overdue and due-this-week counts) from which the
    totals and both breakdowns follow, the opened and closed items per month, and the
    participation per organization."""
    org_ids = sorted(org_ids)
    today = timezone.localdate()
    sunday = today + datetime.timedelta(days=6 - today.weekday())
    first_month = (today.replace(day=1) - datetime.timedelta(days=31 * 11)).replace(day=1)
    deadline_statuses = list(Item.DEADLINE_STATUSES)
    in_deadline = f"i.status IN ({placeholders(deadline_statuses)})"
    month = "date_trunc('month', {})" if connection.vendor == "postgresql" else "strftime('%%Y-%%m', {})"
    scope = f"organization_id IN ({placeholders(org_ids)})"

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT i.organization_id, iss.category_id, i.status, COUNT(*),
                      SUM(CASE WHEN ({in_deadline} AND i.deadline < %s)
                                 OR (i.status = %s AND i.next_review_on < %s) THEN 1 ELSE 0 END),
                      SUM(CASE WHEN ({in_deadline} AND i.deadline BETWEEN %s AND %s)
                                 OR (i.status = %s AND i.next_review_on BETWEEN %s AND %s) THEN 1 ELSE 0 END)
                    FROM {T["item"]} i JOIN {T["issue"]} iss ON iss.id = i.issue_id
                    WHERE i.{scope} GROUP BY i.organization_id, iss.category_id, i.status""",
                [
                    *deadline_statuses,
                    today,
                    Item.Status.LONG_TERM,
                    today,
                    *deadline_statuses,
                    today,
                    sunday,
                    Item.Status.LONG_TERM,
                    today,
                    sunday,
                    *org_ids,
                ],
            )
            groups = cursor.fetchall()
            cursor.execute(
                f"""SELECT {month.format("opened_on")}, COUNT(*) FROM {T["item"]}
                    WHERE {scope} AND opened_on >= %s GROUP BY 1""",
                [*org_ids, first_month],
            )
            opened = cursor.fetchall()
            cursor.execute(
                f"""SELECT {month.format("verified_at")}, COUNT(*) FROM {T["item"]}
                    WHERE {scope} AND status = %s AND verified_at >= %s GROUP BY 1""",
                [*org_ids, Item.Status.CLOSED, first_month],
            )
            closed = cursor.fetchall()
            cursor.execute(
                f"""SELECT m.organization_id, COUNT(DISTINCT m.id), COUNT(*),
                           SUM(CASE WHEN a.present THEN 1 ELSE 0 END),
                           SUM(CASE WHEN NOT a.present AND a.makeup_on IS NOT NULL THEN 1 ELSE 0 END)
                    FROM {T["attendance"]} a JOIN {T["meeting"]} m ON m.id = a.meeting_id
                    WHERE m.{scope} AND m.held_on BETWEEN %s AND %s GROUP BY m.organization_id""",
                [*org_ids, today.replace(month=1, day=1), today],
            )
            participation = cursor.fetchall()
        by_status, by_org, by_category = {}, {}, {}
        overdue = due = 0
        for org, category, status, n, late, soon in groups:
            by_status[status] = by_status.get(status, 0) + n
            overdue += late or 0
            due += soon or 0
            if status != Item.Status.WITHDRAWN:
                by_org[org] = by_org.get(org, 0) + n
                by_category[category] = by_category.get(category, 0) + n
        parts = [f"<p>{overdue} {due}</p>"]
        for mapping in (by_status, by_org, by_category):
            parts.append(
                "<table>" + "".join(table_row(pair) for pair in sorted(mapping.items())) + "</table>"
            )
        parts += [table_row(row) for row in (*opened, *closed, *participation)]
        return "".join(parts), None

    return floor


def build_cases(secretary, owner, busy_item):
    org_ids = Scope.for_user(secretary).visible_org_ids
    items = reverse("ledger:item_list")
    admin = reverse("admin:ledger_item_changelist")
    safety = Category.objects.get(name=KEYWORD)
    branch = Organization.objects.get(name=SUBTREE)
    subtree = sorted(subtree_ids([branch.pk], children_map()))
    pages = max(1, -(-Item.objects.exclude(status=Item.Status.WITHDRAWN).count() // bound("PAGE_SIZE")))
    deep = 1000 if pages >= 1000 else max(1, pages // 2)
    like = f"%{KEYWORD}%"
    keyword = (
        "i.reference LIKE %s OR iss.description LIKE %s OR i.measures LIKE %s OR i.department LIKE %s"
        " OR ow.full_name LIKE %s OR ld.full_name LIKE %s"
    )
    people = (
        f"JOIN {T['issue']} iss ON iss.id = i.issue_id LEFT JOIN {T['user']} ld ON ld.id = i.leader_id "
        f"LEFT JOIN {T['user']} ow ON ow.id = i.owner_id"
    )
    issue = f"JOIN {T['issue']} iss ON iss.id = i.issue_id"
    status = Item.Status.IN_PROGRESS
    return [
        Case("list: first page", "secretary", items, list_floor(org_ids), 3, admin),
        Case(
            f"list: page {deep}",
            "secretary",
            f"{items}?page={deep}",
            list_floor(org_ids, page=deep),
            3,
            f"{admin}?p={deep}",
        ),
        Case(
            "list: category",
            "secretary",
            f"{items}?category={safety.pk}",
            list_floor(org_ids, "iss.category_id = %s", [safety.pk], count_joins=issue),
            3,
            f"{admin}?issue__category__id__exact={safety.pk}",
        ),
        Case(
            "list: status",
            "secretary",
            f"{items}?status={status}",
            list_floor(org_ids, "i.status = %s", [status]),
            3,
            f"{admin}?status__exact={status}",
        ),
        Case(
            "list: subtree",
            "secretary",
            f"{items}?organization={branch.pk}",
            list_floor(org_ids, f"i.organization_id IN ({placeholders(subtree)})", subtree),
            3,
            f"{admin}?organization__id__in={','.join(map(str, subtree))}",
        ),
        Case(
            "list: by deadline",
            "secretary",
            f"{items}?ordering=deadline",
            list_floor(org_ids, order=f"i.deadline, {ledger_order()}"),
            3,
            f"{admin}?o=4",
        ),
        Case(
            "list: keyword",
            "secretary",
            f"{items}?q={KEYWORD}",
            list_floor(org_ids, keyword, [like] * 6, count_joins=people),
            3,
            f"{admin}?q={KEYWORD}",
        ),
        Case(
            "item detail (1,000 revisions)",
            "secretary",
            reverse("ledger:item_detail", args=[busy_item.pk]),
            detail_floor(busy_item.pk),
            3,
        ),
        Case(
            "item history (1,000 revisions)",
            "secretary",
            reverse("ledger:item_history", args=[busy_item.pk]),
            history_floor(busy_item.pk),
            3,
        ),
        Case("owner's page (~500 open)", "owner", reverse("ledger:mine"), owner_floor(owner.pk), 3),
        Case("dashboard (company)", "secretary", reverse("dashboard"), dashboard_floor(org_ids), 2),
    ]


def api_cases(secretary):
    """The REST API's item list, 100 items a page, beside the web ledger of the same filter
    requested by the same person (in the admin columns), and the list's floor of 100 rows."""
    status = Item.Status.IN_PROGRESS
    floor = list_floor(Scope.for_user(secretary).visible_org_ids, "i.status = %s", [status], size=100)
    return [
        Case(
            "api: items, 100 a page",
            "secretary",
            f"{reverse('api:item-list')}?status={status}&page_size=100",
            lambda: (floor()[0], None),  # JSON: the rows are not looked for as HTML cells
            3,
            f"{reverse('ledger:item_list')}?status={status}",
            admin_target=2,  # twice the web page's rows
            beside="secretary",
        )
    ]


# ---------------------------------------------------------------------------------------------
# Measuring.


def get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}, not 200")
    return response


def timed(function):
    began = time.perf_counter()
    value = function()
    return time.perf_counter() - began, value


def measure(case, clients, runs):
    """Warm up once, then take turns (page, floor, admin) `runs` times; medians in ms."""
    client, admin = clients[case.client], clients[case.beside]
    page = get(client, case.url)
    floor_html, references = case.floor()
    if case.admin_url:
        get(admin, case.admin_url)
    # The log is bounded (9,000 queries): a full one, as the fixtures leave it, counts nothing.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        get(client, case.url)
    query_count = len(queries)  # now: the next requests empty the log
    page_times, floor_times, admin_times = [], [], []
    for _run in range(runs):
        page_times.append(timed(lambda: get(client, case.url))[0])
        floor_times.append(timed(lambda: case.floor()[0].encode())[0])
        if case.admin_url:
            admin_times.append(timed(lambda: get(admin, case.admin_url))[0])
    page_ms = statistics.median(page_times) * 1000
    floor_ms = statistics.median(floor_times) * 1000
    result = Result(
        name=case.name,
        url=case.url,
        page_ms=page_ms,
        floor_ms=floor_ms,
        floor_ratio=page_ms / floor_ms,
        floor_target=case.floor_target,
        queries=query_count,
        page_kb=len(page.content) / 1024,
        runs=[[round(t * 1000, 2) for t in times] for times in (page_times, floor_times, admin_times)],
    )
    if references is not None:
        content = page.content.decode()
        found = sum(1 for reference in references if f">{html.escape(reference)}<" in content)
        result.same_rows = f"{found}/{len(references)}"
    if case.admin_url:
        result.admin_url = case.admin_url
        result.admin_ms = statistics.median(admin_times) * 1000
        result.admin_ratio = page_ms / result.admin_ms
        result.admin_target = case.admin_target
    return result


def table(results, data):
    lines = [
        f"pages on {data['vendor']}: {data['items']:,} items, {data['history_rows']:,} history rows; "
        f"median ms; ratio (target)",
        f"{'page':<32} {'page ms':>9} {'floor ms':>9} {'×floor':>12} {'admin ms':>9} {'×admin':>12} "
        f"{'queries':>7} {'KB':>7} {'rows':>6}  ok",
    ]
    for r in results:
        admin_ms = f"{r.admin_ms:>9.1f}" if r.admin_ms is not None else f"{'':>9}"
        admin_ratio = f"{r.admin_ratio:.2f} (≤{r.admin_target:g})" if r.admin_ratio is not None else ""
        lines.append(
            f"{r.name:<32} {r.page_ms:>9.1f} {r.floor_ms:>9.1f} {f'{r.floor_ratio:.2f} (≤{r.floor_target:g})':>12} "
            f"{admin_ms} {admin_ratio:>12} {r.queries:>7} {r.page_kb:>7.0f} {r.same_rows:>6}  "
            f"{'yes' if r.met else 'NO'}"
        )
    met = sum(r.met for r in results)
    lines.append(f"{met} of {len(results)} pages meet their targets")
    lines.append(
        "rows: the floor's references found on the page (rows tied in the sort may differ); "
        "queries and KB: one request of the page"
    )
    return "\n".join(lines)


def save(path, results, data, runs, attach):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": timezone.now().isoformat(timespec="seconds"),
        "machine": {"node": platform.node(), "python": platform.python_version(), "cpus": _cpus()},
        "runs": runs,
        "data": data,
        "bounds": {
            name: bound(name)
            for name in ("PAGE_SIZE", "UPDATES_SHOWN", "HISTORY_PAGE_SIZE", "MINE_PAGE_SIZE")
        },
        "pages": [{**asdict(r), "met": r.met} for r in results],
        "other": {Path(name).stem: Path(name).read_text() for name in attach if Path(name).exists()},
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2))


def _cpus():
    import os

    return os.cpu_count()
