"""The rows of an imported sheet and their preview.

`prepare()` finds the heading row (below title rows, over a second row of merged headings),
maps columns to fields by their usual headings or by the user's hand-made mapping, and (for the
preview) reads every row as the value it will store, with per-cell errors in plain language,
keeping only the rows a person looks at. `Lookups` holds what rows refer to (organizations,
people, categories), read once per import. Nothing here writes: `ledger.imports.storing` does.
"""

import functools
import hashlib
import itertools
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

from core.models import Organization
from core.permissions import Eligibility, Scope, eligible_memberships, subtree_ids

from ..models import Category, Issue, Item
from .reading import HEADER_SEARCH_ROWS, Formula, Table
from .vocabulary import (
    DEFAULT_KIND,
    DEFAULT_SOURCE,
    FIELDS,
    KIND_WORDS,
    PERCENT_PATTERN,
    REQUIRED,
    ambiguous_date,
    choice,
    default_review_on,
    field_of,
    heading_index,
    name_key,
    normalise,
    parse_date,
    show_value,
    split_names,
    word_match,
)

# A preview lists every row with an error (up to this many) and the first others.
PREVIEW_ROWS = 200
MAX_ERROR_ROWS = 1000

NO_ROWS = _("The file has no rows below its headings.")


@dataclass(frozen=True)
class Placeholder:
    """A person named in the file, to be created as an inactive placeholder on commit."""

    name: str

    def __str__(self):
        return self.name


@dataclass
class Column:
    index: int
    heading: str
    field: str  # "" when ignored
    hidden: bool = False

    @property
    def letter(self):
        return get_column_letter(self.index + 1)

    @property
    def field_label(self):
        return FIELDS.get(self.field, "")


@dataclass
class Row:
    number: int
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    # The fields the file gives; the others hold defaults, used for new items only.
    given: frozenset = frozenset()
    # Where each given field was read: {field: (cell address, the file's heading)}.
    where: dict = field(default_factory=dict)

    def error(self, name, message):
        self.errors.setdefault(name, []).append(str(message))

    def cell(self, name):
        """The address of the cell a field was read from ("D7"), or ""."""
        return self.where.get(name, ("", ""))[0]

    def heading(self, name):
        """The file's own heading of the column a field was read from, else our field's name."""
        heading = self.where.get(name, ("", ""))[1]
        return heading or str(FIELDS.get(name, name))

    @functools.cached_property
    def key(self):
        """The import key that recognises the row when the file is imported again (`row_key`);
        the importer gives it with the row's ordinal (`storing.Identities`)."""
        return row_key(self.values)

    @functools.cached_property
    def issue_signature(self):
        """What makes rows describe the same issue (see `_issue_signature`)."""
        return _issue_signature(self.values)

    def cells(self):
        """(field, shown value, errors) in the ledger's column order, for the preview."""
        return [(name, show_value(name, self.values.get(name)), self.errors.get(name, [])) for name in FIELDS]


