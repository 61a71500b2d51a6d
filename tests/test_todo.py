"""The work queue 待我处理 (`/ledger/todo/`), its count on the navbar, and where people land after
logging in."""

import datetime

import pytest
from django.utils import timezone

from ledger import queue, workflow
from ledger.models import Item
from ledger.workflow import Action
from tests.factories import IssueFactory, make_item

S = Item.Status


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def branch_item(world, organization=None, **fields):
    return make_item(world.committee, IssueFactory(organization=organization or world.branch), **fields)


def late(world, item, by=3, actor=None):
    actor = actor or world.committee
    return workflow.edit_item(actor, item, expected_version=item.version, deadline=days(-by))


def submitted(world, item, owner=None):
    owner = owner or item.owner
    workflow.post_progress(owner, item, text="全部完成", percent=100)
    return workflow.submit(owner, item)


@pytest.fixture
def ledger(world):
    """A branch ledger with something waiting for everybody."""
    items = {}
    items["submitted"] = submitted(world, branch_item(world, owner=world.owner, leader=world.leader))
    items["late"] = late(world, branch_item(world, owner=world.owner))
    items["soon"] = branch_item(world, owner=world.owner, deadline=days(5))
    items["later"] = branch_item(world, owner=world.owner, deadline=days(40))
    returned = submitted(world, branch_item(world, owner=world.owner))
    items["returned"] = workflow.return_item(world.committee, returned, reason="佐证材料不全")
    asking = branch_item(world, owner=world.owner, deadline=days(20))
    items["extension"] = workflow.request_extension(
        world.owner, asking, proposed_deadline=days(60), reason="配件到货延迟"
    )
    ongoing = submitted(world, branch_item(world, owner=world.member))
    items["ongoing"] = workflow.close(
        world.committee,
        ongoing,
        note="阶段性完成",
        outcome=Item.Outcome.STAGE_COMPLETED,
        next_review_on=days(30),
    )
    # The review date came: a committee decision recorded as an edit of the review date.
    items["ongoing"] = workflow.edit_item(
        world.committee, items["ongoing"], expected_version=items["ongoing"].version, next_review_on=days(0)
    )
    items["closed"] = workflow.close(
        world.committee, submitted(world, branch_item(world, owner=world.member)), note="同意销号"
    )
    items["sibling"] = late(
        world, make_item(world.outsider, IssueFactory(organization=world.sibling)), actor=world.outsider
    )
    return items


def fresh(user):
    """The user read again: a scope read before a test changed double review is stale."""
    return type(user).objects.get(pk=user.pk)


def keys(sections):
    return {entry.section.key: entry for entry in sections}


def pks(entry):
    return [row.item.pk for row in entry.rows]


def test_the_committee_sees_what_waits_for_verification_and_decisions(world, ledger):
    sections = keys(queue.work_queue(world.committee))
    assert pks(sections["verify"]) == [ledger["submitted"].pk]
    assert sections["verify"].rows[0].url == f"/ledger/items/{ledger['submitted'].pk}/#action-close"
    extension = ledger["extension"]
    assert [row.extension.pk for row in sections["extensions"].rows] == [extension.pk]
    assert (
        sections["extensions"].rows[0].url == f"/ledger/items/{extension.item_id}/#extension-{extension.pk}"
    )
    assert pks(sections["overdue"]) == [ledger["late"].pk]
    assert pks(sections["review_due"]) == [ledger["ongoing"].pk]
    assert sections["review_due"].rows[0].url.endswith("#action-edit")
    # The committee member owns nothing and leads nothing.
    assert sections["mine_overdue"].count == sections["leader_review"].count == 0
    # The sibling branch's overdue item is not theirs.
    assert ledger["sibling"].pk not in pks(sections["overdue"])


def test_the_owner_sees_their_items_by_urgency(world, ledger):
    sections = keys(queue.work_queue(world.owner))
    assert pks(sections["mine_overdue"]) == [ledger["late"].pk]
    assert pks(sections["mine_returned"]) == [ledger["returned"].pk]
    assert pks(sections["mine_soon"]) == [ledger["soon"].pk]
    # Rows lead to the owner's next form: starting an item not started, posting on a returned one.
    late_row = sections["mine_overdue"].rows[0]
    assert late_row.url == f"/ledger/items/{ledger['late'].pk}/#action-start"
    assert sections["mine_returned"].rows[0].url.endswith("#action-post_progress")
    # An owner sits on no committee: no committee sections at all.
    assert "verify" not in sections and "extensions" not in sections
    # What waits for others (submitted) or is not urgent (40 days) is not in the queue.
    listed = {pk for entry in sections.values() for pk in pks(entry)}
    assert ledger["submitted"].pk not in listed and ledger["later"].pk not in listed


