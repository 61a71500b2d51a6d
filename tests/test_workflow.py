"""The transition matrix: every state × action × role, allowed or refused, and what it leaves.

The expected table is written out here independently of `ledger.workflow.RULES`, so a change to
the rules that nobody meant shows up as a failing case.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from core.models import User
from ledger import workflow
from ledger.models import Evidence, ExtensionRequest, Issue, Item, Meeting, ProgressUpdate
from tests.factories import IssueFactory, MeetingFactory, OrganizationFactory, UserFactory, make_item

S = Item.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROLES = ["owner", "leader", "committee", "company_committee", "leadership", "member", "outsider"]
MANAGERS = {"committee", "company_committee"}
ACTIVE = {"open", "in_progress", "submitted", "reviewed", "long_term"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def item_in(world, state, double_review=False, organization=None):
    """An item of the branch (or of `organization`, a unit below it) brought to `state` through
    the workflow; `double_review` is set on the branch."""
    world.branch.double_review = double_review
    world.branch.save()
    long_term = state == "long_term"
    today = timezone.localdate()
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch),
        organization=organization or world.branch,
        owner=world.owner,
        leader=world.leader,
        kind="long_term" if long_term else "by_deadline",
        deadline=None if long_term else today + datetime.timedelta(days=30),
        next_review_on=today + datetime.timedelta(days=60) if long_term else None,
    )
    if state == "open":
        return item
    item = workflow.start(world.owner, item)
    workflow.post_progress(world.owner, item, text="已组织学习", percent=50)
    item.refresh_from_db()
    if state in ("in_progress", "long_term"):
        return item
    if state == "withdrawn":
        return workflow.withdraw(world.committee, item, reason="与另一事项重复")
    item = workflow.submit(world.owner, item, incomplete_confirmed=True)
    if state == "reviewed":
        return workflow.review(world.leader, item)
    if state == "closed":
        return workflow.close(world.company_committee, item, note="验收合格")
    return item


def _run(action, actor, item):
    """Take `action`; returns the model whose history row it writes."""
    deadline = item.deadline or timezone.localdate()
    calls = {
        "edit": lambda: workflow.edit_item(actor, item, expected_version=item.version, department="调度室"),
        "start": lambda: workflow.start(actor, item),
        "post_progress": lambda: workflow.post_progress(actor, item, text="完成一半", percent=60),
        "attach_evidence": lambda: workflow.attach_evidence(
            actor, item, SimpleUploadedFile("现场照片.png", PNG, "image/png")
        ),
        "submit": lambda: workflow.submit(actor, item, incomplete_confirmed=True),
        "review": lambda: workflow.review(actor, item, note="属实"),
        "return": lambda: workflow.return_item(actor, item, reason="材料不全"),
        "close": lambda: workflow.close(actor, item, note="验收合格，同意销号"),
        "reopen": lambda: workflow.reopen(actor, item, reason="问题反弹"),
        "withdraw": lambda: workflow.withdraw(actor, item, reason="不再适用"),
        "request_extension": lambda: workflow.request_extension(
            actor, item, proposed_deadline=deadline + datetime.timedelta(days=15), reason="配件未到"
        ),
    }
    calls[action]()
    return {"attach_evidence": Evidence, "request_extension": ExtensionRequest}.get(action, Item)


# action -> state -> roles allowed, for an organization without double review.
ALLOWED = {
    "edit": dict.fromkeys(ACTIVE, MANAGERS),
    "start": {"open": MANAGERS | {"owner"}},
    "post_progress": {state: MANAGERS | {"owner"} for state in ("open", "in_progress", "long_term")},
    "attach_evidence": {state: MANAGERS | {"owner"} for state in ACTIVE},
    "submit": {"in_progress": {"owner"}, "long_term": {"owner"}},
    "review": {},
    "return": {"submitted": MANAGERS},
    "close": {"submitted": MANAGERS},
    "reopen": {"closed": MANAGERS},
    "withdraw": dict.fromkeys(ACTIVE, MANAGERS),
    "request_extension": {"open": {"owner"}, "in_progress": {"owner"}},
}
# With double review the leader reviews (and may return) what was submitted, and only
# reviewed items can be closed.
ALLOWED_DOUBLE_REVIEW = {
    **ALLOWED,
    "review": {"submitted": {"leader"}},
    "return": {"submitted": MANAGERS | {"leader"}, "reviewed": MANAGERS},
    "close": {"reviewed": MANAGERS},
}
RESULT = {
    "start": {"open": S.IN_PROGRESS},
    "post_progress": {"open": S.IN_PROGRESS},
    "submit": {"in_progress": S.SUBMITTED, "long_term": S.SUBMITTED},
    "review": {"submitted": S.REVIEWED},
    "return": {"submitted": S.IN_PROGRESS, "reviewed": S.IN_PROGRESS},
    "close": {"submitted": S.CLOSED, "reviewed": S.CLOSED},
    "reopen": {"closed": S.IN_PROGRESS},
    "withdraw": dict.fromkeys(ACTIVE, S.WITHDRAWN),
}

# Where the item is: "branch" (double review off), "double" (the branch has double review),
# "inherited" (the item is in the branch's party group, which does not set double review itself:
# the branch's reaches it).
CASES = [
    pytest.param("branch", state, action, role, id=f"{state}-{action}-{role}")
    for state in ("open", "in_progress", "submitted", "long_term", "closed", "withdrawn")
    for action in ALLOWED
    for role in ROLES
] + [
    pytest.param(where, state, action, role, id=f"{where}-{state}-{action}-{role}")
    for where in ("double", "inherited")
    for state in ("submitted", "reviewed")
    for action in ALLOWED
    for role in ROLES
]


def _history_counts(item):
    return {
        Item: item.history.count(),
        ProgressUpdate: ProgressUpdate.history.filter(item_id=item.pk).count(),
        Evidence: Evidence.history.filter(item_id=item.pk).count(),
        ExtensionRequest: ExtensionRequest.history.filter(item_id=item.pk).count(),
    }


@pytest.mark.parametrize(("where", "state", "action", "role"), CASES)
def test_transition_matrix(world, where, state, action, role):
    organization = world.group if where == "inherited" else world.branch
    item = item_in(world, state, where != "branch", organization)
    assert item.status == state
    assert item.organization == organization and not world.group.double_review
    actor = getattr(world, role)
    table = ALLOWED if where == "branch" else ALLOWED_DOUBLE_REVIEW
    allowed = role in table[action].get(state, set())
    before = _history_counts(item)
    version = item.version

    if not allowed:
        with pytest.raises(workflow.ActionRefused):
            _run(action, actor, item)
        item.refresh_from_db()
        assert item.status == state
        assert item.version == version
        assert _history_counts(item) == before
        assert action not in workflow.allowed_actions(actor, item)
        return

    assert action in workflow.allowed_actions(actor, item)
    written = _run(action, actor, item)
    item.refresh_from_db()
    assert item.status == RESULT.get(action, {}).get(state, state)
    after = _history_counts(item)
    # Exactly one history row on the record the action is about, by the actor, naming the action.
    assert after[written] == before[written] + 1
    record = written.history.filter(**({"id": item.pk} if written is Item else {"item_id": item.pk})).latest(
        "history_date", "history_id"
    )
    assert record.history_user == actor
    assert record.history_action == action
    if written is Item:
        assert item.version == version + 1
    else:
        assert after[Item] == before[Item]


def test_a_group_under_a_double_review_branch_needs_the_leaders_review(world):
    item = item_in(world, "submitted", double_review=True, organization=world.group)
    assert not world.group.double_review  # set on the branch only
    assert workflow.needs_double_review(world.committee, item)
    with translation.override("en"), pytest.raises(workflow.InvalidTransition, match="must review this"):
        workflow.close(world.committee, item, note="验收合格")
    assert workflow.allowed_actions(world.leader, item) == [workflow.Action.REVIEW, workflow.Action.RETURN]
    assert workflow.Action.CLOSE not in workflow.allowed_actions(world.committee, item)

    item = workflow.review(world.leader, item, note="已现场核实")
    assert workflow.Action.CLOSE in workflow.allowed_actions(world.committee, item)
    item = workflow.close(world.committee, item, note="验收合格")
    assert (item.status, item.reviewed_by, item.verified_by) == (S.CLOSED, world.leader, world.committee)


def test_a_group_under_a_normal_branch_needs_no_review(world):
    item = item_in(world, "submitted", organization=world.group)
    assert not workflow.needs_double_review(world.committee, item)
    assert workflow.allowed_actions(world.leader, item) == []
    with translation.override("en"), pytest.raises(workflow.InvalidTransition, match="not use double review"):
        workflow.review(world.leader, item)
    item = workflow.close(world.committee, item, note="验收合格")
    assert (item.status, item.reviewed_by) == (S.CLOSED, None)


def test_double_review_reaches_down_the_tree_not_up_nor_sideways(world):
    world.group.double_review = True
    world.group.save()
    in_group = item_in(world, "submitted", organization=world.group)
    in_branch = item_in(world, "submitted")
    beside = make_item(world.outsider, IssueFactory(organization=world.sibling))
    committee = world.company_committee
    assert workflow.needs_double_review(committee, in_group)
    assert not workflow.needs_double_review(committee, in_branch)
    assert not workflow.needs_double_review(committee, beside)
    with pytest.raises(workflow.InvalidTransition):
        workflow.close(committee, in_group, note="验收合格")
    assert workflow.close(committee, in_branch, note="验收合格").status == S.CLOSED


def test_double_review_is_read_with_the_scope_whatever_the_depth(world, django_assert_num_queries):
    """Asking for many items of a deep tree costs the scope's two queries, no more."""
    parent = world.group
    for depth in range(5):
        parent = OrganizationFactory(name=f"第{depth}层", short_name=f"层{depth}", parent=parent)
    world.company.double_review = True
    world.company.save()
    items = [
        make_item(world.company_committee, IssueFactory(organization=world.company), organization=org)
        for org in (world.company, world.branch, world.group, parent)
    ]
    owner = User.objects.get(pk=world.owner.pk)  # a fresh user object: the scope not read yet
    with django_assert_num_queries(2):  # the owner's memberships, the organization tree
        assert all(workflow.needs_double_review(owner, item) for item in items)
    superuser = UserFactory(is_superuser=True)
    with django_assert_num_queries(1):  # the organization tree, read once
        assert all(workflow.needs_double_review(superuser, item) for item in items)
        assert workflow.allowed_actions(superuser, items[-1])