@dataclass
class Preview:
    """What an import will store, read from the table with the user's choices.

    `parse()` reads the rows again and yields each one as it will be stored. `prepare()`
    fills `rows` with what a person looks at (every row with an error, up to `MAX_ERROR_ROWS`,
    and the first `keep` others) and counts the rest: nothing here grows with the file.
    """

    table: Table
    organization: Organization
    header_number: int | None
    columns: list
    start: int  # the rows of the table's head that are headings or titles
    lookups: "Lookups | None" = None
    rows: list = field(default_factory=list)
    row_count: int = 0
    error_row_count: int = 0
    width: int = 0  # of the widest row read
    problems: list = field(default_factory=list)  # about the whole file
    unknown_names: list = field(default_factory=list)
    candidates: list = field(default_factory=list)
    # {section_key: category pk} chosen by the user; {section_key: (title, category found)}.
    section_choices: dict = field(default_factory=dict)
    section_titles: dict = field(default_factory=dict)
    message_count: int = 0  # of every row, shown or not

    @property
    def sheets(self):
        """(position, name) of the workbook's sheets, to choose the one read."""
        return list(enumerate(self.table.sheets))

    @property
    def categories(self):
        return sorted(self.lookups.categories_by_pk.values(), key=lambda c: c.name) if self.lookups else []

    @property
    def sections(self):
        """(key, title, category found, category chosen) of every section title met."""
        return [
            (key, title, matched, self.section_choices.get(key))
            for key, (title, matched) in self.section_titles.items()
        ]

    @property
    def shown_columns(self):
        """The columns imported, in the file's order, as the preview's table shows them."""
        return [column for column in self.columns if column.field]

    def grid(self):
        """The rows kept as the file shows them: (row, [(column, shown value, errors)], errors
        about fields no column holds), for the preview's table."""
        columns = self.shown_columns
        held = {column.field for column in columns}
        grid = []
        for row in self.rows:
            cells = [
                (
                    column,
                    show_value(column.field, row.values.get(column.field)),
                    row.errors.get(column.field, []),
                )
                for column in columns
            ]
            others = [
                f"{where(row, name)}: {message}"
                for name, messages in row.errors.items()
                if name not in held
                for message in messages
            ]
            grid.append((row, cells, others))
        return grid

    @property
    def sheet(self):
        return self.table.sheet

    @property
    def error_count(self):
        """Problems, counted honestly: every message of every row, and those about the file."""
        return len(self.problems) + self.message_count

    @property
    def is_valid(self):
        return self.error_count == 0

    def parse(self):
        """Every row below the headings as a `Row`, read from the file again.

        A row whose one cell is merged across the table (一、思想政治方面) is a section title:
        it files the rows below under its category. Footers (填表人 / 审核人 / 填报日期, a
        说明 line) end the data.
        """
        today = timezone.localdate()
        table = self.table
        mapped = [(c.field, c.index, c.heading) for c in self.columns if c.field]
        section = None
        for number, values in itertools.islice(table.rows(), self.start, None):
            width = len(values)
            self.width = max(self.width, width)
            filled = [(index, value) for index, value in enumerate(values) if value is not None]
            if is_footer(filled):
                return
            span = table.sections.get(number)
            if span and len(filled) == 1 and filled[0][0] == span[0] and span[1] - span[0] >= 2:
                section = self.section(str(filled[0][1]).strip(), table.address(span[0], number))
                continue
            raw, where = {}, {}
            for name, index, heading in mapped:
                if index < width and values[index] is not None:
                    raw[name] = values[index]
                    where[name] = (table.address(index, number), heading)
            if raw:
                row = _parse_row(number, raw, self.lookups, today, section)
                for name, message in table.row_problems(number):
                    row.errors.pop(name, None)
                    row.error(name, message)
                row.where.update(where)
                yield row

    def section(self, title, address):
        """(title, category or None, address) of a section title, by the user's choice or its words."""
        key = section_key(title)
        chosen = self.section_choices.get(key)
        category = self.lookups.categories_by_pk.get(chosen) if chosen else None
        matched = self.lookups.section_category(title)
        self.section_titles.setdefault(key, (title, matched))
        return (title, category or matched, address)


FOOTER = re.compile(
    r"^(?:填表人|填报人|制表人|审核人|审批人|复核人|填报日期|填表日期|制表日期|报送日期|填报单位|联系人|联系电话|"
    r"单位负责人|主要负责人|负责人)\s*[:：]?"
)
NOTE = re.compile(r"^(?:说明|注|备注|填表说明|填报说明)\s*[:：、]")


def is_footer(filled):
    """Whether a row is a footer (every cell 填表人：… / 审核人：… / 填报日期：…) or a 说明 line."""
    if not filled or not all(isinstance(value, str) for _index, value in filled):
        return False
    if len(filled) == 1 and NOTE.match(filled[0][1]):
        return True
    return all(FOOTER.match(value) for _index, value in filled)


