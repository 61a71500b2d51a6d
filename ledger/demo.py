"""The demo company: a coal mine's party committee, its branches and three-shift groups.

Everything is built through the workflow, so the demo items carry a real history. Building is
idempotent: people and organizations are looked up by their natural keys, and the meetings,
issues and items are only made when the company has none yet.
"""

import datetime
import itertools
import math
import random
import uuid

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from core.models import Membership, Organization, User

from . import bulk, lights, workflow
from .models import Attendance, Category, ExtensionRequest, Issue, Item, Meeting, ProgressUpdate
from .workflow import Action

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
    # On schedule: due after the "due soon" window of the default rules (7 working days, which
    # a weekend and a holiday can stretch past 10 calendar days), so that its light is green
    # whatever day the demo is loaded.
    deadline = max(
        today + datetime.timedelta(days=rng.randint(10, 60)),
        lights.soon_date(lights.default_rules(), today) + datetime.timedelta(days=1),
    )
    if scenario == "overdue":
        deadline = today - datetime.timedelta(days=rng.randint(3, 20))
    if scenario == "extension_rejected":
        # Refused more time: its deadline is close (a yellow light, 亮黄灯). No draw from `rng`,
        # so the rest of the demo stays as it was.
        deadline = today + datetime.timedelta(days=5)
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


# The synthetic ledger (seed_demo --items N) -----------------------------------------------------
#
# A ledger of some years: items created, edited, started, worked on with progress updates,
# extended, submitted, sometimes returned, reviewed, closed or withdrawn, each step a history
# row at its time (about ten rows an item), by the person whose step it is. It is seeding, not a
# user path: the records and their history rows go in directly, in bulk (`ledger.bulk`), with
# no events, each history row the record as that step left it, so that the history pages, the
# as-of reports and the diffs read a consistent past.

