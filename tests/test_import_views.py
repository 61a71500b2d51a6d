"""The import pages: upload, preview (GET, changes nothing), confirm (POST, all rows or none)."""

import csv
import gc
import io
import os
import time

import pytest
from django.urls import reverse

from ledger.imports.rows import person_key
from ledger.models import Issue, Item
from ledger.views.sheets import SESSION_KEY
from tests.sheet_files import ledger_rows, upload, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english", "import_dir")


def uploaded(client, world, content=None, name="整改台账.xlsx", user=None):
    """Upload as the branch committee; returns the response (a redirect to the preview)."""
    client.force_login(user or world.committee)
    return client.post(
        reverse("ledger:import"),
        {"file": upload(content or xlsx_bytes(ledger_rows()), name), "organization": world.branch.pk},
    )


def token_of(response):
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def test_it_shows_the_upload_form_to_the_committee(client, world):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:import"))
    assert response.status_code == 200
    assert "机运党支部" in response.content.decode()
    assert "通修党支部" not in response.content.decode()  # only organizations the user manages


def test_upload_preview_and_confirm(client, world, import_dir):
    response = uploaded(client, world)
    assert response.status_code == 302
    token = token_of(response)
    assert response.url == reverse("ledger:import_preview", args=[token])
    assert len(list(import_dir.iterdir())) == 1

    preview = client.get(response.url)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "班前会安全讲评流于形式（1）" in page
    assert "2027-03-01" in page
    assert "Store all rows" in page
    assert not Item.objects.exists()  # the preview stores nothing

    confirmed = client.post(reverse("ledger:import_confirm", args=[token]))
    assert confirmed.status_code == 302
    assert confirmed.url == reverse("ledger:import")
    assert Item.objects.filter(organization=world.branch).count() == 2
    assert list(import_dir.iterdir()) == []
    assert token not in client.session[SESSION_KEY]
    message = client.get(confirmed.url).content.decode()
    assert "2 items created, 0 updated, 0 unchanged" in message


def test_the_preview_shows_per_cell_errors_and_offers_no_confirmation(client, world):
    rows = ledger_rows(count=1)
    rows[1][8] = "下月底"
    response = client.get(uploaded(client, world, xlsx_bytes(rows)).url)
    page = response.content.decode()
    assert "Date not understood; write it as 2026-11-30, 2026年11月底, 长期坚持 or 立行立改." in page
    assert "Store all rows" not in page
    token = token_of(uploaded(client, world, xlsx_bytes(rows)))
    refused = client.post(reverse("ledger:import_confirm", args=[token]))
    assert refused.status_code == 400
    assert not Item.objects.exists()


def test_columns_and_people_are_mapped_in_the_preview(client, world):
    rows = [["甲", "乙", "丙", "丁"], ["学习流于形式", "每周集中学习一次", "2027-01-15", "刘德胜"]]
    token = token_of(uploaded(client, world, xlsx_bytes(rows)))
    url = reverse("ledger:import_preview", args=[token])
    assert "No column holds" in client.get(url).content.decode()
    choices = {"col_0": "description", "col_1": "measures", "col_2": "deadline", "col_3": "owner"}
    page = client.get(url, choices).content.decode()
    assert "Unknown person “刘德胜”" in page
    choices[person_key("刘德胜")] = str(world.member.pk)
    page = client.get(url, choices).content.decode()
    assert "Store all rows" in page
    assert 'name="{}" value="{}"'.format(person_key("刘德胜"), world.member.pk) in page  # carried to confirm
    assert client.post(reverse("ledger:import_confirm", args=[token]), choices).status_code == 302
    assert Item.objects.get().owner == world.member


def test_refused_rows_are_listed_and_nothing_is_stored(client, world):
    rows = ledger_rows(count=2)
    rows[0].append("整改状态")
    rows[1].append("长期坚持")  # a by-deadline item cannot be in the long-term state
    rows[2].append("整改中")
    token = token_of(uploaded(client, world, xlsx_bytes(rows)))
    response = client.post(reverse("ledger:import_confirm", args=[token]))
    assert response.status_code == 400
    assert "Nothing was stored: these rows were refused." in response.content.decode()
    assert "Only a long-term item can be in the long-term state." in response.content.decode()
    assert not Item.objects.exists()
    assert not Issue.objects.exists()


def test_a_bad_file_is_refused_with_a_message(client, world, import_dir):
    response = uploaded(client, world, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="照片.xlsx")
    assert response.status_code == 200
    assert "This file is not a spreadsheet. Upload an .xlsx file or a .csv file." in response.content.decode()
    assert not import_dir.exists() or list(import_dir.iterdir()) == []


@pytest.mark.parametrize("name", ["import"])
def test_wrong_methods(client, world, name):
    client.force_login(world.committee)
    assert client.put(reverse("ledger:import")).status_code == 405
    token = token_of(uploaded(client, world))
    assert client.post(reverse("ledger:import_preview", args=[token])).status_code == 405
    assert client.get(reverse("ledger:import_confirm", args=[token])).status_code == 405