SECTION_NUMBER = re.compile(r"^[（(]?[一二三四五六七八九十百\d]+[)）]?[、.．\s]*")
SECTION_TAIL = re.compile(r"(?:方面的?问题|方面|问题|类)$")


def section_key(title):
    """The key under which the category chosen for a section title is given."""
    return "section_" + hashlib.sha256(normalise(title).encode()).hexdigest()[:12]


def find_header(table):
    """(position of the heading row in `table.head`, position of a second heading row or None)."""
    index = heading_index()
    best, best_count = None, 1
    for position, (_number, values) in enumerate(table.head[:HEADER_SEARCH_ROWS]):
        count = sum(1 for value in values if field_of(value, index) is not None)
        if count > best_count:
            best, best_count = position, count
    if best is None:
        # No heading recognised: the first row still is the heading row of nearly every file;
        # the user maps its columns by hand.
        return (0, None) if table.head else (None, None)
    # Merged heading cells: "责任" over "责任领导 | 责任人" on the next row.
    if best + 1 < len(table.head):
        below = [value for value in table.head[best + 1][1] if value is not None]
        if below and all(field_of(value, index) is not None for value in below):
            return best, best + 1
    return best, None


def detect_columns(table, mapping=None):
    """The columns with their headings and fields, and where the data starts.

    `mapping` ({column index: field name or ""}) overrides what the headings say.
    """
    index = heading_index()
    header, second = find_header(table)
    columns = []
    # Columns mapped by hand may lie right of the head rows (found by the preview's reading).
    width = max(table.width, max(mapping, default=-1) + 1 if mapping else 0)
    for position in range(width):
        heading, name = "", ""
        if header is not None:
            main = _cell(table.head[header][1], position)
            sub = _cell(table.head[second][1], position) if second is not None else None
            if sub is not None and field_of(sub, index) is not None:
                heading, name = str(sub), field_of(sub, index)
            elif main is not None:
                heading, name = str(main), field_of(main, index) or ""
        if mapping and position in mapping:
            name = mapping[position]
        columns.append(Column(index=position, heading=heading, field=name, hidden=position in table.hidden))
    # After an extension the original 整改时限 is often hidden beside a visible 延期后整改时限:
    # the visible one is the deadline, the hidden one the original deadline.
    deadlines = [c for c in columns if c.field == "deadline" and not (mapping and c.index in mapping)]
    if len(deadlines) == 2 and deadlines[0].hidden != deadlines[1].hidden:
        next(c for c in deadlines if c.hidden).field = "original_deadline"
    start = 0 if header is None else (second if second is not None else header) + 1
    return header, columns, start


def _cell(values, position):
    return values[position] if position < len(values) else None


def person_key(name):
    """The key under which the person chosen for a name in the file is given."""
    return "person_" + hashlib.sha256(name.encode()).hexdigest()[:12]


