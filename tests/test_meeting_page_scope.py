"""What a meeting page shows a plain member: the meeting's issues (its record), and of their items
only those the member may open; an item that answers 404 elsewhere is not listed here either."""

from django.urls import reverse

from ledger import workflow
from ledger.models import Attendance
from tests.factories import IssueFactory, MeetingFactory, make_item


def test_a_plain_member_sees_only_the_items_they_may_open(client, world):
    meeting = MeetingFactory(organization=world.branch)
    issue = IssueFactory(organization=world.branch, meeting=meeting, description="班前会流于形式")
    # A group member attends the branch's meeting: it is on their list, its items mostly not.
    workflow.save_attendance(world.committee, Attendance(meeting=meeting, person=world.owner, present=True))
    mine = make_item(world.committee, issue, owner=world.owner, measures="本人负责的整改措施")
    other = make_item(world.committee, issue, owner=world.member, measures="他人负责的整改措施")
    client.force_login(world.owner)
    assert client.get(reverse("ledger:item_detail", args=[other.pk])).status_code == 404
    page = client.get(reverse("ledger:meeting_detail", args=[meeting.pk])).content.decode()
    assert "班前会流于形式" in page
    assert mine.reference in page
    assert other.reference not in page
    assert "他人负责的整改措施" not in page


def test_the_committee_sees_every_item_of_the_meeting(client, world):
    meeting = MeetingFactory(organization=world.branch)
    issue = IssueFactory(organization=world.branch, meeting=meeting)
    first = make_item(world.committee, issue, owner=world.owner)
    second = make_item(world.committee, issue, owner=world.member)
    client.force_login(world.committee)
    page = client.get(reverse("ledger:meeting_detail", args=[meeting.pk])).content.decode()
    assert first.reference in page and second.reference in page
