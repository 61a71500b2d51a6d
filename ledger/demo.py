"""The demo company: a coal mine's party committee, its branches and three-shift groups.

Everything is built through the workflow, so the demo items carry a real history. Building is
idempotent: people and organizations are looked up by their natural keys, and the meetings,
issues and items are only made when the company has none yet.
"""

import datetime
import itertools
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Membership, Organization, User

from . import workflow
from .models import Attendance, Category, Issue, Item, Meeting

DEFAULT_PASSWORD = "demo-pass-2018"
COMPANY = "公司党委"

# name, short name, kind, parent, double review
ORGANIZATIONS = [
    (COMPANY, "公司", Organization.Kind.COMMITTEE, None, False),
    ("机运党支部", "机运", Organization.Kind.BRANCH, COMPANY, False),
    ("通修党支部", "通修", Organization.Kind.BRANCH, COMPANY, False),
    ("综采党支部", "综采", Organization.Kind.BRANCH, COMPANY, True),
    ("掘进党支部", "掘进", Organization.Kind.BRANCH, COMPANY, False),
    ("机关党支部", "机关", Organization.Kind.BRANCH, COMPANY, False),
    ("机运党支部第一党小组", "机运一组", Organization.Kind.GROUP, "机运党支部", False),
    ("机运党支部第二党小组", "机运二组", Organization.Kind.GROUP, "机运党支部", False),
    ("综采党支部甲班党小组", "综采甲班", Organization.Kind.GROUP, "综采党支部", False),
    ("综采党支部乙班党小组", "综采乙班", Organization.Kind.GROUP, "综采党支部", False),
    ("综采党支部丙班党小组", "综采丙班", Organization.Kind.GROUP, "综采党支部", False),
]

R = Membership.Role
# username, full name, [(organization, role)], superuser
PEOPLE = [
    ("admin", "系统管理员", [], True),
    ("secretary", "张建国", [(COMPANY, R.COMMITTEE), (COMPANY, R.MEMBER)], False),
    ("leader", "赵志刚", [(COMPANY, R.LEADERSHIP), (COMPANY, R.MEMBER)], False),
    ("branch_secretary", "李明", [("机运党支部", R.COMMITTEE), ("机运党支部", R.MEMBER)], False),
    ("owner", "王强", [("机运党支部第一党小组", R.MEMBER)], False),
    ("chenweidong", "陈卫东", [(COMPANY, R.LEADERSHIP), (COMPANY, R.MEMBER)], False),
    ("liuhaifeng", "刘海峰", [(COMPANY, R.LEADERSHIP), (COMPANY, R.MEMBER)], False),
    ("zhouhong", "周红", [(COMPANY, R.LEADERSHIP), (COMPANY, R.MEMBER)], False),
    ("wujun", "吴军", [("通修党支部", R.COMMITTEE), ("通修党支部", R.MEMBER)], False),
    ("zhengwei", "郑伟", [("综采党支部", R.COMMITTEE), ("综采党支部", R.MEMBER)], False),
    ("fenglei", "冯磊", [("掘进党支部", R.COMMITTEE), ("掘进党支部", R.MEMBER)], False),
    ("hejing", "何静", [("机关党支部", R.COMMITTEE), ("机关党支部", R.MEMBER)], False),
    ("yangfan", "杨帆", [("机运党支部第一党小组", R.MEMBER)], False),
    ("huanghai", "黄海", [("机运党支部第二党小组", R.MEMBER)], False),
    ("machao", "马超", [("机运党支部第二党小组", R.MEMBER)], False),
    ("lintao", "林涛", [("通修党支部", R.MEMBER)], False),
    ("guopeng", "郭鹏", [("通修党支部", R.MEMBER)], False),
    ("hubin", "胡斌", [("综采党支部甲班党小组", R.MEMBER)], False),
    ("zhuyong", "朱勇", [("综采党支部乙班党小组", R.MEMBER)], False),
    ("gaoxiang", "高翔", [("综采党支部丙班党小组", R.MEMBER)], False),
    ("luogang", "罗刚", [("掘进党支部", R.MEMBER)], False),
    ("liangbin", "梁斌", [("掘进党支部", R.MEMBER)], False),
    ("songjia", "宋佳", [("机关党支部", R.MEMBER)], False),
    ("tangli", "唐丽", [("机关党支部", R.MEMBER)], False),
]