class Lookups:
    """What rows refer to, read once per import: organizations, people, categories."""

    def __init__(self, actor, organization, people=None, create_people=False):
        scope = Scope.for_user(actor)
        # The whole (small) organization tree in one query: subtree, ancestors and names.
        tree = {org.pk: org for org in Organization.objects.all()}
        children = {}
        for org in tree.values():
            children.setdefault(org.parent_id, []).append(org.pk)
        subtree = subtree_ids([organization.pk], children)
        allowed = subtree if scope.is_superuser else subtree & scope.committee_org_ids
        self.organization = organization
        self.organizations = {}
        for org in sorted((tree[pk] for pk in allowed), key=lambda org: (org.sort_order, org.name)):
            self.organizations[normalise(org.name)] = org
            self.organizations.setdefault(normalise(org.short_name), org)
        self.known_organizations = {normalise(org.name) for org in tree.values()}
        # The people who may own or lead the items of the organization imported into, with
        # their memberships, in one query: the rows' organizations lie below it, and whether a
        # person may own or lead a row's item is told by the same memberships (`Eligibility`).
        self.by_id, pairs = {}, []
        memberships = eligible_memberships(organization, children).exclude(user__full_name="")
        for membership in memberships.select_related("user").order_by():
            self.by_id.setdefault(membership.user_id, membership.user)
            pairs.append((membership.user_id, membership.organization_id))
        self.eligibility = Eligibility(children_by_parent=children, memberships=pairs)
        # Names compared without blanks on both sides: 王  强 and 王　强 are 王强.
        self.people = {}
        for user in self.by_id.values():
            self.people.setdefault(name_key(user.full_name), []).append(user)
        self.known_names = set(self.people)
        # Chosen by the key of the name (`person_key`): a form field names no one's name.
        self.mapped = {key: self.by_id[pk] for key, pk in (people or {}).items() if pk in self.by_id}
        self.create_people = create_people
        self.categories = {}
        self.categories_by_pk = {}
        self.default_category = None
        for category in Category.objects.all():
            self.categories_by_pk[category.pk] = category
            for word in (category.name, category.name_en):
                if word:
                    self.categories[normalise(word)] = category
            if category.is_default:
                # Rows that name no category are filed under it (see `vocabulary`).
                self.default_category = category
        self.unknown_names = set()

    def section_category(self, title):
        """The category a section title names (一、安全生产方面 → 安全), or None: its words
        without the number and 方面, else the one category whose name they hold."""
        words = normalise(SECTION_TAIL.sub("", SECTION_NUMBER.sub("", title.strip())))
        if words in self.categories:
            return self.categories[words]
        held = {category for word, category in self.categories.items() if word and word in words}
        return held.pop() if len(held) == 1 else None

    def person(self, row, name, value):
        """The user named in a cell, the one the user chose for that name, or a placeholder
        (who is eligible in the organization imported into, so in every row's)."""
        text = name_key(value)
        found = self.people.get(text, [])
        if len(found) == 1:
            return self.eligible(row, name, found[0])
        # Remembered even when mapped, so that the list of names to map stays the same.
        self.unknown_names.add(text)
        chosen = self.mapped.get(person_key(text))
        if chosen is not None:
            return self.eligible(row, name, chosen)
        if len(found) > 1:
            row.error(name, _("Several people are named “{name}”: choose one below.").format(name=text))
        elif self.create_people:
            return Placeholder(text)
        else:
            row.error(name, _("Unknown person “{name}”: choose the person below.").format(name=text))
        return None

    def eligible(self, row, name, person):
        """`person`, when eligible for the row's organization; else None and the cell's error."""
        organization = row.values["organization"]
        if organization.pk == self.organization.pk or self.eligibility.allows(person.pk, organization.pk):
            return person
        row.error(
            name,
            _("{person} is not a member of {organization}, of a unit below it or of one above it.").format(
                person=person, organization=organization
            ),
        )
        return None

    @property
    def candidates(self):
        """The people a name may be mapped to, by name."""
        return sorted(self.by_id.values(), key=lambda user: (user.full_name, user.username))


