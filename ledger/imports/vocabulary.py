"""The vocabulary of ledgers kept by hand: the fields a column can hold, the headings and words
offices write for them, dates as they are typed, and what a ledger means when it says less than
we store (the domain defaults, stated once below).

Everything here turns one cell's text into a value; which rows and columns hold what is
`ledger.imports.rows`' business.
"""

import calendar
import datetime
import functools
import re

from django.conf import settings
from django.utils import formats, translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.datetime import from_excel

from ..models import Issue, Item, ProgressUpdate
from .reading import Formula


def _label(model, name):
    # The models' own (already translated) field names, so headings read as on every page.
    return capfirst(model._meta.get_field(name).verbose_name)


# The fields a column can be mapped to, in the ledger's column order.
FIELDS = {
    "reference": _("Reference"),
    "serial": _("No. in the file"),
    "organization": _label(Item, "organization"),
    "description": _label(Issue, "description"),
    "category": _label(Issue, "category"),
    "source": _label(Issue, "source"),
    "raised_on": _label(Issue, "raised_on"),
    "measures": _label(Item, "measures"),
    "closure_criteria": _label(Item, "closure_criteria"),
    "leader": _label(Item, "leader"),
    "department": _label(Item, "department"),
    "owner": _label(Item, "owner"),
    "co_owners": _("Co-owners"),
    "kind": _label(Item, "kind"),
    "deadline": _label(Item, "deadline"),
    "original_deadline": _label(Item, "original_deadline"),
    "next_review_on": _label(Item, "next_review_on"),
    "status": _label(Item, "status"),
    "completed_on": _("Completed on"),
    "percent": _label(Item, "progress"),
    "progress": _label(ProgressUpdate, "text"),
    "remarks": _("Remarks"),
}
REQUIRED = ("description", "measures")

# The usual headings of ledgers kept by hand (normalised: no blanks, colons or brackets'
# contents, lower case: "整改措施（具体举措）" and "责任人（签字）" read as "整改措施" and "责任人").
SYNONYMS = {
    "reference": ["编号", "事项编号", "台账编号", "reference"],
    "serial": ["序号", "问题序号", "no", "no."],
    "organization": ["组织", "所属组织", "党组织", "责任组织", "organization"],
    "description": [
        "问题描述",
        "存在问题",
        "存在的问题",
        "查摆问题",
        "查摆出的问题",
        "问题清单",
        "问题",
        "问题表现",
        "具体问题",
        "issuedescription",
        "issue",
    ],
    "category": ["问题类别", "问题类型", "问题分类", "类别", "category"],
    "source": ["问题来源", "来源", "source"],
    "raised_on": ["提出日期", "提出时间", "发现时间", "dateraised"],
    "measures": ["整改措施", "措施", "整改内容", "整改举措", "具体措施", "整改任务", "任务清单", "measures"],
    "closure_criteria": ["整改目标", "整改标准", "销号标准", "目标要求", "closurecriteria"],
    "leader": ["责任领导", "分管领导", "牵头领导", "责任领导人", "responsibleleader"],
    "department": ["责任部门", "责任单位", "牵头部门", "牵头单位", "责任处室", "responsibledepartment"],
    "owner": ["责任人", "具体责任人", "整改责任人", "owner"],
    "co_owners": ["协办人", "配合人", "协助人", "配合责任人", "其他责任人", "co-owners", "coowners"],
    "kind": ["整改类型", "整改方式", "类型", "kind"],
    "deadline": [
        "整改时限",
        "完成时限",
        "整改期限",
        "完成期限",
        "时限",
        "完成时间",
        "计划完成时间",
        "计划完成时限",
        "计划完成日期",
        "延期后整改时限",
        "延期后完成时限",
        "调整后整改时限",
        "deadline",
    ],
    "original_deadline": ["原定时限", "原整改时限", "原完成时限", "originaldeadline"],
    "next_review_on": ["下次复查", "下次复查日期", "复查日期", "下次评估日期", "nextreviewdate"],
    "status": ["整改状态", "是否完成", "完成状态", "状态", "整改结果", "status"],
    "completed_on": ["实际完成时间", "实际完成日期", "完成日期", "销号日期", "completedon"],
    "percent": ["进度", "完成进度", "整改进度", "progress(%)", "progress%"],
    "progress": ["整改进展", "完成情况", "进展情况", "整改情况", "整改完成情况", "整改落实情况", "progress"],
    "remarks": ["备注", "remarks", "notes"],
    # Recognised so that the heading row is found, then left out. The light (亮灯) an export
    # carries is derived from the deadline and the pace, never stored: an exported file
    # imports back without it.
    "": ["说明", "亮灯", "亮灯状态", "亮灯督办", "督办亮灯", "light", "trafficlight"],
}


# ---------------------------------------------------------------------------------------------
# What a ledger means when it says less than we store: the domain defaults, stated once.