BRANCH_PEOPLE = {
    "机运党支部": ("branch_secretary", ["owner", "yangfan", "huanghai", "machao"], "机运工区"),
    "通修党支部": ("wujun", ["lintao", "guopeng"], "通修工区"),
    "综采党支部": ("zhengwei", ["hubin", "zhuyong", "gaoxiang"], "综采一队"),
    "掘进党支部": ("fenglei", ["luogang", "liangbin"], "掘进二队"),
    "机关党支部": ("hejing", ["songjia", "tangli"], "党委办公室"),
}
COMPANY_LEADERS = ["leader", "chenweidong", "liuhaifeng", "zhouhong"]

ISSUES = {
    "党建": [
        "支部“三会一课”记录不规范，部分党小组会议记录缺少讨论内容",
        "党员发展工作程序不够严谨，入党积极分子培养考察记录不全",
        "党费收缴台账与实际收缴不一致，存在补缴不及时现象",
        "主题党日活动形式单一，与安全生产中心工作结合不紧密",
        "部分党员理论学习不深入，学习笔记内容空泛",
        "谈心谈话开展不经常，对倒班职工思想动态掌握不够",
        "党员先锋岗、党员责任区作用发挥不明显",
    ],
    "安全": [
        "井下作业规程学习走过场，部分职工对规程掌握不熟",
        "隐患排查治理闭环管理不到位，复查销号不及时",
        "综采工作面设备检修记录填写不规范",
        "班前会安全讲评流于形式，针对性不强",
        "外包队伍安全培训不到位，存在“三违”现象",
        "胶带运输机保护装置试验记录缺失",
        "安全风险分级管控清单更新不及时",
    ],
    "廉政": [
        "物资采购比价记录不完整，个别采购未履行审批程序",
        "廉洁风险点排查不全面，防控措施针对性不强",
        "公务用车使用登记不规范",
        "节假日期间廉洁提醒教育开展不够",
        "工程结算审核把关不严，个别结算资料不全",
    ],
    "作风": [
        "部分管理人员下井跟班次数不足，深入一线不够",
        "会议多、文件多，基层负担较重",
        "对职工反映的问题回应不及时，办事效率不高",
        "职工食堂、浴室服务质量群众满意度不高",
        "值班制度落实不严，存在脱岗现象",
        "绩效考核分配透明度不够，职工有意见",
    ],
}

MEASURES = {
    "党建": [
        "对照《中国共产党支部工作条例》逐项自查，规范会议记录模板，每月由支部书记审核签字。",
        "组织支部委员专题培训，建立工作台账，党委组织部每季度抽查。",
        "制定专项学习计划，开展“一月一课”，将学习情况纳入党员积分管理。",
    ],
    "安全": [
        "组织全员重新学习作业规程并闭卷考试，不合格者离岗培训。",
        "建立隐患“发现—整改—复查—销号”闭环台账，每周调度会通报。",
        "修订检修记录表，明确填写标准，由区队技术员每班检查。",
    ],
    "廉政": [
        "完善采购比价和审批流程，纪检部门全程监督，每月通报。",
        "重新梳理岗位廉洁风险点，逐岗制定防控措施并签订承诺书。",
        "开展警示教育，节假日前发送廉洁提醒，建立谈话提醒记录。",
    ],
    "作风": [
        "制定管理人员下井带班考核办法，每月公示下井次数。",
        "精简会议文件，推行“无会周”，基层报表合并压减三分之一。",
        "建立职工诉求登记和限时办结制度，办理结果向职工公开。",
    ],
}

SOURCES = [
    Issue.Source.SOLICITATION,
    Issue.Source.TALK,
    Issue.Source.CRITICISM,
    Issue.Source.INSPECTION,
    Issue.Source.SELF_CHECK,
    Issue.Source.SUPERIOR,
]

