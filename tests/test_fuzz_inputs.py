"""Fuzzed text (any Unicode: RTL marks, zero-width, NUL bytes, 10,000 characters) in the saved
view's name, the people search, the issue, meeting and item forms: a validation message (a 400
for a NUL byte) or stored as normalised, never a 500."""

import datetime
import itertools

from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import Issue, Item, Meeting, SavedView
from tests.factories import IssueFactory, category
from tests.pages import issue_rows_data

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