def prepare(
    table,
    actor,
    organization,
    mapping=None,
    people=None,
    create_people=False,
    *,
    scan=True,
    keep=None,
    sections=None,
):
    """The rows as they will be stored, with per-cell errors; nothing is written.

    `mapping` ({column index: field name or ""}) overrides what the headings say; `people`
    ({`person_key(name)`: user id}) names the person a name stands for. With `scan` every row
    is read and checked now (the preview); without it only the headings are, and `commit()`
    checks each row as it stores it (one reading of the file in all). The preview keeps every
    row with an error (up to `MAX_ERROR_ROWS`) and the first `keep` others (`PREVIEW_ROWS`).
    """
    header, columns, start = detect_columns(table, mapping)
    preview = Preview(
        table=table,
        organization=organization,
        header_number=table.head[header][0] if header is not None else None,
        columns=columns,
        start=start,
        section_choices=sections or {},
    )
    used = {}
    for column in columns:
        if column.field and column.field in used:
            preview.problems.append(
                _("Columns {first} and {second} are both mapped to “{field}”: keep one.").format(
                    first=used[column.field].letter, second=column.letter, field=column.field_label
                )
            )
        used.setdefault(column.field, column)
    for name in REQUIRED:
        if name not in used:
            preview.problems.append(
                _("No column holds “{field}”: map it by hand below.").format(field=FIELDS[name])
            )
    if preview.problems:
        return preview
    preview.lookups = Lookups(actor, organization, people, create_people)
    if not scan:
        return preview
    for row in preview.parse():
        preview.row_count += 1
        preview.message_count += sum(len(messages) for messages in row.errors.values())
        if row.errors:
            preview.error_row_count += 1
            if preview.error_row_count <= MAX_ERROR_ROWS:
                preview.rows.append(row)
        elif preview.row_count - preview.error_row_count <= (PREVIEW_ROWS if keep is None else keep):
            preview.rows.append(row)
    if not preview.row_count:
        preview.problems.append(NO_ROWS)
    # Cells right of the headings, further down than the head: columns to map by hand too.
    for index in range(len(preview.columns), preview.width):
        preview.columns.append(Column(index=index, heading="", field=""))
    preview.unknown_names = sorted(preview.lookups.unknown_names)
    preview.candidates = preview.lookups.candidates
    return preview


def _parse_row(number, raw, lookups, today, section=None):
    row = Row(number=number)
    values = row.values
    for name, value in raw.items():
        # Ledgers often number their rows with a formula (=ROW()-1): no number, no harm.
        if isinstance(value, Formula) and name != "serial":
            row.error(
                name, _("This cell holds a formula; formulas are not imported. Paste its value instead.")
            )
    raw = {name: value for name, value in raw.items() if not isinstance(value, Formula)}
    given = set(raw)
    texts = {name: str(value).strip() for name, value in raw.items()}
    for name in (
        "reference",
        "description",
        "measures",
        "department",
        "progress",
        "closure_criteria",
        "remarks",
    ):
        if name in texts:
            values[name] = texts[name]
    if "serial" in raw:
        # The file's own number, as written (1, not 1.0).
        serial = raw["serial"]
        values["serial"] = (
            str(int(serial)) if isinstance(serial, float) and serial.is_integer() else texts["serial"]
        )
    for name in REQUIRED:
        if not values.get(name) and name not in row.errors:
            row.error(name, _("This cell is empty; it is required."))
    values["organization"] = lookups.organization
    if "organization" in texts:
        org = lookups.organizations.get(normalise(texts["organization"]))
        if org is None:
            if normalise(texts["organization"]) in lookups.known_organizations:
                row.error("organization", _("This organization is outside your scope."))
            else:
                row.error("organization", _("Unknown organization."))
        else:
            values["organization"] = org
    _parse_category(row, texts, lookups, section)
    if section is not None and "category" not in texts:
        given.add("category")
    values["source"] = DEFAULT_SOURCE
    if "source" in texts:
        values["source"] = choice(texts["source"], Issue.Source, "source")
        if values["source"] is None:
            row.error("source", _("Unknown source."))
    for name in ("raised_on", "next_review_on", "completed_on", "original_deadline"):
        if name in raw:
            values[name] = parse_date(raw[name])
            if values[name] is None:
                row.error(name, date_problem(raw[name]))
    values.setdefault("raised_on", today)
    _parse_people(row, texts, lookups, given)
    _parse_deadline(row, raw, texts, today)
    if "status" in texts:
        values["status"] = choice(texts["status"], Item.Status, "status")
        if values["status"] is None:
            row.error("status", _("State not understood; write 待整改, 整改中, 待验收 or 已销号."))
        elif values["status"] == Item.Status.IN_PROGRESS and values.get("kind") == Item.Kind.LONG_TERM:
            values["status"] = Item.Status.LONG_TERM
    if "percent" in raw:
        value = raw["percent"]
        if isinstance(value, str) and re.fullmatch(r"0?\.\d+", value.strip()):
            value = float(value)  # "0.6" in a CSV, as a number cell holds it
        if isinstance(value, float) and 0 <= value <= 1 and "%" not in texts["percent"]:
            value = value * 100  # a fraction: 0.6 for 60 %
        match = PERCENT_PATTERN.match(str(value).strip())
        if match and float(match.group(1)) <= 100:
            # Given even without a progress text (the state of the work is the percent).
            values["percent"] = int(float(match.group(1)) + 0.5)  # 12.5 % is 13 %, as people round
        else:
            row.error("percent", _("Give the progress as a whole number from 0 to 100."))
    row.given = frozenset(given)
    return row