# The state each demo item is brought to, in turn; the list repeats.
SCENARIOS = [
    "open",
    "in_progress",
    "overdue",
    "submitted",
    "closed",
    "in_progress",
    "extension_pending",
    "long_term",
    "returned",
    "closed",
    "extension_approved",
    "withdrawn",
    "submitted",
    "extension_rejected",
    "reopened",
    "stage_completed",
]


def summary():
    return (
        f"Demo data loaded: {Organization.objects.count()} organizations, {User.objects.count()} people, "
        f"{Meeting.objects.count()} meetings, {Issue.objects.count()} issues, {Item.objects.count()} items."
    )


def build_demo(password=DEFAULT_PASSWORD):
    """Create the demo company. Returns False (and changes nothing) when it exists already."""
    if Organization.objects.filter(name=COMPANY).exists():
        return False
    with transaction.atomic():
        orgs = _organizations()
        people = _people(orgs, password)
        _content(orgs, people, random.Random(2018))
    return True


def _organizations():
    orgs = {}
    for order, (name, short_name, kind, parent, double_review) in enumerate(ORGANIZATIONS):
        orgs[name] = Organization.objects.create(
            name=name,
            short_name=short_name,
            kind=kind,
            parent=orgs.get(parent),
            double_review=double_review,
            sort_order=order * 10,
        )
    return orgs


def _people(orgs, password):
    people = {}
    # Hashing is slow on purpose; every demo user has the same password, so hash it once.
    hashed = make_password(password)
    for username, full_name, roles, superuser in PEOPLE:
        user = User(username=username, full_name=full_name, is_superuser=superuser, is_staff=superuser)
        user.password = hashed
        user.save()
        for org_name, role in roles:
            Membership.objects.create(user=user, organization=orgs[org_name], role=role)
        people[username] = user
    return people


