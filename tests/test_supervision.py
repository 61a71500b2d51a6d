"""Supervision (issue 13): urging and supervision notices with the owner's reply, the notice PDF
(督办单), warning talks, accountability records, re-checks (回头看) with relapses, and the
feedback (反馈) to whoever raised an issue. Workflow units, the views per role, the PDFs read
back, the summary's figures."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ledger import supervision, workflow
from ledger.models import Accountability, Item, Notification, Recheck, Urging, WarningTalk
from tests import pdfs
from tests.factories import IssueFactory, MembershipFactory, UserFactory, make_item


@pytest.fixture(autouse=True)
def strict_glyphs(settings):
    settings.LEDGER_PDF_STRICT_GLYPHS = True


def an_item(world, **fields):
    issue = fields.pop("issue", None) or IssueFactory(
        organization=world.branch, description="主井提升机制动闸瓦磨损超限"
    )
    return make_item(world.committee, issue, owner=world.owner, leader=world.leader, **fields)


def closed(world, item, note="验收合格"):
    workflow.post_progress(world.owner, item, text="已完成", percent=100)
    item = workflow.submit(world.owner, Item.objects.get(pk=item.pk))
    return workflow.close(world.committee, item, note=note)


def told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def in_days(days, today=None):
    return (today or timezone.localdate()) + datetime.timedelta(days=days)


# Urging and supervision notices ---------------------------------------------------------------


def test_urging_tells_the_owner_and_the_leader_and_is_on_record(world):
    item = an_item(world)
    urging = workflow.urge(world.committee, item, message="请说明滞后原因", reply_by=in_days(5))
    assert urging.level == Urging.Level.URGING
    assert urging.organization == world.branch  # the committee's own organization issues it
    assert told(Notification.Kind.URGED) == ["leader", "owner"]
    note = Notification.objects.get(recipient=world.owner)
    assert note.params == {"reply_by": in_days(5).isoformat()}
    assert note.message == "请说明滞后原因"
    row = urging.history.get()
    assert (row.history_user, row.history_action, row.history_change_reason) == (
        world.committee,
        "urge",
        "请说明滞后原因",
    )


def test_a_company_committee_issues_a_notice_in_the_company_s_name(world):
    item = an_item(world)
    notice = workflow.urge(
        world.company_committee, item, message="限期整改", reply_by=in_days(3), level=Urging.Level.NOTICE
    )
    assert notice.organization == world.company
    assert told(Notification.Kind.SUPERVISION_NOTICE) == ["leader", "owner"]
    assert notice.history.get().history_action == "issue_notice"


def test_urging_is_refused_to_others_and_on_finished_items(world):
    item = an_item(world)
    for person in (world.member, world.owner, world.leadership):
        with pytest.raises(workflow.NotAllowed):
            workflow.urge(person, item, message="催", reply_by=in_days(1))
    with pytest.raises(ValidationError) as refused:
        workflow.urge(world.committee, item, message=" ", reply_by=in_days(-1))
    assert set(refused.value.error_dict) == {"message"}
    with pytest.raises(ValidationError) as refused:
        workflow.urge(world.committee, item, message="催", reply_by=in_days(-1))
    assert set(refused.value.error_dict) == {"reply_by"}
    item = closed(world, item)
    with pytest.raises(workflow.InvalidTransition):
        workflow.urge(world.committee, item, message="催", reply_by=in_days(1))
    assert not Urging.objects.exists()


def test_the_owner_s_reply_closes_the_notice_and_tells_who_issued_it(world):
    item = an_item(world)
    urging = workflow.urge(world.committee, item, message="请反馈", reply_by=in_days(5))
    with pytest.raises(workflow.NotAllowed):
        workflow.reply_to_urging(world.leader, urging, reply="领导代答")
    with pytest.raises(workflow.EditConflict):
        workflow.reply_to_urging(world.owner, urging, reply="已整改", expected_version=urging.version + 1)
    reply = workflow.reply_to_urging(world.owner, urging, reply="已更换闸瓦", expected_version=urging.version)
    assert not reply.is_open and reply.replied_by == world.owner and reply.version == 2
    assert told(Notification.Kind.NOTICE_REPLIED) == ["branch_secretary"]
    with pytest.raises(workflow.InvalidTransition):
        workflow.reply_to_urging(world.owner, reply, reply="再答一次")
    row = reply.history.order_by("-history_id").first()
    assert (row.history_user, row.history_action, row.history_change_reason) == (
        world.owner,
        "reply",
        "已更换闸瓦",
    )


def test_a_co_owner_may_reply(world):
    item = an_item(world)
    item = workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.member])
    urging = workflow.urge(world.committee, item, message="请反馈", reply_by=in_days(5))
    assert workflow.reply_to_urging(world.member, urging, reply="协办人反馈").replied_by == world.member


def test_the_urge_page_per_role(client, world):
    item = an_item(world)
    url = f"/ledger/items/{item.pk}/urge/"
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    client.force_login(world.member)
    assert client.get(url).status_code == 403
    assert client.post(url, {"level": "urging", "message": "催", "reply_by": in_days(1)}).status_code == 403
    client.force_login(world.committee)
    assert client.get(url).status_code == 200
    assert client.put(url).status_code == 405
    # Bad input comes back with what was typed.
    response = client.post(
        url, {"level": "notice", "message": "请于本周反馈整改进度", "reply_by": "2020-01-01"}
    )
    assert response.status_code == 400
    assert "请于本周反馈整改进度" in response.content.decode()
    assert not Urging.objects.exists()
    response = client.post(
        url, {"level": "notice", "message": "请于本周反馈整改进度", "reply_by": in_days(2)}
    )
    assert response.status_code == 302 and response.url.endswith("#supervision")
    page = client.get(f"/ledger/items/{item.pk}/").content.decode()
    assert "请于本周反馈整改进度" in page and "notice.pdf" in page


def test_the_reply_page_per_role(client, world):
    item = an_item(world)
    urging = workflow.urge(world.committee, item, message="请反馈", reply_by=in_days(5))
    url = f"/ledger/items/{item.pk}/urgings/{urging.pk}/reply/"
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    client.force_login(world.committee)
    assert client.get(url).status_code == 403
    client.force_login(world.owner)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reply": "", "version": urging.version})
    assert response.status_code == 400
    assert client.post(url, {"reply": "已更换", "version": urging.version}).status_code == 302
    # A second reply from the page loaded before is refused, and the typed text stays.
    response = client.post(url, {"reply": "第二次答复", "version": urging.version})
    assert response.status_code == 400 and "第二次答复" in response.content.decode()
    assert Urging.objects.get().reply == "已更换"


# The notice PDF -------------------------------------------------------------------------------


def test_the_notice_pdf_prints_the_notice_with_the_user_s_text_escaped(client, world):
    item = an_item(world)
    url = f"/ledger/items/{item.pk}/notice.pdf"
    client.force_login(world.owner)
    assert client.get(url).status_code == 404  # no notice yet
    workflow.urge(world.committee, item, message="仅催办", reply_by=in_days(3))
    assert client.get(url).status_code == 404  # an urging is not a notice
    workflow.urge(
        world.committee,
        item,
        message='<script>alert("x")</script> 请立即整改',
        reply_by=in_days(3),
        level=Urging.Level.NOTICE,
    )
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdfs.pages_text(response.content)
    assert len(pages) == 1
    text = pdfs.squeezed(pages[0])
    for expected in ("督办单", item.reference, "主井提升机制动闸瓦磨损超限", "王强", "赵志刚", "机运党支部"):
        assert expected in text, expected
    assert pdfs.squeezed('<script>alert("x")</script>请立即整改') in text
    assert in_days(3).isoformat() in text
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    client.force_login(world.member)
    assert client.get(url).status_code == 403


# Warning talks and accountability ---------------------------------------------------------------


def test_warning_talk_and_accountability_are_committee_only_and_in_the_dossier(client, world):
    item = an_item(world)
    talk_url, account_url = f"/ledger/items/{item.pk}/talk/", f"/ledger/items/{item.pk}/accountability/"
    today = timezone.localdate().isoformat()
    talk = {
        "person": world.owner.pk,
        "talked_on": today,
        "talked_by": world.committee.pk,
        "outcome": "表态一周内整改到位",
    }
    account = {
        "kind": "admonishment",
        "person": world.owner.pk,
        "decided_on": today,
        "decision": "对责任人诫勉",
    }
    client.force_login(world.outsider)
    assert client.get(talk_url).status_code == 404
    client.force_login(world.owner)
    assert client.post(talk_url, talk).status_code == 403
    assert client.post(account_url, account).status_code == 403
    client.force_login(world.committee)
    response = client.post(talk_url, {**talk, "talked_on": in_days(3).isoformat()})
    assert response.status_code == 400 and "表态一周内整改到位" in response.content.decode()
    assert client.post(talk_url, talk).status_code == 302
    assert client.post(account_url, account).status_code == 302
    assert WarningTalk.objects.get().history.get().history_user == world.committee
    assert Accountability.objects.get().history.get().history_action == "accountability"
    assert told(Notification.Kind.WARNING_TALK) == ["owner"]
    text = pdfs.squeezed(pdfs.text(client.get(f"/ledger/items/{item.pk}/dossier.pdf").content))
    assert "表态一周内整改到位" in text and "对责任人诫勉" in text and "诫勉" in text


def test_a_warning_talk_on_a_person_alone(world):
    talk = workflow.record_warning_talk(
        world.committee,
        person=world.member,
        organization=world.branch,
        talked_on=timezone.localdate(),
        talked_by=world.committee,
        outcome="提醒谈话",
    )
    assert talk.item is None
    with pytest.raises(workflow.NotAllowed):
        workflow.record_warning_talk(
            world.outsider,
            person=world.member,
            organization=world.branch,
            talked_on=timezone.localdate(),
            talked_by=world.outsider,
            outcome="越权",
        )


# The history and the summary ------------------------------------------------------------------


def test_every_urging_notice_and_reply_is_in_the_item_s_history(client, world):
    item = an_item(world)
    urging = workflow.urge(world.committee, item, message="催办一次", reply_by=in_days(5))
    workflow.urge(world.committee, item, message="正式督办", reply_by=in_days(5), level=Urging.Level.NOTICE)
    workflow.reply_to_urging(world.owner, urging, reply="这是反馈")
    client.force_login(world.committee)
    page = client.get(f"/ledger/items/{item.pk}/history/").content.decode()
    for text in ("催办一次", "正式督办", "这是反馈", "督办单", "王强", "李明"):
        assert text in page, text


def test_the_summary_counts_supervision(client, world):
    first, second = an_item(world), an_item(world)
    urging = workflow.urge(world.committee, first, message="催", reply_by=in_days(5))
    workflow.urge(world.committee, first, message="督", reply_by=in_days(5), level=Urging.Level.NOTICE)
    workflow.urge(world.committee, second, message="督", reply_by=in_days(5), level=Urging.Level.NOTICE)
    workflow.reply_to_urging(world.owner, urging, reply="已答")
    today = timezone.localdate()
    workflow.record_warning_talk(
        world.committee,
        item=second,
        person=world.owner,
        talked_on=today,
        talked_by=world.committee,
        outcome="约",
    )
    workflow.record_accountability(
        world.committee, second, kind="circulated", decided_on=today, decision="通报"
    )
    figures = supervision.totals(Item.objects.all(), today, today)
    assert figures == {
        "urgings": 3,
        "notices": 2,
        "unanswered": 2,
        "warning_talks": 1,
        "accountability": 1,
        "rechecks": 0,
        "rechecks_hold": 0,
        "relapsed": 0,
    }
    client.force_login(world.committee)
    text = pdfs.squeezed(pdfs.text(client.get("/ledger/summary.pdf").content))
    assert "督办（项次）" in text
    assert "督办3项次；约谈1次；问责1次；回头看0项，问题反弹0项。" in text
    english = pdfs.text(client.get("/ledger/summary.pdf", HTTP_ACCEPT_LANGUAGE="en").content)
    assert "Urged (times)" in " ".join(english.split())


# Re-checks --------------------------------------------------------------------------------------


def test_the_sample_is_one_in_ten_at_least_one_and_reproducible():
    ids = list(range(100, 137))
    sample = workflow.recheck_sample(ids, seed=42)
    assert len(sample) == 4  # 37 closed items: one in ten, rounded up
    assert workflow.recheck_sample(ids, seed=42) == sample
    assert len(workflow.recheck_sample([5], seed=1)) == 1
    assert workflow.recheck_sample([], seed=1) == []
    assert len(workflow.recheck_sample(ids, seed=42, one_in=5)) == 8
    assert {tuple(workflow.recheck_sample(ids, seed=s)) for s in range(20)} != {tuple(sample)}


def test_the_same_seed_over_the_same_closed_items_draws_the_same_items(world):
    for _number in range(12):
        closed(world, an_item(world))
    sibling_owner = UserFactory(username="sibling_owner")
    MembershipFactory(user=sibling_owner, organization=world.sibling, role="member")
    other = make_item(world.outsider, IssueFactory(organization=world.sibling), owner=sibling_owner)
    workflow.post_progress(sibling_owner, other, text="已完成", percent=100)
    other = workflow.submit(sibling_owner, Item.objects.get(pk=other.pk))
    workflow.close(world.outsider, other, note="合格")  # closed, but not the branch's
    today = timezone.localdate()
    draw = {
        "period_start": today,
        "period_end": today,
        "due_on": in_days(10),
        "checker": world.member,
        "seed": 99,
    }
    first = workflow.draw_recheck(world.committee, world.branch, **draw)
    again = workflow.draw_recheck(world.committee, world.branch, **draw)
    drawn = sorted(first.rechecks.values_list("item_id", flat=True))
    assert len(drawn) == 2 and first.pool_size == 12
    assert sorted(again.rechecks.values_list("item_id", flat=True)) == drawn
    assert told(Notification.Kind.RECHECK_ASSIGNED) == ["member"] * 4  # two items, two draws
    assert "99" in first.history.get().history_change_reason  # the seed is on record
    with pytest.raises(workflow.NotAllowed):
        workflow.draw_recheck(world.outsider, world.branch, **draw)
    with pytest.raises(ValidationError):
        workflow.draw_recheck(world.committee, world.branch, **{**draw, "checker": world.outsider})


def test_a_relapse_opens_a_new_item_linked_both_ways(client, world):
    old = closed(world, an_item(world))
    today = timezone.localdate()
    batch = workflow.draw_recheck(
        world.committee,
        world.branch,
        period_start=today,
        period_end=today,
        due_on=in_days(5),
        checker=world.member,
    )
    recheck = batch.rechecks.get()
    url = f"/ledger/rechecks/items/{recheck.pk}/"
    client.force_login(world.owner)
    assert client.get(url).status_code == 403
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    client.force_login(world.member)
    response = client.post(url, {"result": "relapsed", "note": "闸瓦再次磨损", "version": recheck.version})
    assert response.status_code == 400 and "闸瓦再次磨损" in response.content.decode()  # no deadline
    response = client.post(
        url,
        {"result": "relapsed", "note": "闸瓦再次磨损", "deadline": in_days(20), "version": recheck.version},
    )
    assert response.status_code == 302
    recheck.refresh_from_db()
    new = recheck.new_item
    assert recheck.result == Recheck.Result.RELAPSED and new is not None
    old.refresh_from_db()
    assert old.status == Item.Status.CLOSED  # the closed item stays closed
    assert new.status == Item.Status.OPEN and new.issue_id == old.issue_id and new.deadline == in_days(20)
    assert (new.owner, new.leader) == (world.owner, world.leader)
    assert new.history.get().history_user == world.member
    assert sorted(told(Notification.Kind.RELAPSED)) == ["branch_secretary", "leader", "owner"]
    client.force_login(world.committee)
    old_page = client.get(f"/ledger/items/{old.pk}/").content.decode()
    assert f"/ledger/items/{new.pk}/" in old_page and new.reference in old_page
    new_page = client.get(f"/ledger/items/{new.pk}/").content.decode()
    assert f"/ledger/items/{old.pk}/" in new_page and old.reference in new_page
    assert "闸瓦再次磨损" in client.get(f"/ledger/items/{old.pk}/history/").content.decode()
    with pytest.raises(workflow.InvalidTransition):
        workflow.record_recheck(world.committee, recheck, result="holds")
    # The summary counts the results.
    assert supervision.totals(Item.objects.all(), today, today)["relapsed"] == 1


def test_the_re_check_pages_per_role(client, world):
    closed(world, an_item(world))
    today = timezone.localdate()
    client.force_login(world.member)
    assert client.get("/ledger/rechecks/").status_code == 200
    assert client.post("/ledger/rechecks/", {}).status_code == 403
    client.force_login(world.committee)
    data = {
        "organization": world.branch.pk,
        "period_start": in_days(-30).isoformat(),
        "period_end": in_days(-20).isoformat(),
        "one_in": 10,
        "checker": world.member.pk,
        "due_on": in_days(10).isoformat(),
        "seed": "",
    }
    response = client.post("/ledger/rechecks/", data)
    assert response.status_code == 400  # nothing was closed then
    assert "此期间没有已销号的事项" in response.content.decode()
    response = client.post("/ledger/rechecks/", {**data, "period_start": today, "period_end": today})
    assert response.status_code == 302
    batch_url = response.url
    page = client.get(batch_url).content.decode()
    assert "机运党支部" in page and "杨帆" in page
    client.force_login(world.outsider)
    assert client.get(batch_url).status_code == 404


# Feedback -------------------------------------------------------------------------------------


def test_whoever_raised_the_issue_is_told_when_its_last_item_closes(world):
    issue = IssueFactory(organization=world.branch, raised_by=world.member)
    first, second = an_item(world, issue=issue), an_item(world, issue=issue)
    closed(world, first, note="第一项已完成")
    assert told(Notification.Kind.FEEDBACK) == []  # the issue is not done yet
    closed(world, second, note="制度已修订，闸瓦已更换")
    assert told(Notification.Kind.FEEDBACK) == ["member"]
    note = Notification.objects.get(kind=Notification.Kind.FEEDBACK)
    assert note.message == "制度已修订，闸瓦已更换" and note.item_id == second.pk


def test_an_anonymous_opinion_s_feedback_goes_to_the_committee_that_logged_it(world):
    issue = IssueFactory(organization=world.branch, source="solicitation")
    closed(world, an_item(world, issue=issue))
    # The committee member who closed it is not told of his own action; the branch has no other.
    assert told(Notification.Kind.FEEDBACK) == []
    other = IssueFactory(organization=world.branch, source="solicitation")
    item = an_item(world, issue=other)
    workflow.post_progress(world.owner, item, text="已完成", percent=100)
    item = workflow.submit(world.owner, Item.objects.get(pk=item.pk))
    from core.models import Membership

    Membership.objects.create(user=world.company_committee, organization=world.branch, role="committee")
    workflow.close(world.company_committee, item, note="已公开")
    assert told(Notification.Kind.FEEDBACK) == ["branch_secretary"]
    feedback = Notification.objects.get(kind=Notification.Kind.FEEDBACK)
    assert feedback.params == {"anonymous": True}
    assert feedback.text() == f"匿名反映的问题已整改（事项 {item.reference}）：请向反映人公开整改结果。"


def drawn(world):
    closed(world, an_item(world))
    today = timezone.localdate()
    batch = workflow.draw_recheck(
        world.committee,
        world.branch,
        period_start=today,
        period_end=today,
        due_on=in_days(5),
        checker=world.member,
    )
    return batch.rechecks.get()


def test_the_committee_gives_a_re_check_to_another_checker(client, world):
    recheck = drawn(world)
    url = f"/ledger/rechecks/items/{recheck.pk}/checker/"
    client.force_login(world.member)
    assert client.post(url, {"checker": world.owner.pk, "version": recheck.version}).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url, {"checker": world.owner.pk, "version": recheck.version}).status_code == 404
    client.force_login(world.committee)
    page = client.get(f"/ledger/rechecks/{recheck.batch_id}/").content.decode()
    assert f'action="{url}"' in page
    assert client.post(url, {"checker": world.owner.pk, "version": recheck.version}).status_code == 302
    recheck.refresh_from_db()
    assert recheck.checker == world.owner and recheck.version == 2
    assert recheck.history.order_by("-history_id").first().history_action == "assign_checker"
    assert Notification.objects.filter(
        kind=Notification.Kind.RECHECK_ASSIGNED, recipient=world.owner
    ).exists()
    # A form loaded before the change is refused, and says why.
    response = client.post(url, {"checker": world.member.pk, "version": 1}, follow=True)
    assert "他人已同时记录了此次核查" in response.content.decode()
    recheck.refresh_from_db()
    assert recheck.checker == world.owner


def test_a_re_check_result_from_an_older_page_is_refused(world):
    recheck = drawn(world)
    workflow.record_recheck(world.member, recheck, result="holds", note="整改成效巩固", expected_version=1)
    with pytest.raises(workflow.EditConflict):
        workflow.record_recheck(
            world.committee, recheck, result="relapsed", note="反弹", deadline=in_days(3), expected_version=1
        )
    with pytest.raises(workflow.NotAllowed):
        workflow.record_recheck(world.owner, drawn(world), result="holds")
    recheck.refresh_from_db()
    assert recheck.result == Recheck.Result.HOLDS and recheck.new_item is None


def test_the_warning_talks_page_per_role(client, world):
    data = {
        "organization": world.branch.pk,
        "person": world.member.pk,
        "talked_on": timezone.localdate().isoformat(),
        "talked_by": world.committee.pk,
        "outcome": "提醒谈话，要求按期整改",
    }
    client.force_login(world.member)
    assert client.get("/ledger/talks/").status_code == 200
    assert client.post("/ledger/talks/", data).status_code == 403
    client.force_login(world.outsider)
    assert client.post("/ledger/talks/", data).status_code == 400  # not one of the outsider's units
    client.force_login(world.committee)
    response = client.post("/ledger/talks/", {**data, "talked_on": ""})
    assert response.status_code == 400 and "提醒谈话，要求按期整改" in response.content.decode()
    assert client.post("/ledger/talks/", data).status_code == 302
    talk = WarningTalk.objects.get()
    assert (talk.item, talk.person, talk.recorded_by) == (None, world.member, world.committee)
    assert "提醒谈话，要求按期整改" in client.get("/ledger/talks/").content.decode()
    client.force_login(world.outsider)
    assert "提醒谈话，要求按期整改" not in client.get("/ledger/talks/").content.decode()