# Items an owner carries over the years (a sixth of them still open): the synthetic people of an
# organization are as many as its items need at this load.
ITEMS_PER_OWNER = 100
# The demo owner (王强, login "owner") is the busiest owner of the company: the load the
# owner's page is measured with.
BUSY_OWNER_ITEMS = 500
SYNTHETIC_BATCH = 2000
# The state items end in, with their weights: a ledger some years old is mostly closed.
FINAL_STATES = [
    (Item.Status.CLOSED, 55),
    (Item.Status.WITHDRAWN, 4),
    (Item.Status.OPEN, 8),
    (Item.Status.IN_PROGRESS, 18),
    (Item.Status.SUBMITTED, 5),
    (Item.Status.REVIEWED, 2),
    (Item.Status.LONG_TERM, 8),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
PROGRESS_TEXTS = [
    "已制定整改方案，明确责任人和完成时限。",
    "已组织专题学习，参学人员签到表已归档。",
    "已完成自查，发现的问题已建立清单逐项整改。",
    "相关制度已修订，正在组织宣贯。",
    "已开展现场检查，整改情况已拍照留存。",
    "整改措施已落实大部分，剩余事项正在推进。",
    "整改措施已全部落实，相关资料已整理归档。",
]


def add_synthetic_items(count, rng):
    """Add `count` synthetic items with a realistic past, for benchmarks; returns the number.

    Each item lives a lifecycle before today (see the section's comment), owned by one of the
    organization's people: the demo members and, to spread the load as in a real company,
    synthetic members (`ITEMS_PER_OWNER` items each; the demo owner carries
    `BUSY_OWNER_ITEMS`). Issues carry two items each. Everything is written in one transaction,
    `SYNTHETIC_BATCH` items at a time, numbered and referenced as every item is.
    """
    build_demo()
    seeder = SyntheticLedger(count, rng)
    with transaction.atomic():
        seeder.prepare()
        made = 0
        while made < count:
            size = min(SYNTHETIC_BATCH, count - made)
            seeder.batch(size)
            made += size
        # Written in bulk, the items take their organizations' places (the ledger's sort key)
        # in one statement.
        workflow.renumber_organization_ranks()
    # Fresh statistics, or the planner ignores the indexes of a table that grew a hundredfold.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return made


def synthetic_summary():
    """What the ledger holds now, history rows included."""
    rows = sum(model.history.count() for model in (Issue, Item, ProgressUpdate, ExtensionRequest))
    items, updates = Item.objects.count(), ProgressUpdate.objects.count()
    extensions = ExtensionRequest.objects.count()
    return f"{items} items, {updates} progress updates, {extensions} extension requests, {rows} history rows"


# The state of the history rows' instances, which are only written: one for all.
_SHARED_STATE = ModelState()
HOUR = datetime.timedelta(hours=1)


class SyntheticLedger:
    """Writes the synthetic ledger in batches: simulates each item's life, keeping the record
    as each step left it (its history row), then inserts the records and their rows."""

    def __init__(self, count, rng):
        self.count = count
        self.rng = rng
        # The synthetic past ends when today began: every step is dated before today.
        self.until = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        self.make_issue, self.make_item = bulk.Maker(Issue), bulk.Maker(Item)
        self.make_update, self.make_extension = bulk.Maker(ProgressUpdate), bulk.Maker(ExtensionRequest)
        self.history = {
            model: model.history.model for model in (Issue, Item, ProgressUpdate, ExtensionRequest)
        }

    # The people and the numbering, once ---------------------------------------------------

    def prepare(self):
        company = Organization.objects.get(name=COMPANY)
        self.orgs = list(Organization.objects.exclude(pk=company.pk).select_related("parent").order_by("pk"))
        list(Organization.objects.select_for_update().filter(pk__in=[o.pk for o in self.orgs]).order_by("pk"))
        self.categories = list(Category.objects.filter(is_active=True).order_by("pk"))
        self.leaders = list(
            User.objects.filter(memberships__organization=company, memberships__role=R.LEADERSHIP).distinct()
        ) or [User.objects.filter(is_superuser=True).order_by("pk").first()]
        by_name = {org.name: org for org in self.orgs}
        secretary = User.objects.get(username="secretary")
        self.committee = {}
        for org in self.orgs:
            branch = org if org.name in BRANCH_PEOPLE else by_name.get(org.parent.name if org.parent else "")
            sec = (
                BRANCH_PEOPLE[branch.name][0] if branch is not None and branch.name in BRANCH_PEOPLE else None
            )
            self.committee[org.pk] = User.objects.get(username=sec) if sec else secretary
        self.owners = self._owners()
        self.last = {
            (entry["organization"], entry["year"]): entry["last"]
            for entry in Item.objects.filter(organization__in=self.orgs)
            .values("organization", "year")
            .annotate(last=models.Max("sequence"))
        }
        self.made = 0

    def _owners(self):
        """{organization id: (people, weights)}: the members who own the organization's items,
        demo and synthetic (made here, as many as the load needs), and the weight of each in
        the draw of an item's owner."""
        per_org = self.count / len(self.orgs)
        wanted = max(2, math.ceil(per_org / ITEMS_PER_OWNER))
        members = {org.pk: [] for org in self.orgs}
        for membership in Membership.objects.filter(organization__in=self.orgs, role=R.MEMBER).select_related(
            "user"
        ):
            members[membership.organization_id].append(membership.user)
        taken = User.objects.filter(username__startswith="demo-p").count()
        new_users, new_memberships = [], []
        unusable = make_password(None)
        for org in self.orgs:
            for _n in range(max(0, wanted - len(members[org.pk]))):
                taken += 1
                name = self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, self.rng.choice([1, 2])))
                user = User(username=f"demo-p{taken:05d}", full_name=name, password=unusable)
                new_users.append(user)
                new_memberships.append((user, org))
                members[org.pk].append(user)
        User.objects.bulk_create(new_users, batch_size=1000)
        Membership.objects.bulk_create(
            [Membership(user=user, organization=org, role=R.MEMBER) for user, org in new_memberships],
            batch_size=1000,
        )
        owners = {}
        for org in self.orgs:
            people = members[org.pk]
            # Each owner an equal share, the busy demo owner a larger one.
            share = per_org / max(1, len(people))
            owners[org.pk] = (
                people,
                [BUSY_OWNER_ITEMS / share if person.username == "owner" else 1.0 for person in people],
            )
        return owners

    # One batch ------------------------------------------------------------------------------

    def batch(self, size):
        rng = self.rng
        issues, issue_rows = [], []
        self.items, self.item_rows = [], []
        self.updates, self.update_rows = [], []
        self.extensions, self.extension_rows = [], []
        for n in range((size + 1) // 2):
            org = self.orgs[(self.made + n) % len(self.orgs)]
            category = self.categories[(self.made + n) % len(self.categories)]
            age = rng.choices([rng.randint(0, 60), rng.randint(60, 400), rng.randint(400, 900)], [2, 5, 3])[0]
            raised = self.until - 2 * HOUR - datetime.timedelta(days=age, seconds=rng.randint(0, 36000))
            issue = self.make_issue(
                organization=org,
                category=category,
                source=SOURCES[n % len(SOURCES)],
                description=rng.choice(ISSUES.get(category.name, ISSUES["作风"])),
                raised_on=timezone.localdate(raised),
                created_at=raised,
            )
            issues.append(issue)
            issue_rows.append(
                (issue, self._stamps(issue, raised, self.committee[org.pk], Action.CREATE, "+"))
            )
        bulk.insert_records(Issue, issues, keep_times=True)
        for n in range(size):
            self._life(issues[n // 2])
        bulk.insert_records(Item, self.items, keep_times=True)
        for update in self.updates:
            update.item_id = update._item.pk
        for extension in self.extensions:
            extension.item_id = extension._item.pk
        bulk.insert_records(ProgressUpdate, self.updates, keep_times=True)
        bulk.insert_records(ExtensionRequest, self.extensions, keep_times=True)
        for model, rows in (
            (Issue, issue_rows),
            (Item, self.item_rows),
            (ProgressUpdate, self.update_rows),
            (ExtensionRequest, self.extension_rows),
        ):
            bulk.insert_records(
                self.history[model], [self._row(model, *row) for row in rows], keep_times=True
            )
        self.made += (size + 1) // 2

    def _stamps(self, record, when, user, action, kind, reason="", action_id=None):
        values = dict(record.__dict__)
        values.pop("_state", None)
        values.update(
            history_date=when,
            history_user_id=user.pk,
            history_action=action,
            history_action_id=action_id or uuid.uuid4(),
            history_change_reason=reason,
            history_type=kind,
        )
        return values

    def _row(self, model, record, values):
        """The history row of `record` as `values` left it, now that the records have keys."""
        values["id"] = record.pk
        if model is not Issue and model is not Item:
            values["item_id"] = record._item.pk
        elif model is Item:
            values["issue_id"] = record.issue_id
        row = self.history[model].__new__(self.history[model])
        row.__dict__ = values
        values["_state"] = _SHARED_STATE
        return row

    def _life(self, issue):
        """One item's life, from its creation to its state today: the item as it ends, and its
        history rows, those of its updates and extension requests."""
        rng = self.rng
        org = issue.organization
        committee = self.committee[org.pk]
        people, weights = self.owners[org.pk]
        owner = rng.choices(people, weights)[0]
        leader = rng.choice(self.leaders)
        final = rng.choices([state for state, _w in FINAL_STATES], [w for _s, w in FINAL_STATES])[0]
        if final == Item.Status.REVIEWED and not org.double_review:
            final = Item.Status.SUBMITTED
        long_term = final == Item.Status.LONG_TERM and rng.random() < 0.6
        created = min(issue.created_at + datetime.timedelta(minutes=rng.randint(1, 600)), self.until - HOUR)
        deadline = issue.raised_on + datetime.timedelta(days=rng.randint(15, 120))
        key = (org.pk, issue.raised_on.year)
        self.last[key] = sequence = self.last.get(key, 0) + 1
        item = self.make_item(
            issue=issue,
            organization=org,
            year=issue.raised_on.year,
            sequence=sequence,
            reference=workflow.item_reference(org, issue.raised_on.year, sequence),
            measures=rng.choice(MEASURES.get(issue.category.name, MEASURES["作风"])),
            leader=leader,
            department=BRANCH_PEOPLE.get(org.name, (None, None, "综合办公室"))[2],
            owner=owner,
            kind=Item.Kind.LONG_TERM if long_term else Item.Kind.BY_DEADLINE,
            deadline=None if long_term else deadline,
            next_review_on=deadline if long_term else None,
            closure_criteria="整改措施全部落实，佐证材料齐全，经支部委员会验收通过。",
            opened_on=issue.raised_on,
            created_at=created,
            updated_at=created,
        )
        steps = self._plan(item, final, org.double_review)
        # The steps' times: from the creation to yesterday (an item still open), or over part
        # of that time (one finished), in order.
        span = (self.until - created).total_seconds() - 60
        if final in Item.FINISHED_STATUSES:
            span = min(span, rng.uniform(0.3, 1.0) * max(span, 3600))
        times = sorted(created + datetime.timedelta(seconds=rng.uniform(60, span)) for _s in steps[1:])
        self.items.append(item)
        for step, when in zip(steps, [created, *times], strict=True):
            self._take(item, step, when, owner, committee, leader)

    def _plan(self, item, final, double_review):
        """The steps bringing a new item to `final`: [(action, details)]."""
        rng = self.rng
        steps = [(Action.CREATE, None)]
        if rng.random() < 0.3:
            steps.append((Action.EDIT, None))
        if final == Item.Status.OPEN:
            return steps
        steps.append((Action.START, None))
        posts = rng.randint(1, 5)
        # A long-term item of the by-deadline kind became long-term when its first stage was
        # closed as "stage completed, continuing".
        staged = final == Item.Status.LONG_TERM and item.kind == Item.Kind.BY_DEADLINE
        finishing = staged or final in (Item.Status.SUBMITTED, Item.Status.REVIEWED, Item.Status.CLOSED)
        percents = sorted(rng.sample(range(10, 100, 5), min(posts, 18)))
        if finishing:
            percents[-1] = 100
        extension = item.kind == Item.Kind.BY_DEADLINE and rng.random() < 0.15
        for number, percent in enumerate(percents):
            steps.append((Action.POST_PROGRESS, percent))
            if extension and number == 0:
                steps.append((Action.REQUEST_EXTENSION, None))
                if final != Item.Status.IN_PROGRESS or rng.random() < 0.6:
                    steps.append((Action.DECIDE_EXTENSION, rng.random() < 0.7))
        if final == Item.Status.WITHDRAWN:
            steps.append((Action.WITHDRAW, None))
        if not finishing:
            return steps
        steps.append((Action.SUBMIT, None))
        if rng.random() < 0.2:
            steps += [(Action.RETURN, None), (Action.POST_PROGRESS, 100), (Action.SUBMIT, None)]
        if double_review and final != Item.Status.SUBMITTED:
            steps.append((Action.REVIEW, None))
        if final == Item.Status.CLOSED or staged:
            steps.append((Action.CLOSE, staged))
        return steps

    def _take(self, item, step, when, owner, committee, leader):
        """Apply one step to `item` at `when`, as the workflow's action would; record its rows."""
        action, detail = step
        rng = self.rng
        actor, reason, action_id = owner, "", uuid.uuid4()
        if action == Action.CREATE:
            actor = committee
        elif action == Action.EDIT:
            actor, reason = committee, "根据支部委员会意见细化整改措施。"
            item.measures += "每月向支部委员会报告一次进展。"
        elif action == Action.START:
            item.status = (
                Item.Status.LONG_TERM if item.kind == Item.Kind.LONG_TERM else Item.Status.IN_PROGRESS
            )
        elif action == Action.POST_PROGRESS:
            reason = PROGRESS_TEXTS[-1] if detail == 100 else rng.choice(PROGRESS_TEXTS[:-1])
            item.progress = detail
            update = self.make_update(author=owner, text=reason, percent=detail, created_at=when)
            update._item = item
            self.updates.append(update)
            self.update_rows.append(
                (update, self._stamps(update, when, owner, action, "+", reason, action_id))
            )
        elif action == Action.REQUEST_EXTENSION:
            reason = "井下生产任务重，需错开生产高峰。"
            extension = self.make_extension(
                requested_by=owner,
                previous_deadline=item.deadline,
                proposed_deadline=item.deadline + datetime.timedelta(days=rng.choice([15, 30, 45])),
                reason=reason,
                created_at=when,
            )
            extension._item = item
            self.extensions.append(extension)
            self.extension_rows.append(
                (extension, self._stamps(extension, when, owner, action, "+", reason, action_id))
            )
            return  # the item itself does not change
        elif action == Action.DECIDE_EXTENSION:
            extension = self.extensions[-1]
            actor = committee
            reason = "" if detail else "时限内可以完成，不予延期。"
            extension.status = (
                ExtensionRequest.Status.APPROVED if detail else ExtensionRequest.Status.REJECTED
            )
            extension.decided_by_id, extension.decided_at, extension.decision_note = (
                committee.pk,
                when,
                reason,
            )
            self.extension_rows.append(
                (extension, self._stamps(extension, when, committee, action, "~", reason, action_id))
            )
            if not detail:
                return
            item.original_deadline = item.original_deadline or item.deadline
            item.deadline = extension.proposed_deadline
        elif action == Action.SUBMIT:
            item.status, reason = Item.Status.SUBMITTED, "整改措施已全部落实，请验收。"
        elif action == Action.RETURN:
            actor, reason = committee, "佐证材料不全，请补充会议记录和培训签到表。"
            item.status = Item.Status.IN_PROGRESS
            item.reviewed_by_id = item.reviewed_at = None
        elif action == Action.REVIEW:
            actor, reason = leader, "已现场核实。"
            item.status, item.reviewed_by_id, item.reviewed_at = Item.Status.REVIEWED, actor.pk, when
        elif action == Action.CLOSE and detail:  # stage completed: the item continues, long-term
            actor, reason = committee, "阶段性任务已完成，需长期坚持。"
            item.kind, item.status, item.outcome = (
                Item.Kind.LONG_TERM,
                Item.Status.LONG_TERM,
                Item.Outcome.STAGE_COMPLETED,
            )
            item.next_review_on = timezone.localdate(when) + datetime.timedelta(days=90)
            item.verification_note, item.verified_by_id, item.verified_at = reason, committee.pk, when
        elif action == Action.CLOSE:
            actor, reason = committee, "经验收，整改措施落实到位，佐证材料齐全，同意销号。"
            item.status, item.outcome, item.progress = Item.Status.CLOSED, Item.Outcome.COMPLETED, 100
            item.verification_note, item.verified_by_id, item.verified_at = reason, committee.pk, when
        elif action == Action.WITHDRAW:
            actor, reason = committee, "经核实，该问题与另一事项重复，合并整改。"
            item.status = Item.Status.WITHDRAWN
        if action != Action.CREATE:
            item.version += 1
        item.updated_at = when
        self.item_rows.append(
            (
                item,
                self._stamps(
                    item, when, actor, action, "+" if action == Action.CREATE else "~", reason, action_id
                ),
            )
        )