def test_actions_that_need_a_reason_refuse_without_one(world):
    item = item_in(world, "submitted")
    for call in (
        lambda: workflow.return_item(world.committee, item, reason="  "),
        lambda: workflow.close(world.committee, item, note=""),
        lambda: workflow.withdraw(world.committee, item, reason=""),
    ):
        with pytest.raises(ValidationError):
            call()
    item.refresh_from_db()
    assert item.status == S.SUBMITTED
    assert item.history.count() == 4  # created, started, progress posted, submitted: nothing more


def test_reasons_are_kept_in_the_history(world):
    item = item_in(world, "submitted")
    workflow.return_item(world.committee, item, reason="佐证材料不全，请补充签到表")
    record = item.history.latest("history_date", "history_id")
    assert record.history_change_reason == "佐证材料不全，请补充签到表"
    assert record.history_action == "return"
    assert record.history_user == world.committee


def test_owner_who_sits_on_the_committee_cannot_close_own_item(world):
    item = item_in(world, "submitted")
    workflow.edit_item(world.committee, item, expected_version=item.version, owner=world.committee)
    item.refresh_from_db()
    with pytest.raises(workflow.NotAllowed, match="须由其他委员验收"):
        workflow.close(world.committee, item, note="自己验收")
    workflow.close(world.company_committee, item, note="验收合格")
    item.refresh_from_db()
    assert item.status == S.CLOSED
    assert item.progress == 100
    assert item.verified_by == world.company_committee