# A row that names no kind is fixed by its deadline (限期整改); an immediate item (立行立改)
# without a date is due the day it was raised (else the day of the import).
DEFAULT_KIND = Item.Kind.BY_DEADLINE
# A row that names no source came from elsewhere (其他).
DEFAULT_SOURCE = Issue.Source.OTHER
# A long-term item (长期坚持) needs a review date; one a ledger does not give is set a quarter
# ahead of the import.
DEFAULT_REVIEW_DAYS = 90
# A 是否完成 ("done?") column answers 是 or 否: done means closed (已销号), not done means the
# work goes on (整改中).
YES_NO_STATUS = {"是": Item.Status.CLOSED, "否": Item.Status.IN_PROGRESS}
# A row that names no category is filed under the category flagged as the default
# (`Category.is_default`, set in the admin), never one found by its name.


def default_review_on(today):
    """The review date of a long-term item whose ledger gives none."""
    return today + datetime.timedelta(days=DEFAULT_REVIEW_DAYS)


# ---------------------------------------------------------------------------------------------
# Words

KIND_WORDS = {
    Item.Kind.IMMEDIATE: ["立行立改", "立即整改", "immediate"],
    Item.Kind.BY_DEADLINE: ["限期整改", "bydeadline"],
    Item.Kind.LONG_TERM: ["长期坚持", "长期", "long-term", "longterm"],
}
STATUS_WORDS = {
    Item.Status.OPEN: ["待整改", "未开始", "未整改", "open"],
    Item.Status.IN_PROGRESS: ["整改中", "正在整改", "进行中", "未完成", "inprogress"],
    Item.Status.SUBMITTED: ["待验收", "awaitingverification"],
    Item.Status.REVIEWED: ["领导已审核", "reviewedbyleader"],
    Item.Status.LONG_TERM: ["长期坚持", "long-term", "longterm"],
    Item.Status.CLOSED: ["已销号", "已完成", "完成", "已整改", "closed", "completed"],
    Item.Status.WITHDRAWN: ["已撤销", "撤销", "withdrawn"],
}
SOURCE_WORDS = {
    Issue.Source.SOLICITATION: ["征求意见", "意见征求"],
    Issue.Source.TALK: ["谈心谈话", "谈心"],
    Issue.Source.CRITICISM: ["批评与自我批评", "相互批评", "自我批评"],
    Issue.Source.INSPECTION: ["巡视巡察", "巡视", "巡察", "检查"],
    Issue.Source.SUPERIOR: ["上级反馈", "上级点评", "上级指出"],
    Issue.Source.SELF_CHECK: ["自查", "自查自纠", "自我检视"],
    Issue.Source.OTHER: ["其他"],
}
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+[\d:]+)?$")
# 2026年12月, 2026年12月底, 2026.12, 2026-12: the month's last day.
MONTH_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*[底末]?$")
COMPACT_PATTERN = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# 前 / 之前 / 以前 ("by") change nothing.
BY_SUFFIX = re.compile(r"\s*(?:之前|以前|前)$")
PERCENT_PATTERN = re.compile(r"^(\d{1,3}(?:\.\d+)?)\s*%?$")
# Excel serial numbers of dates from 1954 to 2173: never a yyyy.mm number or a yyyymmdd one.
SERIALS = range(20000, 100000)

BLANKS = re.compile(r"[\s*:：]+")
# People's names: every blank out (王  强, 王　强 and "王强\n" are 王强).
NAME_BLANKS = re.compile(r"\s+")
# Between several people in one cell: 王强、杨帆, 王强/杨帆, 王强,杨帆, 王强，杨帆.
NAME_SEPARATORS = re.compile(r"[、/,，;；\n]+")


def normalise(text):
    """Text as headings and words are compared: no blanks or colons, lower case."""
    text = str(text)
    # A ledger repeats the same few categories, states and names on every row: short texts
    # are remembered (long ones, which would fill the memory of a server, are not).
    return _normalise_short(text) if len(text) <= 50 else _normalise(text)


def _normalise(text):
    text = text.replace("（", "(").replace("）", ")").replace("：", ":")
    return BLANKS.sub("", text).lower()


_normalise_short = functools.lru_cache(maxsize=4096)(_normalise)


def heading_index():
    """Normalised heading → field, including the export's headings in the current language."""
    index = {}
    for name, words in SYNONYMS.items():
        for word in words:
            index[normalise(word)] = name
    # The export's own headings win over the usual ones, the reader's language last.
    for language in [code for code, _name in settings.LANGUAGES] + [translation.get_language()]:
        with translation.override(language):
            for name, label in FIELDS.items():
                index[normalise(label)] = name
    return index


def field_of(value, index):
    """The field a heading cell names, by `heading_index()`, or None."""
    if value is None or isinstance(value, Formula):
        return None
    text = normalise(value)
    if text in index:
        return index[text]
    # "整改时限（完成日期）" → "整改时限"
    stripped = re.sub(r"\(.*?\)", "", text)
    return index.get(stripped) if stripped else None