def _parse_category(row, texts, lookups, section):
    values = row.values
    values["category"] = lookups.default_category
    if "category" in texts:
        values["category"] = lookups.categories.get(normalise(texts["category"]))
        if values["category"] is None:
            row.error("category", _("Unknown category."))
    elif section is not None:
        title, category, address = section
        values["category"] = category
        row.where["category"] = (address, "")
        if category is None:
            row.error(
                "category",
                _(
                    "The section title “{title}” names no known category: choose its category above the rows, or write the category in a column."
                ).format(title=title),
            )
    elif values["category"] is None:
        row.error(
            "category",
            _(
                "No category is given and none is set as the default: write the category, or mark one as the default."
            ),
        )


def _parse_people(row, texts, lookups, given):
    """The leader, the owner and the co-owners: a cell naming several people gives the owner
    first and the others as co-owners (协办人), never a person named "王强、杨帆"."""
    values = row.values
    if "leader" in texts:
        names = split_names(texts["leader"], lookups.known_names)
        if len(names) > 1:
            row.error("leader", _("Name one responsible leader; write the others as co-owners (协办人)."))
        elif names:
            values["leader"] = lookups.person(row, "leader", names[0])
    co_owners = []
    if "owner" in texts:
        names = split_names(texts["owner"], lookups.known_names)
        if names:
            values["owner"] = lookups.person(row, "owner", names[0])
            co_owners.extend(lookups.person(row, "owner", name) for name in names[1:])
        given.add("co_owners")
    if "co_owners" in texts:
        names = split_names(texts["co_owners"], lookups.known_names)
        co_owners.extend(lookups.person(row, "co_owners", name) for name in names)
    if "owner" in texts or "co_owners" in texts:
        seen = set()
        values["co_owners"] = [
            person
            for person in co_owners
            if person is not None
            and person != values.get("owner")
            and not (person in seen or seen.add(person))
        ]


def date_problem(value):
    """What to write instead of a date not understood (never a guess)."""
    if ambiguous_date(value):
        return _("{value} may be January or October: write 2026年1月 or 2026年10月.").format(
            value=f"{value:g}"
        )
    return _("Date not understood; write it as 2026-11-30 or 2026年11月底.")


KIND_AND_DATE = re.compile(r"^(长期坚持|长期|立行立改|限期整改)[\s,，、:：;；(（]*(.+?)[)）]?$")


def _parse_deadline(row, raw, texts, today):
    values = row.values
    kind = None
    if "kind" in texts:
        kind = choice(texts["kind"], Item.Kind, "kind")
        if kind is None:
            row.error("kind", _("Kind not understood; write 立行立改, 限期整改 or 长期坚持."))
    deadline = None
    if "deadline" in raw:
        deadline = parse_date(raw["deadline"])
        if deadline is None:
            written = word_match(texts["deadline"], KIND_WORDS)
            if written is None:
                # 长期坚持（2026年12月底）: the kind, and the date of its next review.
                both = KIND_AND_DATE.match(texts["deadline"])
                if both:
                    written = word_match(both.group(1), KIND_WORDS)
                    deadline = parse_date(both.group(2))
                if ambiguous_date(raw["deadline"]):
                    row.error("deadline", date_problem(raw["deadline"]))
                elif written is None or deadline is None:
                    row.error(
                        "deadline",
                        _("Date not understood; write it as 2026-11-30, 2026年11月底, 长期坚持 or 立行立改."),
                    )
            kind = kind or written
    if kind is None:
        kind = DEFAULT_KIND
    if kind == Item.Kind.IMMEDIATE and deadline is None:
        deadline = values.get("raised_on") or today
    values["kind"] = kind
    if kind == Item.Kind.LONG_TERM:
        # Beside a review date, a date in a long-term item's 整改时限 is its stage target (as our
        # own export writes it); alone, it is the next review.
        values["deadline"] = deadline
        if not values.get("next_review_on") and "next_review_on" not in row.errors:
            values["deadline"] = None
            values["next_review_on"] = deadline or default_review_on(today)
    else:
        values["deadline"] = deadline
        values["next_review_on"] = values.get("next_review_on")
        if deadline is None and not row.errors.get("deadline"):
            row.error("deadline", _("Give the deadline: a date, 长期坚持 or 立行立改."))