def test_a_returned_item_leaves_the_returned_list_once_the_owner_posts_again(world, ledger):
    workflow.post_progress(world.owner, ledger["returned"], text="已补充签到表", percent=100)
    assert keys(queue.work_queue(world.owner))["mine_returned"].count == 0


def test_double_review_sends_submitted_items_to_the_leader_first(world, ledger):
    world.branch.double_review = True
    world.branch.save()
    group_item = submitted(world, branch_item(world, world.group, owner=world.member, leader=world.leader))
    committee = keys(queue.work_queue(fresh(world.committee)))
    assert committee["verify"].count == 0  # only submitted, not reviewed: not theirs to close yet
    leader = keys(queue.work_queue(fresh(world.leader)))
    assert set(pks(leader["leader_review"])) == {ledger["submitted"].pk, group_item.pk}
    assert leader["leader_review"].rows[0].url.endswith("#action-review")

    workflow.review(fresh(world.leader), group_item, note="同意")
    committee = keys(queue.work_queue(fresh(world.committee)))
    assert pks(committee["verify"]) == [group_item.pk]
    assert group_item.pk not in pks(keys(queue.work_queue(fresh(world.leader)))["leader_review"])


def test_nobody_verifies_their_own_item(world):
    own = submitted(world, branch_item(world, owner=world.committee), owner=world.committee)
    sections = keys(queue.work_queue(world.committee))
    assert own.pk not in pks(sections["verify"])
    assert keys(queue.work_queue(world.company_committee))["verify"].rows[0].item.pk == own.pk


def test_the_queue_offers_exactly_what_the_workflow_accepts(world, ledger):
    """Each section's database filter agrees with `workflow.refusal()` on every visible item,
    with and without double review, for everyone."""
    checks = {"verify": Action.CLOSE, "leader_review": Action.REVIEW}
    for double_review in (False, True):
        world.branch.double_review = double_review
        world.branch.save()
        for user in (world.committee, world.company_committee, world.leader, world.owner, world.outsider):
            user = fresh(user)
            sections = keys(queue.work_queue(user))
            for key, action in checks.items():
                expected = {
                    item.pk
                    for item in Item.objects.visible_to(user)
                    if workflow.refusal(user, item, action) is None
                }
                listed = set(pks(sections[key])) if key in sections else set()
                assert listed == expected, (user, key, double_review)
                if key in sections:
                    assert sections[key].count == len(listed)