CHOICES = {"source": Issue.Source, "kind": Item.Kind, "status": Item.Status}


def show_value(name, value):
    """A value as the preview shows it: a choice by its label, a date as 2026-11-30."""
    if value is None or value == "":
        return ""
    if name in CHOICES and value in CHOICES[name].values:
        return CHOICES[name](value).label
    if isinstance(value, datetime.date):
        return formats.date_format(value, "Y-m-d")
    if isinstance(value, list):
        return "、".join(str(person) for person in value)
    return str(value)


def parse_date(value):
    """A date from a cell, or None: a date cell, 2026-11-30 and its variants, a month
    (2026年12月底, 2026.12: its last day), 20261231, with 前/之前 or not; a number only as
    yyyy.mm, yyyymmdd or an Excel serial number (never 2026.12 as 1905-07-18)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) or (isinstance(value, str) and len(value) <= 50):
        # A ledger writes the same few deadlines (2027年3月底) on thousands of rows: each
        # distinct short text or number is read once (a date is immutable, shared safely).
        return _parse_date_short(value)
    return _parse_date(value)


def _parse_date(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _number_date(value)
    text = BY_SUFFIX.sub("", str(value).strip())
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _number_date(float(text))
    for pattern, month_end in ((DATE_PATTERN, False), (COMPACT_PATTERN, False), (MONTH_PATTERN, True)):
        match = pattern.match(text)
        if match:
            return _date(*(int(part) for part in match.groups()), month_end=month_end)
    return None


# Typed: True and 1, 1 and 1.0 are told apart, as `_parse_date` tells them.
_parse_date_short = functools.lru_cache(maxsize=4096, typed=True)(_parse_date)


def ambiguous_date(value):
    """Whether a number cell reads as two dates: Excel keeps 2026.10 as 2026.1."""
    return isinstance(value, float) and 1900 <= value < 2200 and f"{value:.10g}".partition(".")[2] == "1"


def _number_date(value):
    if isinstance(value, float) and 1900 <= value < 2200 and not value.is_integer():
        # 2026.12 typed into a number cell: December 2026.
        year, _dot, month = f"{value:.10g}".partition(".")
        if len(month) > 2 or month == "1":
            return None
        return _date(int(year), int(month.ljust(2, "0")) if len(month) == 2 else int(month), month_end=True)
    if float(value).is_integer() and 19000101 <= value <= 22001231:
        match = COMPACT_PATTERN.match(str(int(value)))
        return _date(*(int(part) for part in match.groups()))
    if value in SERIALS or (isinstance(value, float) and SERIALS.start <= value < SERIALS.stop):
        return from_excel(value).date()
    return None


def _date(year, month, day=1, month_end=False):
    try:
        if month_end:
            return datetime.date(year, month, calendar.monthrange(year, month)[1])
        return datetime.date(year, month, day)
    except (ValueError, calendar.IllegalMonthError):
        return None


def name_key(text):
    """A person's name as names are compared: without any blank."""
    return NAME_BLANKS.sub("", str(text))


def split_names(text, known):
    """The names in a cell, first the owner's: split at 、/,， and at blanks only when every
    part is a known person's name (`known`: a set of `name_key`s)."""
    parts = [name_key(part) for part in NAME_SEPARATORS.split(str(text).strip())]
    names = []
    for part, raw in zip(parts, NAME_SEPARATORS.split(str(text).strip()), strict=True):
        words = [name_key(word) for word in raw.split()]
        if len(words) > 1 and part not in known and all(word in known for word in words):
            names.extend(words)
        elif part:
            names.append(part)
    return names


def word_match(value, words_by_key):
    """The key whose words hold the text, or None."""
    text = normalise(value)
    for key, words in words_by_key.items():
        if text in {normalise(word) for word in words}:
            return key
    return None


@functools.cache
def choice_index(choices_class, extra_key=None):
    """Normalised word → code: codes, labels in every language, and the usual words."""
    index = {}
    extra = {"source": SOURCE_WORDS, "kind": KIND_WORDS, "status": STATUS_WORDS}.get(extra_key, {})
    for code, words in extra.items():
        for word in words:
            index[normalise(word)] = code
    if extra_key == "status":
        for word, code in YES_NO_STATUS.items():
            index[normalise(word)] = code
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in choices_class.choices:
                index[normalise(label)] = code
    for code in choices_class.values:
        index[normalise(code)] = code
    return index


def choice(value, choices_class, extra_key=None):
    """The choice whose code, label (in any language) or usual word matches the text."""
    return choice_index(choices_class, extra_key).get(normalise(value))


def heading_score(head):
    """How much a sheet's first rows look like a ledger's headings: the most fields one row names."""
    index = heading_index()
    return max(
        (len({field_of(value, index) for value in values} - {None, ""}) for _number, values in head),
        default=0,
    )