def _content(orgs, people, rng):
    today = timezone.localdate()
    categories = {c.name: c for c in Category.objects.all()}
    secretary = people["secretary"]

    # The company's special democratic life meeting on 大反思 大排查 大整改 大提升.
    dlm = workflow.save_meeting(
        secretary,
        Meeting(
            organization=orgs[COMPANY],
            meeting_type=Meeting.Type.DEMOCRATIC_LIFE,
            topic="“大反思 大排查 大整改 大提升”专题民主生活会",
            held_on=today - datetime.timedelta(days=75),
            place="公司三楼会议室",
            host=secretary,
            recorder=people["zhouhong"],
            notes="会前广泛征求意见，班子成员之间开展谈心谈话；会上逐一开展批评与自我批评。",
        ),
    )
    for username in ["secretary", "leader", "chenweidong", "liuhaifeng", "zhouhong"]:
        workflow.save_attendance(secretary, Attendance(meeting=dlm, person=people[username]))

    meetings = {COMPANY: dlm}
    for offset, (branch, (sec, members, _dept)) in enumerate(BRANCH_PEOPLE.items()):
        committee = people[sec]
        meeting = workflow.save_meeting(
            committee,
            Meeting(
                organization=orgs[branch],
                meeting_type=Meeting.Type.ORGANIZATION_LIFE,
                topic="“大反思 大排查 大整改 大提升”专题组织生活会",
                held_on=today - datetime.timedelta(days=60 - offset),
                place="区队学习室",
                host=committee,
                recorder=people[members[-1]],
            ),
        )
        meetings[branch] = meeting
        workflow.save_attendance(committee, Attendance(meeting=meeting, person=committee))
        for index, username in enumerate(members):
            absent = index == 1 and len(members) > 2
            workflow.save_attendance(
                committee,
                Attendance(
                    meeting=meeting,
                    person=people[username],
                    present=not absent,
                    absence_reason=Attendance.AbsenceReason.ON_SHIFT if absent else "",
                    makeup_on=meeting.held_on + datetime.timedelta(days=3) if absent else None,
                ),
            )
        workflow.save_meeting(
            committee,
            Meeting(
                organization=orgs[branch],
                meeting_type=Meeting.Type.LESSON,
                topic="学习贯彻安全生产法律法规专题党课",
                held_on=today - datetime.timedelta(days=20 + offset),
                place="区队学习室",
                host=committee,
            ),
        )

    # About 60 issues: the company's own, then each branch's.
    texts = [(name, text) for name, items in ISSUES.items() for text in items]
    scenario_cycle = itertools.cycle(SCENARIOS)
    plan = [(COMPANY, text) for text in texts[:12]]
    for branch in BRANCH_PEOPLE:
        plan += [(branch, text) for text in rng.sample(texts, 10)]
    for number, (org_name, (category_name, text)) in enumerate(plan):
        org = orgs[org_name]
        if org_name == COMPANY:
            committee = secretary
            department = rng.choice(["党委办公室", "安全科", "机电科", "纪委办公室", "人力资源部"])
            owners = [people[u] for u in ["chenweidong", "liuhaifeng", "zhouhong"]]
        else:
            sec, members, department = BRANCH_PEOPLE[org_name]
            committee = people[sec]
            owners = [people[u] for u in members]
        source = SOURCES[number % len(SOURCES)]
        from_meeting = source in (Issue.Source.SOLICITATION, Issue.Source.TALK, Issue.Source.CRITICISM)
        issue = workflow.save_issue(
            committee,
            Issue(
                organization=org,
                meeting=meetings[org_name] if from_meeting else None,
                category=categories[category_name],
                source=source,
                description=text,
                raised_by=None if source == Issue.Source.SOLICITATION else rng.choice(owners + [committee]),
                raised_by_name="安全检查组" if source == Issue.Source.INSPECTION else "",
                concerns=None if org_name == COMPANY and number % 3 else rng.choice(owners),
                raised_on=(
                    meetings[org_name].held_on if from_meeting else today - datetime.timedelta(days=40)
                ),
            ),
        )
        for _n in range(1 if number % 4 else 2):
            _demo_item(
                issue,
                committee,
                rng.choice(owners),
                people[rng.choice(COMPANY_LEADERS)],
                department,
                MEASURES[category_name][number % 3],
                next(scenario_cycle),
                today,
                rng,
                people,
            )


def _demo_item(issue, committee, owner, leader, department, measures, scenario, today, rng, people):
    long_term = scenario in ("long_term",)
    deadline = today + datetime.timedelta(days=rng.randint(10, 60))
    if scenario == "overdue":
        deadline = today - datetime.timedelta(days=rng.randint(3, 20))
    item = workflow.create_item(
        committee,
        issue,
        measures=measures,
        leader=leader,
        department=department,
        owner=owner,
        kind=Item.Kind.LONG_TERM if long_term else Item.Kind.BY_DEADLINE,
        deadline=None if long_term else deadline,
        next_review_on=today + datetime.timedelta(days=30) if long_term else None,
        closure_criteria="整改措施全部落实，佐证材料齐全，经支部委员会验收通过。",
    )
    if scenario == "open":
        return item
    item = workflow.start(owner, item)
    if scenario == "extension_pending":
        workflow.request_extension(
            owner,
            item,
            proposed_deadline=deadline + datetime.timedelta(days=30),
            reason="设备配件到货延迟，需待配件到位后完成。",
        )
        return item
    if scenario in ("extension_approved", "extension_rejected"):
        request = workflow.request_extension(
            owner,
            item,
            proposed_deadline=deadline + datetime.timedelta(days=20),
            reason="井下生产任务重，需错开生产高峰。",
        )
        approve = scenario == "extension_approved"
        workflow.decide_extension(
            committee, request, approve=approve, note="" if approve else "时限内可以完成，不予延期。"
        )
    workflow.post_progress(
        owner, item, text="已制定整改方案并组织学习，正在逐项落实。", percent=rng.choice([30, 40, 50, 60])
    )
    if scenario in ("in_progress", "overdue", "long_term", "extension_approved", "extension_rejected"):
        return item
    if scenario == "withdrawn":
        return workflow.withdraw(committee, item, reason="经核实，该问题与另一事项重复，合并整改。")
    workflow.post_progress(owner, item, text="整改措施已全部落实，相关制度已印发执行。", percent=100)
    item = workflow.submit(owner, item)
    if workflow.needs_double_review(committee, item):
        item = workflow.review(item.leader, item, note="已现场核实。")
    if scenario == "submitted":
        return item
    if scenario == "returned":
        return workflow.return_item(committee, item, reason="佐证材料不全，请补充会议记录和培训签到表。")
    if scenario == "stage_completed":
        return workflow.close(
            committee,
            item,
            note="阶段性任务已完成，需长期坚持。",
            outcome=Item.Outcome.STAGE_COMPLETED,
            next_review_on=today + datetime.timedelta(days=90),
        )
    item = workflow.close(committee, item, note="经验收，整改措施落实到位，佐证材料齐全，同意销号。")
    if scenario == "reopened":
        item = workflow.reopen(people["secretary"], item, reason="复查发现问题反弹，重新整改。")
    return item


