"""A small ledger for the report tests: items of the branch (one overdue, one closed, one with a
hostile description), and one item of the sibling branch that the branch must never print."""

import datetime

import time_machine
from django.utils import timezone

from ledger import workflow
from tests.factories import IssueFactory, MeetingFactory, category, make_item

HOSTILE = '<img src="file:///etc/passwd"><script>alert(1)</script>'
SIBLING_TEXT = "通修支部独有的问题描述"


def populate(world, extra=0):
    """Returns a namespace of the interesting items; `extra` adds plain items to fill pages."""
    today = timezone.localdate()
    meeting = MeetingFactory(organization=world.branch, topic="机运党支部专题组织生活会")
    issue = IssueFactory(
        organization=world.branch,
        meeting=meeting,
        category=category("安全"),
        description="班前会安全讲评流于形式",
    )
    people = {"owner": world.owner, "leader": world.leader}
    open_item = make_item(world.committee, issue, measures="组织全员重新学习作业规程", **people)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=20)):
        late = make_item(
            world.committee,
            IssueFactory(organization=world.branch, category=category("党建")),
            measures="逾期未完成的整改措施",
            deadline=today - datetime.timedelta(days=3),
            **people,
        )
        workflow.post_progress(world.owner, late, text="已制定方案，正在推进", percent=30)
    closed = make_item(
        world.committee,
        IssueFactory(organization=world.branch, category=category("廉政")),
        measures="已销号的整改措施",
        **people,
    )
    workflow.post_progress(world.owner, closed, text="整改完成", percent=100)
    closed = workflow.submit(world.owner, closed)
    closed = workflow.close(world.committee, closed, note="经验收同意销号")
    hostile = make_item(
        world.committee,
        IssueFactory(organization=world.branch, category=category("作风"), description=HOSTILE),
        measures=HOSTILE,
        **people,
    )
    sibling = make_item(
        world.outsider,
        IssueFactory(organization=world.sibling, description=SIBLING_TEXT),
        measures="通修支部的整改措施",
    )
    for n in range(extra):
        make_item(
            world.committee,
            IssueFactory(organization=world.branch, description=f"填充问题第{n + 1}条：现场管理不到位"),
            measures="加强现场管理，落实岗位责任制，每周检查一次并通报结果。" * 2,
            **people,
        )
    return type(
        "Ledger",
        (),
        {
            "meeting": meeting,
            "open": open_item,
            "late": late,
            "closed": closed,
            "hostile": hostile,
            "sibling": sibling,
        },
    )