def row_key(values, ordinal=0):
    """The import key of a row: what recognises it when the file is imported again.

    Never its problem and measure text alone (two items may share both, and a reworded measure
    is the same row): by its reference number when the file gives one (``r:机运-2026-007``);
    else by the file's 序号, the row's position among the rows of that 序号 and its problem
    (``s:3:1:<digest>``, the second measure of problem 3: a reworded measure is the same row,
    another file's problem 3 is not); else by the texts and the ordinal of identical rows, which
    cannot collide (``t:<digest>:2``). `ordinal` is that position, counted in file order by
    the importer (`storing.Identities`); the key is unique within the row's organization.
    """
    reference = str(values.get("reference") or "").strip()
    if reference:
        return _short("r:", reference)
    serial = "".join(str(values.get("serial") or "").split())
    if serial:
        # With a digest of the problem: every ledger numbers its rows from 1, so a 序号 alone
        # would take this year's problem 3 for last year's (another file, the same organization).
        problem = " ".join(values.get("description", "").split())
        digest = hashlib.sha256(problem.encode()).hexdigest()[:12]
        return _short("s:", f"{serial}:{ordinal}:{digest}")
    text = (
        " ".join(values.get("description", "").split())
        + "\x1f"
        + " ".join(values.get("measures", "").split())
    )
    return f"t:{hashlib.sha256(text.encode()).hexdigest()[:48]}:{ordinal}"


def legacy_row_key(values):
    """The key rows were imported under before `row_key` (a digest of the problem and measure
    texts): a file imported then is still recognised, once per item."""
    text = (
        " ".join(values.get("description", "").split())
        + "\x1f"
        + " ".join(values.get("measures", "").split())
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _short(prefix, text):
    """`prefix` + `text`, or its digest when too long for the key's column (64)."""
    key = prefix + text
    return key if len(key) <= 64 else prefix + hashlib.sha256(text.encode()).hexdigest()[:60]


def row_identity(values):
    """What rows counted together for `row_key`'s ordinal share (see `storing.Identities`)."""
    organization = values["organization"].pk
    if str(values.get("reference") or "").strip():
        return None
    serial = "".join(str(values.get("serial") or "").split())
    if serial:
        return (organization, "s", serial)
    return (organization, "t", row_key(values))


def row_messages(row):
    """A row's errors as "heading (C4): message" lines, in the file's own words."""
    return [f"{where(row, name)}: {message}" for name, messages in row.errors.items() for message in messages]


def where(row, name):
    """A field of a row as the user finds it: "整改时限（D7）", or the heading alone."""
    cell = row.cell(name)
    if not cell:
        return row.heading(name)
    return _("{heading} ({cell})").format(heading=row.heading(name), cell=cell)


def _issue_signature(values):
    """What makes rows describe the same issue, as a short digest (kept for the whole import)."""
    text = "\x1f".join(
        str(part)
        for part in (
            values["organization"].pk,
            values["description"],
            values["category"].pk,
            values["source"],
        )
    )
    return hashlib.blake2b(text.encode(), digest_size=16).digest()