def add_synthetic_items(count, rng):
    """Add `count` synthetic items (and half as many issues) in every state, for benchmarks.

    Written through the workflow's batch path (`workflow.import_new_items`, 5,000 items a
    batch, all in one transaction), as an import by the superuser: numbered and referenced as
    every item is, with one history row and one event per record. An item part done comes with
    its progress text.
    """
    build_demo()
    orgs = list(Organization.objects.exclude(name=COMPANY).order_by("pk"))
    company = Organization.objects.get(name=COMPANY)
    categories = list(Category.objects.all())
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    owners_by_org = {
        org.pk: list(User.objects.filter(memberships__organization=org).distinct()) or [admin] for org in orgs
    }
    leaders = list(User.objects.filter(memberships__organization=company, memberships__role=R.LEADERSHIP))
    today = timezone.localdate()
    statuses = list(Item.Status.values)
    reason = str(_("Synthetic demo items (seed_demo --items)"))
    created = 0
    batch = 5000
    with transaction.atomic():
        while created < count:
            size = min(batch, count - created)
            issues = []
            for n in range((size + 1) // 2):
                org = orgs[(created + n) % len(orgs)]
                category = categories[n % len(categories)]
                issues.append(
                    Issue(
                        organization=org,
                        category=category,
                        source=SOURCES[n % len(SOURCES)],
                        description=f"{category.name}方面问题（批量样例 {created + n + 1}）："
                        + rng.choice(ISSUES.get(category.name, ISSUES["作风"])),
                        raised_on=today - datetime.timedelta(days=rng.randint(0, 300)),
                    )
                )
            rows = []
            for n in range(size):
                issue = issues[n // 2]
                org = issue.organization
                status = rng.choice(statuses)
                long_term = status == Item.Status.LONG_TERM
                percent = 0 if status == Item.Status.OPEN else rng.choice([0, 20, 50, 80])
                rows.append(
                    workflow.NewItem(
                        key=created + n + 1,
                        issue=issue,
                        organization=org,
                        fields={
                            "measures": rng.choice(MEASURES.get(issue.category.name, MEASURES["作风"])),
                            "leader": rng.choice(leaders) if leaders else None,
                            "department": BRANCH_PEOPLE.get(org.name, (None, None, "综合办公室"))[2],
                            "owner": rng.choice(owners_by_org[org.pk]),
                            "kind": Item.Kind.LONG_TERM if long_term else Item.Kind.BY_DEADLINE,
                            "deadline": None
                            if long_term
                            else today + datetime.timedelta(days=rng.randint(-90, 120)),
                            "next_review_on": today + datetime.timedelta(days=rng.randint(-30, 90))
                            if long_term
                            else None,
                        },
                        progress="已按整改措施逐项推进。" if percent else "",
                        percent=percent,
                        status=status,
                    )
                )
            workflow.import_new_items(admin, rows, reason=reason)
            created += size
    return created