def test_submit_needs_a_progress_update(world):
    item = item_in(world, "open")
    item = workflow.start(world.owner, item)
    with pytest.raises(workflow.InvalidTransition, match="提交验收前请至少填报一次整改进展"):
        workflow.submit(world.owner, item)


def test_closing_as_stage_completed_makes_the_item_long_term(world):
    item = item_in(world, "submitted")
    review_on = timezone.localdate() + datetime.timedelta(days=90)
    workflow.close(
        world.committee,
        item,
        note="阶段性完成",
        outcome=Item.Outcome.STAGE_COMPLETED,
        next_review_on=review_on,
    )
    item.refresh_from_db()
    assert (item.status, item.kind, item.next_review_on) == (S.LONG_TERM, Item.Kind.LONG_TERM, review_on)
    assert item.outcome == Item.Outcome.STAGE_COMPLETED


def test_stage_completed_needs_a_review_date(world):
    item = item_in(world, "submitted")
    with pytest.raises(ValidationError) as error:
        workflow.close(world.committee, item, note="阶段性完成", outcome=Item.Outcome.STAGE_COMPLETED)
    assert "next_review_on" in error.value.message_dict


def test_starting_a_long_term_item_keeps_it_long_term(world):
    item = item_in(world, "open")
    workflow.edit_item(
        world.committee,
        item,
        expected_version=item.version,
        kind="long_term",
        next_review_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    item = workflow.start(world.owner, item)
    assert item.status == S.LONG_TERM


def test_approving_an_extension_moves_the_deadline_on_record(world):
    item = item_in(world, "in_progress")
    first = item.deadline
    proposed = first + datetime.timedelta(days=20)
    request = workflow.request_extension(world.owner, item, proposed_deadline=proposed, reason="配件未到")
    with pytest.raises(workflow.InvalidTransition, match="已有待审批的延期申请"):
        workflow.request_extension(world.owner, item, proposed_deadline=proposed, reason="再次申请")
    with pytest.raises(workflow.NotAllowed):
        workflow.decide_extension(world.owner, request, approve=True)

    workflow.decide_extension(world.committee, request, approve=True, note="同意")
    item.refresh_from_db()
    request.refresh_from_db()
    assert (item.deadline, item.original_deadline) == (proposed, first)
    assert item.deadline_was_extended
    assert (request.status, request.decided_by) == (ExtensionRequest.Status.APPROVED, world.committee)
    record = item.history.latest("history_date", "history_id")
    assert (record.history_action, record.history_user, record.deadline) == (
        "decide_extension",
        world.committee,
        proposed,
    )
    # The decision and the item's new deadline are one action, as a progress post is (one
    # history entry).
    decided = request.history.latest("history_date", "history_id")
    assert (decided.history_action, decided.status) == ("decide_extension", ExtensionRequest.Status.APPROVED)
    assert decided.history_action_id == record.history_action_id is not None
    assert decided.decided_at == request.decided_at is not None
    with pytest.raises(workflow.InvalidTransition, match="该延期申请已审批"):
        workflow.decide_extension(world.committee, request, approve=False, note="改变主意")


def test_rejecting_an_extension_needs_a_reason_and_keeps_the_deadline(world):
    item = item_in(world, "in_progress")
    request = workflow.request_extension(
        world.owner, item, proposed_deadline=item.deadline + datetime.timedelta(days=5), reason="人手不足"
    )
    with pytest.raises(ValidationError):
        workflow.decide_extension(world.committee, request, approve=False)
    versions = item.history.count()
    workflow.decide_extension(world.committee, request, approve=False, note="时限内可以完成")
    item.refresh_from_db()
    assert item.original_deadline is None and not item.deadline_was_extended
    assert item.history.count() == versions  # the item itself did not change
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (ExtensionRequest.Status.REJECTED, world.committee)
    assert request.decided_at is not None


def test_extension_must_move_the_deadline_later(world):
    item = item_in(world, "in_progress")
    with pytest.raises(ValidationError) as error:
        workflow.request_extension(world.owner, item, proposed_deadline=item.deadline, reason="x")
    assert "proposed_deadline" in error.value.message_dict


def test_progress_percent_is_checked(world):
    item = item_in(world, "in_progress")
    for bad in (101, -1, "abc", None):
        with pytest.raises(ValidationError):
            workflow.post_progress(world.owner, item, text="进展", percent=bad)
    assert ProgressUpdate.objects.filter(item=item).count() == 1


def test_reopening_clears_the_verification(world):
    item = item_in(world, "closed")
    item = workflow.reopen(world.committee, item, reason="复查发现反弹")
    assert (item.status, item.outcome, item.verified_by) == (S.IN_PROGRESS, "", None)


def test_references_are_numbered_per_organization_and_year(world):
    first = make_item(world.committee, IssueFactory(organization=world.branch))
    second = make_item(world.committee, IssueFactory(organization=world.branch))
    other = make_item(world.outsider, IssueFactory(organization=world.sibling))
    last_year = make_item(
        world.committee,
        IssueFactory(organization=world.branch, raised_on=datetime.date(2025, 12, 30)),
    )
    year = timezone.localdate().year
    assert first.reference == f"机运-{year}-001"
    assert second.reference == f"机运-{year}-002"
    assert other.reference == f"通修-{year}-001"
    assert last_year.reference == "机运-2025-001"


def test_only_the_committee_creates_items(world):
    issue = IssueFactory(organization=world.branch)
    for actor in (world.owner, world.leadership, world.member, world.outsider):
        with pytest.raises(workflow.NotAllowed):
            make_item(actor, issue)
    assert not Item.objects.exists()
    assert make_item(world.company_committee, issue).organization == world.branch


def test_an_item_may_go_to_a_unit_below_the_issue_but_not_beside_it(world):
    issue = IssueFactory(organization=world.branch)
    assert make_item(world.committee, issue, organization=world.group).organization == world.group
    with pytest.raises(ValidationError) as error:
        make_item(world.company_committee, issue, organization=world.sibling)
    assert "organization" in error.value.message_dict


def test_deadline_or_review_date_is_required(world):
    with pytest.raises(ValidationError) as error:
        make_item(world.committee, IssueFactory(organization=world.branch), deadline=None)
    assert "deadline" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_item(world.committee, IssueFactory(organization=world.branch), kind="long_term", deadline=None)
    assert "next_review_on" in error.value.message_dict


def test_edit_that_changes_nothing_writes_no_history(world):
    item = item_in(world, "open")
    same = workflow.edit_item(
        world.committee, item, expected_version=item.version, department=item.department
    )
    assert same.version == item.version
    assert item.history.count() == 1


def test_overdue_is_derived_from_the_deadline(world):
    today = timezone.localdate()
    late = item_in(world, "in_progress")
    workflow.edit_item(
        world.committee, late, expected_version=late.version, deadline=today - datetime.timedelta(days=1)
    )
    on_time = item_in(world, "in_progress")
    closed_late = item_in(world, "submitted")
    workflow.edit_item(
        world.committee,
        closed_late,
        expected_version=closed_late.version,
        deadline=today - datetime.timedelta(days=3),
    )
    workflow.close(world.committee, closed_late, note="验收合格")
    assert set(Item.objects.overdue()) == {late}
    late.refresh_from_db()
    assert late.is_overdue() and not on_time.is_overdue()
    assert set(Item.objects.due_within(30)) == {on_time}


def test_a_progress_post_is_one_action_for_the_item_its_update_and_files(world):
    item = item_in(world, "open")
    update = workflow.post_progress(
        world.owner,
        item,
        text="已组织学习",
        percent=30,
        files=[
            SimpleUploadedFile("签到表.png", PNG, "image/png"),
            SimpleUploadedFile("照片.png", PNG, "image/png"),
        ],
    )
    item.refresh_from_db()
    post = item.history.latest()
    assert (post.history_action, post.status, post.progress) == ("post_progress", S.IN_PROGRESS, 30)
    ids = {
        post.history_action_id,
        update.history.get().history_action_id,
        *(evidence.history.get().history_action_id for evidence in update.evidence.all()),
    }
    assert len(ids) == 1 and None not in ids
    # Another post is another action.
    workflow.post_progress(world.owner, item, text="已组织考试", percent=60)
    assert item.history.latest().history_action_id not in ids


# Meetings and issues: optimistic locking, as items -------------------------------------------


@pytest.fixture(params=["issue", "meeting"])
def record(request, world):
    """A stored issue or meeting of the branch, with its save function and a field to edit."""
    if request.param == "issue":
        return IssueFactory(organization=world.branch), workflow.save_issue, "description"
    return MeetingFactory(organization=world.branch), workflow.save_meeting, "topic"


def loaded(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_a_stale_version_is_refused_and_changes_nothing(world, record):
    obj, save, name = record
    by_alice, by_bob = loaded(obj), loaded(obj)
    setattr(by_alice, name, "李明改的")
    saved = save(world.committee, by_alice, reason="更正", expected_version=by_alice.version)
    assert saved.version == 2
    setattr(by_bob, name, "张建国改的")
    with translation.override("en"), pytest.raises(workflow.EditConflict) as conflict:
        save(world.company_committee, by_bob, reason="也更正", expected_version=by_bob.version)
    assert getattr(conflict.value.current, name) == "李明改的"
    assert conflict.value.current.version == 2
    kind = "issue" if isinstance(obj, Issue) else "meeting"
    assert conflict.value.message == (
        f"Someone else changed this {kind} in the meantime (now version 2). "
        "Nothing was saved: review the changes and try again."
    )
    stored = loaded(obj)
    assert (getattr(stored, name), stored.version) == ("李明改的", 2)
    history = list(stored.history.order_by("history_id"))[1:]  # after the factory's creation
    assert [(h.history_action, h.history_user, h.history_change_reason, h.version) for h in history] == [
        ("edit", world.committee, "更正", 2)
    ]


def test_without_a_version_an_update_saves_and_bumps_it_as_imports_do(world, record):
    obj, save, name = record
    stale = loaded(obj)
    setattr(obj, name, "导入更新")
    save(world.committee, obj, reason="导入")
    setattr(stale, name, "再次导入")
    saved = save(world.committee, stale)  # no version given: saved over, as before
    assert saved.version == 3
    assert (getattr(loaded(obj), name), loaded(obj).version) == ("再次导入", 3)
    # A form loaded before either import is now refused.
    with pytest.raises(workflow.EditConflict):
        save(world.committee, loaded(obj), expected_version=1)


def test_an_update_that_changes_nothing_is_not_saved(world, record):
    obj, save, _name = record
    before = obj.history.count()
    same = save(world.committee, loaded(obj), reason="没有改动", expected_version=1)
    assert same.version == loaded(obj).version == 1
    assert obj.history.count() == before


def test_creating_needs_no_version_and_writes_one_history_row(world):
    meeting = workflow.save_meeting(
        world.committee,
        Meeting(
            organization=world.branch,
            meeting_type=Meeting.Type.BRANCH_COMMITTEE,
            topic="支委会",
            held_on=timezone.localdate(),
        ),
    )
    issue = IssueFactory.build(organization=world.branch, meeting=meeting)
    issue = workflow.save_issue(world.committee, issue, reason="会上提出")
    for record in (meeting, issue):
        row = record.history.get()
        assert (record.version, row.history_action, row.history_user, row.version) == (
            1,
            "create",
            world.committee,
            1,
        )
    assert issue.history.get().history_change_reason == "会上提出"


def test_a_record_cannot_be_moved_out_of_an_organization_one_does_not_manage(world):
    issue = IssueFactory(organization=world.company)
    moved = loaded(issue)
    moved.organization = world.branch
    with pytest.raises(workflow.NotAllowed):
        workflow.save_issue(world.committee, moved, expected_version=1)
    assert loaded(issue).organization == world.company
    workflow.save_issue(world.company_committee, moved, expected_version=1)
    assert loaded(issue).organization == world.branch
