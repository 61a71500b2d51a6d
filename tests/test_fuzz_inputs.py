"""Fuzzed text (any Unicode: RTL marks, zero-width, NUL bytes, 10,000 characters) in the saved
view's name, the people search, the issue, meeting and item forms, the owner's progress post and
a cell of the spreadsheet import: a validation message (a 400 for a NUL byte in a form) or stored
as normalised, never a 500."""

import csv
import datetime
import io
import itertools

from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import Issue, Item, Meeting, SavedView
from tests.factories import IssueFactory, category, make_item
from tests.pages import issue_rows_data
from tests.sheet_files import HEADINGS, ledger_rows, upload

ODD = st.sampled_from(["\u200f", "\u202e", "\u200b", "\ufeff", "\x00", "名", "𠀀", " ", "\n"])
TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(ODD, max_size=40).map("".join),
    st.sampled_from(["x" * 10_000, "名\x00称", "\u202e台账"]),
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(name=TEXT)
def test_a_saved_views_name(client, world, name):
    client.force_login(world.committee)
    response = client.post(reverse("ledger:save_view"), {"name": name, "query": "status=open"})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert "\x00" in name
    expected = " ".join(name.split())[:80]
    if response.status_code == 302 and expected:
        assert SavedView.objects.filter(user=world.committee, name=expected).exists()


@FUZZ
@given(text=TEXT)
def test_the_people_search(client, world, text):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:people_search"), {"q": text, "role": "owner"})
    assert response.status_code == (400 if "\x00" in text else 200)


# The issue, meeting and item forms, and a cell of the spreadsheet import --------------------

FIELD_FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SERIAL = itertools.count(1)


def stored_or_refused(response, form_errors, value, stored, max_length=None):
    """A form post answers a redirect with the text stored exactly as Django's fields keep it
    (stripped), or the form again with a message (too long, or empty where required), or a 400
    for a NUL byte; never a server error."""
    if "\x00" in value:  # refused before any form (`core.security.RefuseNulBytesMiddleware`)
        assert response.status_code == 400
        assert "NUL" in response.content.decode()
        return
    expected = value.strip()
    if response.status_code == 302:
        assert stored() == expected
        return
    assert response.status_code in (200, 400), response.status_code
    assert form_errors(response.context)
    too_long = max_length is not None and len(expected) > max_length
    assert too_long or not expected


@FIELD_FUZZ
@given(text=TEXT, field=st.sampled_from(["description", "raised_by_name"]))
def test_the_issue_form(client, world, text, field):
    client.force_login(world.committee)
    description = f"巡察问题（{next(SERIAL)}）"
    row = {"category": category().pk, "source": Issue.Source.INSPECTION, "description": description}
    row[field] = text
    data = {
        "organization": world.branch.pk,
        "raised_on": timezone.localdate().isoformat(),
        **issue_rows_data([row]),
    }
    response = client.post(reverse("ledger:issue_create"), data)
    stored_or_refused(
        response,
        lambda context: any(form.errors for form in context["formset"].forms),
        text,
        lambda: getattr(Issue.objects.order_by("-pk").first(), field),
        max_length=Issue._meta.get_field(field).max_length,
    )


@FIELD_FUZZ
@given(text=TEXT, field=st.sampled_from(["topic", "place", "notes"]))
def test_the_meeting_form(client, world, text, field):
    client.force_login(world.committee)
    data = {
        "organization": world.branch.pk,
        "meeting_type": Meeting.Type.ORGANIZATION_LIFE,
        "topic": f"专题组织生活会（{next(SERIAL)}）",
        "held_on": timezone.localdate().isoformat(),
        "place": "机运工区会议室",
        "notes": "",
        **issue_rows_data([]),
    }
    data[field] = text
    response = client.post(reverse("ledger:meeting_create"), data)
    stored_or_refused(
        response,
        lambda context: context["form"].errors,
        text,
        lambda: getattr(Meeting.objects.order_by("-pk").first(), field),
        max_length=Meeting._meta.get_field(field).max_length,
    )


@FIELD_FUZZ
@given(text=TEXT, field=st.sampled_from(["measures", "department", "closure_criteria"]))
def test_the_item_form(client, world, text, field):
    issue = IssueFactory(organization=world.branch, source=Issue.Source.INSPECTION)
    client.force_login(world.committee)
    data = {
        "issue": issue.pk,
        "measures": "逐条对照巡察反馈整改",
        "leader": world.leader.pk,
        "department": "党支部",
        "owner": world.owner.pk,
        "kind": "by_deadline",
        "deadline": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    data[field] = text
    response = client.post(reverse("ledger:create_issue_item", args=[issue.pk]), data)
    stored_or_refused(
        response,
        lambda context: context["item_form"].errors,
        text,
        lambda: getattr(Item.objects.get(issue=issue), field),
        max_length=Item._meta.get_field(field).max_length,
    )


IMPORT_FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CELLS = {"measures": HEADINGS.index("整改措施"), "department": HEADINGS.index("责任部门")}


@IMPORT_FUZZ
@given(text=TEXT, field=st.sampled_from(sorted(CELLS)))
def test_a_cell_of_the_spreadsheet_import(client, world, import_dir, text, field):
    """A CSV cell (a workbook cannot hold a NUL byte or most control characters) through
    upload, preview and confirm: stored exactly (stripped), or a message at one of the steps."""
    rows = ledger_rows(count=1)
    rows[1][HEADINGS.index("问题描述")] = f"班前会安全讲评流于形式（{next(SERIAL)}）"
    rows[1][CELLS[field]] = text
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    client.force_login(world.committee)
    uploaded = client.post(
        reverse("ledger:import"),
        {"file": upload(buffer.getvalue().encode("utf-8"), "整改台账.csv"), "organization": world.branch.pk},
    )
    if uploaded.status_code != 302:  # the form again, with the file's refusal
        assert uploaded.status_code == 200
        assert "\x00" in text  # a NUL byte: a binary file, not a CSV
        assert uploaded.context["form"].errors["file"]
        return
    preview = client.get(uploaded.url)
    assert preview.status_code in (200, 400)
    token = uploaded.url.rstrip("/").rsplit("/", 1)[-1]
    confirmed = client.post(reverse("ledger:import_confirm", args=[token]))
    expected = text.strip()
    if confirmed.status_code == 302:
        stored = Item.objects.filter(issue__description=rows[1][HEADINGS.index("问题描述")]).get()
        assert getattr(stored, field) == expected
        return
    assert confirmed.status_code == 400
    assert not Item.objects.filter(issue__description=rows[1][HEADINGS.index("问题描述")]).exists()
    max_length = Item._meta.get_field(field).max_length
    assert not expected or (max_length is not None and len(expected) > max_length), (
        confirmed.content.decode()[:2000]
    )


@FIELD_FUZZ
@given(text=TEXT)
def test_the_owners_progress_post(client, world, text):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    client.force_login(world.owner)
    response = client.post(
        reverse("ledger:post_progress", args=[item.pk]),
        {"text": text, "percent": 40, "version": item.version},
    )
    if "\x00" in text:
        assert response.status_code == 400
        assert not item.updates.exists()
        return
    if response.status_code == 302:
        assert item.updates.get().text == text.strip()
        return
    assert response.status_code == 400
    assert not text.strip()  # the only refusal: nothing was said
    assert not item.updates.exists()