def test_the_page_lists_the_sections_with_links(client, world, ledger):
    client.force_login(world.committee)
    response = client.get("/ledger/todo/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/ledger/items/{ledger["submitted"].pk}/#action-close"' in html
    extension = ledger["extension"]
    assert f'href="/ledger/items/{extension.item_id}/#extension-{extension.pk}"' in html
    assert "配件到货延迟" in html
    # The item page carries the anchor the row links to.
    detail = client.get(f"/ledger/items/{extension.item_id}/").content.decode()
    assert f'id="extension-{extension.pk}"' in detail


def test_the_page_says_when_nothing_waits(client, world):
    client.force_login(world.member)
    response = client.get("/ledger/todo/")
    assert response.status_code == 200
    assert response.context["empty"]
    assert 'id="queue-empty"' in response.content.decode()
    assert 'id="todo-count"' not in response.content.decode()


def test_the_page_refuses_post_and_anonymous_users(client, world):
    assert client.get("/ledger/todo/").status_code == 302
    client.force_login(world.committee)
    assert client.post("/ledger/todo/").status_code == 405


def test_an_outsider_sees_nothing_of_the_branch(client, world, ledger):
    client.force_login(world.outsider)
    sections = keys(client.get("/ledger/todo/").context["sections"])
    assert pks(sections["overdue"]) == [ledger["sibling"].pk]
    assert set(sections) == {"overdue"}


def test_a_section_shows_its_first_rows_and_counts_the_rest(world, ledger, monkeypatch):
    for _ in range(3):
        late(world, branch_item(world, owner=world.member))
    sections = keys(queue.work_queue(world.committee, rows=2))
    assert sections["overdue"].count == 4
    assert len(sections["overdue"].rows) == 2
    assert sections["overdue"].more == 2


def test_the_navbar_counts_each_waiting_item_once(client, world, ledger):
    # Committee: submitted, late, extension, long-term review; the late item is counted once.
    assert queue.waiting_count(world.committee) == 4
    # Owner: late, returned, soon.
    assert queue.waiting_count(world.owner) == 3
    client.force_login(world.owner)
    html = client.get("/ledger/mine/").content.decode()
    assert 'id="todo-count">3<' in html


def test_the_navbar_stops_counting_beyond_its_bound(client, world, ledger, monkeypatch):
    # Exact up to the bound, then one more says "more": a big queue is not counted on every page.
    assert queue.waiting_count(world.committee, limit=10) == 4
    assert queue.waiting_count(world.committee, limit=2) == 3
    assert queue.waiting_label(3, limit=2) == "2+"
    assert queue.waiting_label(2, limit=2) == 2
    monkeypatch.setattr(queue, "WAITING_SHOWN", 3)
    client.force_login(world.committee)
    html = client.get("/ledger/todo/").content.decode()
    assert 'id="todo-count">3+<' in html
    # The queue's own page still counts every section in full.
    assert sum(section.count for section in client.get("/ledger/todo/").context["sections"]) >= 4
    monkeypatch.setattr(queue, "WAITING_SHOWN", 4)
    assert 'id="todo-count">4<' in client.get("/ledger/todo/").content.decode()


def test_the_page_reads_in_constant_queries(client, world, ledger, django_assert_num_queries):
    world.branch.double_review = True
    world.branch.save()
    client.force_login(world.company_committee)

    def count():
        # session, user; memberships, organization tree (the scope); the sections' counts;
        # rows of each section with items (verify has none under double review): extensions,
        # long-term reviews, overdue; the navbar's count; saved views (menu); the unread
        # notifications (the bell)
        with django_assert_num_queries(11):
            response = client.get("/ledger/todo/")
        assert response.status_code == 200

    count()
    for _ in range(3):
        late(world, branch_item(world, owner=world.member))
        asking = branch_item(world, owner=world.member)
        workflow.request_extension(world.member, asking, proposed_deadline=days(90), reason="井下生产任务重")
    count()


def test_the_navbar_count_costs_one_query(world, ledger, django_assert_num_queries, rf):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = type(world.owner).objects.get(pk=world.owner.pk)
    queue.section_filters(request.user)  # the scope, read by every page's view already
    template = Template("{% load work_queue %}{% waiting_count as n %}{{ n }} {% waiting_count %}")
    with django_assert_num_queries(1):
        assert template.render(Context({"request": request})) == "3 3"


# ---------------------------------------------------------------------------------------------
# Where people land after logging in


def log_in(client, user, **extra):
    user.set_password("pw-for-the-test")
    user.save()
    return client.post(
        "/accounts/login/", {"username": user.username, "password": "pw-for-the-test", **extra}
    )


def test_an_owner_lands_on_their_own_page(client, world, ledger):
    response = log_in(client, world.owner)
    assert response.status_code == 302
    assert response["Location"] == "/ledger/mine/"
    # Logged in already, the login page sends them there too.
    assert client.get("/accounts/login/")["Location"] == "/ledger/mine/"


def test_an_explicit_next_wins(client, world, ledger):
    response = log_in(client, world.owner, next="/ledger/todo/")
    assert response["Location"] == "/ledger/todo/"
    client.logout()
    response = log_in(client, world.owner, next="https://evil.example/")
    assert response["Location"] == "/ledger/mine/"


@pytest.mark.parametrize("persona", ["committee", "leader", "leadership"])
def test_everybody_else_lands_on_the_dashboard(client, world, ledger, persona):
    user = getattr(world, persona)
    if persona == "leader":
        assert Item.objects.filter(leader=user).exists()
    response = log_in(client, user)
    assert response["Location"] == "/"


def test_a_committee_member_who_owns_items_lands_on_the_dashboard(client, world):
    branch_item(world, owner=world.committee)
    assert log_in(client, world.committee)["Location"] == "/"


def test_a_member_who_owns_nothing_lands_on_the_dashboard(client, world):
    assert log_in(client, world.member)["Location"] == "/"
