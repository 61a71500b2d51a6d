"""Co-owners (协办人): set through the workflow with history, under the owner's eligibility rule;
a co-owner sees the item and reports progress on it; the item page, its edit form, the exports,
the PDF ledger and the importer carry them."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.permissions import Scope
from ledger import workflow
from ledger.imports.reading import read_table
from ledger.imports.rows import Placeholder, prepare
from ledger.imports.storing import commit
from ledger.models import Item, ItemCoOwner
from ledger.queue import work_queue
from tests.factories import IssueFactory, make_item
from tests.pdfs import squeezed, text
from tests.sheet_files import read_xlsx
from tests.test_import_identity import xlsx

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def item(world):
    return make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="班前会流于形式"),
        owner=world.owner,
        deadline=datetime.date(2027, 3, 1),
    )


def test_the_committee_sets_co_owners_with_a_history_row_each(world, item):
    saved = workflow.edit_item(
        world.committee, item, expected_version=item.version, reason="加协办", co_owners=[world.member]
    )
    assert saved.version == item.version + 1
    assert list(Item.objects.get(pk=item.pk).co_owners.all()) == [world.member]
    [record] = ItemCoOwner.history.all()
    assert (record.history_type, record.history_action, record.history_change_reason) == (
        "+",
        workflow.Action.EDIT,
        "加协办",
    )
    assert record.history_user == world.committee
    # Taken away again: on record too.
    workflow.edit_item(world.committee, saved, expected_version=saved.version, reason="撤协办", co_owners=[])
    assert not ItemCoOwner.objects.exists()
    assert ItemCoOwner.history.latest().history_type == "-"


def test_co_owners_follow_the_owners_eligibility_rule(world, item):
    with pytest.raises(ValidationError) as refused:
        workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.outsider])
    assert "吴军 is not a member of 机运党支部" in refused.value.message_dict["co_owners"][0]
    with pytest.raises(ValidationError) as refused:
        workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.owner])
    assert refused.value.message_dict["co_owners"] == ["The owner is not also a co-owner: 王强."]
    assert not ItemCoOwner.objects.exists()


def test_a_co_owner_sees_the_item_and_posts_progress_but_does_not_submit(client, world):
    # An item of the branch owned by 杨帆; 王强, of the branch's group, sees none of the branch's.
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.member)
    assert item not in Scope.for_user(world.owner).visible_items(Item.objects.all())
    client.force_login(world.owner)
    assert client.get(reverse("ledger:item_detail", args=[item.pk])).status_code == 404
    workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.owner])
    assert item in Scope.for_user(world.owner).visible_items(Item.objects.all())
    page = client.get(reverse("ledger:item_detail", args=[item.pk])).content.decode()
    assert 'data-field="co_owners">王强<' in page
    response = client.post(
        reverse("ledger:post_progress", args=[item.pk]),
        {"text": "协助完成学习", "percent": 30, "version": ""},
    )
    assert response.status_code == 302
    assert item.updates.get().author == world.owner
    refused = workflow.refusal(world.owner, Item.objects.get(pk=item.pk), workflow.Action.SUBMIT)
    assert refused is not None and refused[0] is workflow.NotAllowed


def test_a_co_owner_finds_the_item_on_their_owners_page_with_only_their_actions(client, world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.member)
    item = workflow.post_progress(world.member, item, text="已组织学习", percent=40).item
    workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.owner])
    client.force_login(world.owner)
    page = client.get(reverse("ledger:mine")).content.decode()
    card = page.split(f'id="item-{item.pk}"')[1].split("</article>")[0]
    assert item.reference in card
    assert f'action="{reverse("ledger:post_progress", args=[item.pk])}"' in card
    # Submitting for verification is the owner's: the co-owner's card does not offer it.
    assert reverse("ledger:submit_item", args=[item.pk]) not in card
    client.force_login(world.member)
    owners_card = client.get(reverse("ledger:mine")).content.decode().split(f'id="item-{item.pk}"')[1]
    assert reverse("ledger:submit_item", args=[item.pk]) in owners_card.split("</article>")[0]


def test_the_edit_page_sets_co_owners(client, world, item):
    client.force_login(world.committee)
    # The edit form, opened (the item page loads each action's form when its panel opens).
    form_page = client.get(reverse("ledger:item_detail", args=[item.pk]), {"open": "edit"}).content.decode()
    assert 'name="co_owners"' in form_page
    data = {
        "version": item.version,
        "measures": item.measures,
        "department": item.department,
        "owner": world.owner.pk,
        "kind": item.kind,
        "deadline": "2027-03-01",
        "co_owners": [world.member.pk],
        "reason": "协办",
    }
    response = client.post(reverse("ledger:edit_item", args=[item.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Item.objects.get(pk=item.pk).co_owners.all()) == [world.member]


def test_exports_and_the_pdf_ledger_name_the_co_owners(client, world, item):
    workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.member])
    client.force_login(world.committee)
    sheet = read_xlsx(client.get(reverse("ledger:export_xlsx")).content).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = list(rows[0]).index("Co-owners")
    assert rows[1][column] == "杨帆"
    assert Item.objects.with_co_owners().get(pk=item.pk).owner_display == "王强 (co-owners: 杨帆)"


def test_the_importer_stores_co_owners_remarks_and_dates_it_is_given(world):
    """The reading half gives `co_owners`, `remarks`, `closure_criteria`, `completed_on` and
    `original_deadline` in `Row.values`; given by hand here."""
    rows = [
        ["问题描述", "问题类别", "整改措施", "责任人", "整改时限"],
        ["学习不够", "安全", "每周学习", "王强", "2027-03-01"],
    ]
    preview = prepare(
        read_table(io.BytesIO(xlsx(rows)), "台账.xlsx"), world.committee, world.branch, create_people=True
    )
    parse = preview.parse

    def parse_with_more():
        for row in parse():
            row.values.update(
                co_owners=[world.member, Placeholder("周涛")],
                remarks="与安全检查合并推进",
                closure_criteria="考试合格率100%",
                completed_on=datetime.date(2026, 12, 20),
                original_deadline=datetime.date(2027, 1, 31),
            )
            row.given = row.given | {"co_owners", "remarks", "closure_criteria"}
            yield row

    preview.parse = parse_with_more
    commit(preview, world.committee, "台账.xlsx")
    item = Item.objects.get()
    assert [str(person) for person in item.co_owner_people] == ["杨帆", "周涛"]
    assert (item.remarks, item.closure_criteria) == ("与安全检查合并推进", "考试合格率100%")
    assert (item.completed_on, item.original_deadline) == (
        datetime.date(2026, 12, 20),
        datetime.date(2027, 1, 31),
    )
    assert ItemCoOwner.history.filter(history_action=workflow.Action.IMPORT).count() == 2
    # Imported again: recognised, nothing changes, the co-owners stay (no second placeholder).
    again = commit(preview, world.committee, "台账.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert ItemCoOwner.objects.count() == 2


def test_a_co_owners_work_queue_holds_the_items_they_help_on(world):
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch),
        owner=world.member,
        deadline=datetime.date(2027, 3, 1),
    )
    workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.owner])
    sections = {
        entry.section.key: entry for entry in work_queue(world.owner, today=datetime.date(2027, 3, 10))
    }
    assert sections["mine_overdue"].count == 1
    assert [row.item.pk for row in sections["mine_overdue"].rows] == [item.pk]


def test_the_pdf_ledger_names_the_co_owners_in_the_owners_cell(client, world, item):
    workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.member])
    client.force_login(world.committee)
    response = client.get(reverse("ledger:report_pdf"))
    assert response.status_code == 200
    # The cell is narrow: "co-owners" may break at its hyphen.
    assert "王强(coowners:杨帆)" in squeezed(text(response.content)).replace("-", "")


def test_the_items_history_tells_who_added_a_co_owner_and_why(client, world, item):
    workflow.edit_item(
        world.committee, item, expected_version=item.version, reason="请杨帆协办", co_owners=[world.member]
    )
    client.force_login(world.committee)
    page = client.get(reverse("ledger:item_history", args=[item.pk])).content.decode()
    assert "Co-owner" in page
    assert "请杨帆协办" in page
    assert "杨帆" in page
