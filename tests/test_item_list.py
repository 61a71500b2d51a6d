"""The ledger list (`/ledger/`): filters, columns, sorting, pagination, counts, scope, queries."""

import datetime
import html as htmllib
import re

import pytest

from ledger import workflow
from ledger.filtersets import ItemFilterSet
from ledger.models import Issue, Item
from tests.factories import IssueFactory, MeetingFactory, make_item


@pytest.fixture
def items(world, today):
    issue = IssueFactory(organization=world.branch, description="主井提升机制动闸瓦磨损")
    late = make_item(world.committee, issue, owner=world.owner, leader=world.leader, measures="更换闸瓦")
    # Move the deadline into the past through the workflow's edit (deadlines are not checked).
    late = workflow.edit_item(
        world.committee, late, expected_version=late.version, deadline=today - datetime.timedelta(days=2)
    )
    soon = make_item(
        world.committee,
        IssueFactory(organization=world.branch),
        owner=world.owner,
        deadline=today + datetime.timedelta(days=3),
    )
    later = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.member)
    workflow.start(world.member, later)
    hidden = make_item(world.outsider, IssueFactory(organization=world.sibling))
    return late, soon, later, hidden


def test_it_lists_the_ledger_columns(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    response = client.get("/ledger/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (late.reference, "主井提升机制动闸瓦磨损", "安全", "更换闸瓦", "赵志刚", "机运工区", "王强"):
        assert text in html
    assert hidden.reference not in html
    assert 'class="text-nowrap deadline-overdue"' in html
    assert 'class="text-nowrap deadline-soon"' in html
    assert response.context["total"] == 3
    counts = {value: count for value, _label, count, *_shown in response.context["status_counts"]}
    assert counts["open"] == 2 and counts["in_progress"] == 1


def test_it_filters_through_the_filterset(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    response = client.get("/ledger/", {"overdue": "true"})
    assert [item.pk for item in response.context["page"]] == [late.pk]
    response = client.get("/ledger/", {"q": "闸瓦"})
    assert [item.pk for item in response.context["page"]] == [late.pk]
    response = client.get("/ledger/", {"status": ["in_progress"]})
    assert [item.pk for item in response.context["page"]] == [later.pk]


def test_it_sorts_by_a_column(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    response = client.get("/ledger/", {"ordering": "deadline"})
    assert [item.pk for item in response.context["page"]] == [late.pk, soon.pk, later.pk]
    response = client.get("/ledger/", {"ordering": "-deadline"})
    assert [item.pk for item in response.context["page"]] == [later.pk, soon.pk, late.pk]
    html = response.content.decode()
    assert "?ordering=deadline" in html  # the header now links to the other direction


def test_it_paginates(client, world, items, monkeypatch):
    monkeypatch.setattr("ledger.views.items.PAGE_SIZE", 2)
    client.force_login(world.committee)
    first = client.get("/ledger/", {"ordering": "deadline"})
    assert len(first.context["page"]) == 2
    assert "page=2" in first.content.decode()
    second = client.get("/ledger/", {"ordering": "deadline", "page": 2})
    assert len(second.context["page"]) == 1


def test_it_scopes_to_the_user(client, world, items):
    client.force_login(world.outsider)
    response = client.get("/ledger/")
    assert response.context["total"] == 1


def test_it_refuses_post(client, world):
    client.force_login(world.committee)
    assert client.post("/ledger/").status_code == 405


def test_it_keeps_a_constant_query_count(client, world, items, django_assert_num_queries):
    client.force_login(world.committee)
    client.get("/ledger/")  # warm caches (content types, categories' translations)

    def count():
        # session, user, memberships, organization tree (scope); status breakdown (which also
        # gives the paginator its count); the user's saved views (managed on the page and in the
        # menu); filter form choices: organizations, categories, meetings (the person filters
        # list nobody until a name is typed); the page's item keys, then those items (the table
        # and the phone's cards show the same page, fetched once); the bulk change form:
        # organization tree (its person fields list nobody until a name is typed); the work
        # queue's count for the menu; the unread notifications (the bell); the organizations'
        # traffic-light settings (亮灯)
        with django_assert_num_queries(15):
            client.get("/ledger/")

    count()
    for _ in range(5):
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    count()


def _cards(html):
    """The items as the page shows them below Bootstrap's md breakpoint: one card each."""
    return [chunk.split("</li>", 1)[0] for chunk in html.split('<li class="card ledger-card')[1:]]


def test_below_md_each_item_is_a_card_linking_to_it(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    html = client.get("/ledger/", {"ordering": "deadline"}).content.decode()
    # The table is shown from md up, the cards below it.
    assert '<div class="table-responsive d-none d-md-block">' in html
    assert '<div class="d-md-none">' in html
    cards = _cards(html)
    assert len(cards) == 3
    first, second, third = cards
    assert f'href="/ledger/items/{late.pk}/"' in first and "stretched-link" in first
    for text in (late.reference, "更换闸瓦", "主井提升机制动闸瓦磨损", "安全", "王强", "待整改"):
        assert text in first, text
    assert '<span class="badge text-bg-danger overdue-days">逾期 2 天</span>' in first
    assert '<span class="deadline-overdue">整改时限：' in first
    assert "逾期" not in second and '<span class="deadline-soon">整改时限：' in second
    assert later.reference in third and "整改中" in third and 'aria-valuenow="0"' in third
    assert "?ordering=-deadline" in html.split('id="card-sort"')[1]  # sorting without the headers


def test_a_long_term_card_shows_its_next_review(client, world, items, today):
    late, soon, later, hidden = items
    workflow.post_progress(world.member, later, text="阶段完成", percent=100)
    workflow.submit(world.member, later)
    workflow.close(
        world.committee,
        later,
        note="转入长期坚持",
        outcome=Item.Outcome.STAGE_COMPLETED,
        next_review_on=today + datetime.timedelta(days=90),
    )
    client.force_login(world.committee)
    html = client.get("/ledger/", {"status": [Item.Status.LONG_TERM]}).content.decode()
    [card] = _cards(html)
    assert "下次评估：" in card and "整改时限" not in card
    assert "100%" in card


def test_bad_filter_values_are_errors_not_crashes(client, world, items):
    client.force_login(world.committee)
    for params in (
        {"deadline_min": "not-a-date"},
        {"ordering": "password"},
        {"page": "abc"},
        {"due_within": "-3"},
    ):
        response = client.get("/ledger/", params)
        assert response.status_code == 200, params


# ---------------------------------------------------------------------------------------------
# Following the links a person clicks: pages, sort headers, status badges, filter chips


def links(html, css_class):
    """(href, text) of the page's links with `css_class`, hrefs unescaped as a browser reads them."""
    pattern = r'<a [^>]*?href="([^"]*)"[^>]*class="[^"]*\b{0}\b[^"]*"[^>]*>(.*?)</a>|<a [^>]*?class="[^"]*\b{0}\b[^"]*"[^>]*href="([^"]*)"[^>]*>(.*?)</a>'
    found = []
    for match in re.finditer(pattern.format(re.escape(css_class)), html, re.S):
        href = match.group(1) if match.group(1) is not None else match.group(3)
        text = match.group(2) if match.group(2) is not None else match.group(4)
        found.append((htmllib.unescape(href), re.sub(r"<[^>]+>", "", text).strip()))
    return found


def follow(client, path, href):
    """GET the address a link with `href` leads to from `path` (a query string starts with ?)."""
    assert not href.startswith("??"), href
    return client.get(href if href.startswith("/") else path + href)


def test_next_page_keeps_the_filter_and_the_sort(client, world, items, monkeypatch):
    late, soon, later, hidden = items
    monkeypatch.setattr("ledger.views.items.PAGE_SIZE", 1)
    client.force_login(world.committee)
    first = client.get("/ledger/", {"owner": world.owner.pk, "ordering": "-deadline"})
    assert [item.pk for item in first.context["page"]] == [soon.pk]
    [(href, _text)] = [link for link in links(first.content.decode(), "page-link") if link[1] == "下一页"]
    second = follow(client, "/ledger/", href)
    assert [item.pk for item in second.context["page"]] == [late.pk]
    assert second.context["total"] == 2  # still only 王强's items
    [(back, _text)] = [link for link in links(second.content.decode(), "page-link") if link[1] == "上一页"]
    assert [item.pk for item in follow(client, "/ledger/", back).context["page"]] == [soon.pk]


def test_a_sort_header_keeps_the_filter_and_goes_back_to_page_one(client, world, items, monkeypatch):
    late, soon, later, hidden = items
    monkeypatch.setattr("ledger.views.items.PAGE_SIZE", 1)
    client.force_login(world.committee)
    response = client.get("/ledger/", {"owner": world.owner.pk, "page": 2})
    html = response.content.decode()
    headers = {text.rstrip(" ▲▼"): href for href, text in links(html, "link-light")}
    sorted_page = follow(client, "/ledger/", headers["整改时限"])
    assert sorted_page.context["total"] == 2
    assert sorted_page.context["page"].number == 1
    assert [item.pk for item in sorted_page.context["page"]] == [late.pk]
    # The phone's sort links do the same.
    phone = {text.rstrip(" ▲▼"): href for href, text in links(html, "link-secondary")}
    assert follow(client, "/ledger/", phone["整改时限"]).context["total"] == 2


def test_the_issue_and_meeting_lists_page_with_their_filters(client, world, monkeypatch):
    monkeypatch.setattr("ledger.views.issues.PAGE_SIZE", 1)
    monkeypatch.setattr("ledger.views.meetings.PAGE_SIZE", 1)
    for n in range(3):
        meeting = MeetingFactory(organization=world.branch, topic=f"第{n + 1}次组织生活会")
        IssueFactory(organization=world.branch, meeting=meeting, source=Issue.Source.SOLICITATION)
    IssueFactory(organization=world.branch, source=Issue.Source.INSPECTION)
    client.force_login(world.committee)
    first = client.get("/ledger/issues/", {"source": Issue.Source.SOLICITATION})
    assert first.context["page"].paginator.count == 3
    [(href, _text)] = [link for link in links(first.content.decode(), "page-link") if link[1] == "下一页"]
    second = follow(client, "/ledger/issues/", href)
    assert second.context["page"].number == 2 and second.context["page"].paginator.count == 3
    meetings = client.get("/ledger/meetings/")
    [(href, _text)] = [link for link in links(meetings.content.decode(), "page-link") if link[1] == "下一页"]
    assert follow(client, "/ledger/meetings/", href).context["page"].number == 2


def test_the_keyword_finds_owners_leaders_and_departments(world, items, rf):
    late, soon, later, hidden = items
    other = make_item(world.committee, IssueFactory(organization=world.branch), department="调度室")
    request = rf.get("/ledger/")
    request.user = world.committee
    base = Item.objects.visible_to(world.committee)

    def found(q):
        return set(ItemFilterSet({"q": q}, queryset=base, request=request).qs.values_list("pk", flat=True))

    assert found("王强") == {late.pk, soon.pk}
    assert found("赵志刚") == {late.pk}
    assert found("杨帆") == {later.pk}
    assert found("调度室") == {other.pk}
    assert found("王强 闸瓦") == {late.pk}  # every word must match
    assert found("吴军") == set()  # the sibling's people are not in the committee's scope anyway


def test_the_list_search_finds_an_owners_items(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    response = client.get("/ledger/", {"q": "王强"})
    assert {item.pk for item in response.context["page"]} == {late.pk, soon.pk}
    assert response.context["total"] == 2


def test_withdrawn_items_are_left_out_unless_asked_for(client, world, items):
    late, soon, later, hidden = items
    workflow.withdraw(world.committee, soon, reason="与机运-001重复")
    client.force_login(world.committee)
    response = client.get("/ledger/")
    assert {item.pk for item in response.context["page"]} == {late.pk, later.pk}
    assert response.context["total"] == 2
    html = response.content.decode()
    assert soon.reference not in html.split('id="status-counts"')[1]
    # Its badge says how many there are and links to them, the other filters kept.
    badges = dict(links(html.split('id="status-counts"')[1].split("</ul>")[0], "badge"))
    withdrawn = {text: href for href, text in badges.items()}["已撤销 1"]
    shown = follow(client, "/ledger/", withdrawn)
    assert [item.pk for item in shown.context["page"]] == [soon.pk]
    assert shown.context["total"] == 1
    every = client.get("/ledger/", {"withdrawn": "on"})
    assert {item.pk for item in every.context["page"]} == {late.pk, soon.pk, later.pk}
    assert every.context["total"] == 3
    some = client.get("/ledger/", {"status": ["open", "withdrawn"]})
    assert {item.pk for item in some.context["page"]} == {late.pk, soon.pk}


def test_overdue_items_say_by_how_many_days(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    html = client.get("/ledger/", {"ordering": "deadline"}).content.decode()
    row = html.split(f'href="/ledger/items/{late.pk}/"')[1].split("</tr>")[0]
    assert "逾期 2 天" in row
    # The table row and the phone's card, each also in the tooltip of the item's light (亮灯).
    assert html.count("逾期 2 天") == 4
    assert "逾期" not in html.split(f'href="/ledger/items/{soon.pk}/"')[1].split("</tr>")[0]
    english = client.get("/ledger/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Overdue 2 days" in english


def test_status_badges_filter_by_their_status_and_keep_the_other_filters(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    html = client.get("/ledger/", {"owner": world.owner.pk}).content.decode()
    row = html.split(f'href="/ledger/items/{late.pk}/"')[1].split("</tr>")[0]
    [(href, text)] = links(row, "status-link")
    assert text == "待整改"
    shown = follow(client, "/ledger/", href)
    assert shown.context["total"] == 2
    assert shown.context["filterset"].form.cleaned_data["owner"] == world.owner
    counts = {text: href for href, text in links(html.split('id="status-counts"')[1], "badge")}
    in_progress = follow(client, "/ledger/", counts["整改中 0"])
    assert in_progress.context["total"] == 0  # 王强 has none in progress: the owner filter stayed
    assert follow(client, "/ledger/", "?status=in_progress").context["total"] == 1


def test_applied_filters_are_chips_that_each_remove_one_filter(client, world, items, today):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    params = {
        "owner": world.owner.pk,
        "status": ["open", "in_progress"],
        "overdue": "on",
        "deadline_after": (today - datetime.timedelta(days=30)).isoformat(),
        "ordering": "deadline",
    }
    response = client.get("/ledger/", params)
    html = response.content.decode()
    assert response.context["total"] == 1
    assert '<details class="card mb-3" id="filter-panel">' in html  # closed: the results stay in view
    chips = {text: href for href, text in links(html, "filter-chip")}
    assert set(chips) == {
        "责任人：王强 ×",
        "状态：待整改 ×",
        "状态：整改中 ×",
        "仅看逾期 ×",
        "整改时限：{} 起 ×".format(params["deadline_after"]),
    }
    without_overdue = follow(client, "/ledger/", chips["仅看逾期 ×"])
    assert without_overdue.context["total"] == 2
    assert without_overdue.request["QUERY_STRING"].count("status=") == 2
    assert "ordering=deadline" in without_overdue.request["QUERY_STRING"]
    without_open = follow(client, "/ledger/", chips["状态：待整改 ×"])
    assert without_open.context["total"] == 0  # 王强's in-progress items, overdue: none
    without_owner = follow(client, "/ledger/", chips["责任人：王强 ×"])
    assert without_owner.context["filterset"].form.cleaned_data["owner"] is None
    assert (
        follow(client, "/ledger/", chips["整改时限：{} 起 ×".format(params["deadline_after"])]).context[
            "total"
        ]
        == 1
    )


def test_the_filter_panel_opens_on_a_bad_filter_and_shows_all_for_empty_choices(client, world, items):
    client.force_login(world.committee)
    html = client.get("/ledger/").content.decode()
    assert '<details class="card mb-3" id="filter-panel">' in html
    assert 'id="filter-chips"' not in html
    form = html.split('id="filter-panel"')[1].split("</details>")[0]
    assert "---------" not in form
    assert form.count('<option value="" selected>全部</option>') == 8
    bad = client.get("/ledger/", {"due_within": "-3"}).content.decode()
    assert '<details class="card mb-3" id="filter-panel" open>' in bad
    issues = client.get("/ledger/issues/").content.decode()
    assert "---------" not in issues and '<option value="" selected>全部</option>' in issues


def test_the_issue_list_shows_its_filters_as_chips(client, world):
    IssueFactory(organization=world.branch, source=Issue.Source.SOLICITATION)
    IssueFactory(organization=world.branch, source=Issue.Source.INSPECTION)
    client.force_login(world.committee)
    response = client.get(
        "/ledger/issues/", {"source": Issue.Source.INSPECTION, "organization": world.branch.pk}
    )
    assert response.context["page"].paginator.count == 1
    chips = {text: href for href, text in links(response.content.decode(), "filter-chip")}
    assert set(chips) == {"问题来源：巡视巡察 ×", "组织（含下级）：机运党支部 ×"}
    wider = follow(client, "/ledger/issues/", chips["问题来源：巡视巡察 ×"])
    assert wider.context["page"].paginator.count == 2
