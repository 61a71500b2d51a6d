"""The pages benchmark runs on a tiny demo ledger, prints its table and saves it as JSON.

No timing is asserted (timings are noise): only that every page was requested, its floor run
and the figures written."""

import io
import json
import re

from django.core.management import call_command

from core.models import User
from ledger.management.commands.bench_pages import BENCH_OWNER
from ledger.models import Item

PAGES = [
    "list: first page",
    "list: page N",  # a deep page: the middle one of a small ledger
    "list: category",
    "list: status",
    "list: subtree",
    "list: by deadline",
    "list: keyword",
    "item detail (1,000 revisions)",
    "item history (1,000 revisions)",
    "owner's page (~500 open)",
    "dashboard (company)",
    "api: items, 100 a page",  # beside the web ledger of the same filter
]


def names(found):
    return [name if not name.startswith("list: page ") else "list: page N" for name in found]


def run(tmp_path, **options):
    out = io.StringIO()
    options = {"items": 120, "runs": 1, "revisions": 6, "owner_items": 4, **options}
    call_command("bench_pages", json_path=str(tmp_path / "results.json"), stdout=out, **options)
    return out.getvalue()


def test_it_prints_one_row_per_page_and_saves_them(db, tmp_path):
    attached = tmp_path / "import.txt"
    attached.write_text("import 10 rows: 0.1 s")
    output = run(tmp_path, attach=[str(attached)])

    lines = output.splitlines()
    header = next(n for n, line in enumerate(lines) if line.startswith("page "))
    assert lines[header].split()[:5] == ["page", "page", "ms", "floor", "ms"]
    rows = lines[header + 1 : header + 1 + len(PAGES)]
    assert names(row[:32].strip() for row in rows) == PAGES
    assert "pages meet their targets" in lines[header + 1 + len(PAGES)]

    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["data"]["vendor"] and saved["data"]["items"] >= 120
    assert saved["other"] == {"import": "import 10 rows: 0.1 s"}
    pages = dict(zip(PAGES, saved["pages"], strict=True))
    assert names(page["name"] for page in saved["pages"]) == PAGES
    for page in pages.values():
        assert page["page_ms"] > 0 and page["floor_ms"] > 0 and page["queries"] > 0
        assert page["floor_ratio"] == page["page_ms"] / page["floor_ms"]
    for name in PAGES[:7]:  # the list beside the admin's changelist of the same rows
        assert pages[name]["admin_ms"] > 0 and pages[name]["admin_url"].startswith("/admin/ledger/item/")
    assert re.search(r"\?page=\d+$", pages["list: page N"]["url"])
    api = pages["api: items, 100 a page"]
    assert api["url"].startswith("/api/v1/items/?status=in_progress&page_size=100")
    assert api["admin_url"] == "/ledger/?status=in_progress" and api["admin_ms"] > 0
    # The floor's rows are the page's rows: the same references are on the page.
    first = pages["list: first page"]["same_rows"].split("/")
    assert first[0] == first[1] and int(first[1]) > 0


def test_its_data_is_made_once(db, tmp_path):
    run(tmp_path, runs=0)
    owner = User.objects.get(username=BENCH_OWNER)
    owned = Item.objects.filter(owner=owner)
    assert owned.exclude(status__in=Item.FINISHED_STATUSES).count() == 4
    busy = owned.order_by("pk").first()
    assert Item.history.filter(id=busy.pk).count() == 6
    assert busy.updates.count() == 5  # the revisions are progress posts, through the workflow
    items = Item.objects.count()

    run(tmp_path, runs=0)
    assert Item.objects.count() == items
    assert Item.history.filter(id=busy.pk).count() == 6


def test_the_health_check_answers_without_a_login_or_a_query(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain"
    assert client.post("/healthz").status_code == 405