def test_an_outsider_cannot_see_or_confirm_someone_elses_upload(client, world):
    token = token_of(uploaded(client, world))
    client.force_login(world.outsider)  # a committee member elsewhere, with another session
    assert client.get(reverse("ledger:import_preview", args=[token])).status_code == 404
    assert client.post(reverse("ledger:import_confirm", args=[token])).status_code == 404
    assert not Item.objects.exists()


def test_an_organization_outside_ones_scope_cannot_be_chosen(client, world):
    client.force_login(world.committee)
    response = client.post(
        reverse("ledger:import"),
        {"file": upload(xlsx_bytes(ledger_rows())), "organization": world.sibling.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["organization"]


@pytest.mark.parametrize("persona", ["member", "leadership", "owner"])
def test_read_only_roles_may_not_import(client, world, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("ledger:import")).status_code == 403
    assert client.post(reverse("ledger:import"), {}).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("ledger:import"))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_preview_query_count(client, world, django_assert_num_queries):
    token = token_of(uploaded(client, world))
    url = reverse("ledger:import_preview", args=[token])
    # session, user, memberships, organization tree (scope), the organization (managed),
    # all organizations (import subtree, ancestors, names), people in reach, categories,
    # the user's saved views, the work queue's count and the unread notifications (the layout's
    # menu and bell) (11); the
    # confirmation's own path, rolled back (`commit(dry_run=True)`): savepoint, the tree, rows
    # imported before, savepoint, the issues' keys, issues and their history (with its chain
    # heads: read locked, written), lock the organization, last numbers, the items' keys, items
    # and their history (and heads), release, the
    # imported rows' keys and rows, the items imported before from the file (missing rows),
    # rollback, release (22); the organization's meetings (1)
    with django_assert_num_queries(34):
        assert client.get(url).status_code == 200


def test_uploads_never_confirmed_are_removed_after_a_day(client, world, import_dir):
    old_token = token_of(uploaded(client, world))
    (stale,) = import_dir.iterdir()
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    uploaded(client, world)
    assert not stale.exists()
    assert len(list(import_dir.iterdir())) == 1
    assert client.get(reverse("ledger:import_preview", args=[old_token])).status_code == 404


def test_a_long_preview_shows_the_rows_with_problems_and_the_first_others(client, world, monkeypatch):
    monkeypatch.setattr("ledger.imports.rows.PREVIEW_ROWS", 2)
    rows = ledger_rows(count=5)
    rows[5][8] = "下月底"
    page = client.get(uploaded(client, world, xlsx_bytes(rows)).url).content.decode()
    assert "（1）" in page and "（2）" in page and "（5）" in page
    assert "（3）" not in page and "（4）" not in page
    assert "3 of 5 rows are shown" in page


def test_a_csv_in_gb18030_goes_through_upload_preview_and_confirm(client, world):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(ledger_rows(count=3))
    content = buffer.getvalue().encode("gb18030")
    response = uploaded(client, world, content, name="整改台账.csv")
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "班前会安全讲评流于形式（3）" in page
    assert "Store all rows" in page
    client.post(reverse("ledger:import_confirm", args=[token_of(response)]))
    assert sorted(Item.objects.values_list("measures", flat=True)) == [
        f"组织全员重新学习作业规程（{number}）" for number in (1, 2, 3)
    ]


def test_a_refusal_found_while_storing_shows_the_preview_again(client, world, monkeypatch):
    """A row the workflow refuses only when storing it (a long-term state on a dated item):
    the preview comes back with the row's message, and nothing is stored."""
    rows = ledger_rows(count=2)
    rows[0].append("整改状态")
    rows[1].append("长期坚持")
    rows[2].append("整改中")
    response = uploaded(client, world, xlsx_bytes(rows))
    confirmed = client.post(reverse("ledger:import_confirm", args=[token_of(response)]))
    assert confirmed.status_code == 400
    page = confirmed.content.decode()
    assert "Nothing was stored: these rows were refused." in page
    assert "Only a long-term item can be in the long-term state." in page
    # Storing again would be refused again: the file or the mapping must change first.
    assert "Store all rows" not in page
    assert not Item.objects.exists()


def test_a_csv_preview_with_problems_closes_what_it_opened(client, world):
    """The preview stops at the headings (no column holds the measures) with the file's first
    reading unfinished (past the head rows): it is closed with the file, not left to the
    garbage collector."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([["问题描述", "备注"]] + [[f"问题（{n}）", "无"] for n in range(40)])
    response = uploaded(client, world, buffer.getvalue().encode("utf-8-sig"), name="整改台账.csv")
    preview = client.get(response.url)
    assert "No column holds “Measures”: map it by hand below." in preview.content.decode()
    confirmed = client.post(reverse("ledger:import_confirm", args=[token_of(response)]))
    assert confirmed.status_code == 400
    assert not Item.objects.exists()
    # The pages' contexts hold the previews: what they left open goes now, within the test.
    del preview, confirmed
    gc.collect()
