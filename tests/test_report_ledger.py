"""The ledger report /ledger/report.pdf: the list's filters, scope, header on every page, page
numbers, overdue marks, signatures, as-of copies, PDF/A and permissions."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ledger import pdf, workflow
from tests import pdfs
from tests.reportdata import HOSTILE, SIBLING_TEXT, populate

URL = reverse("ledger:report_pdf")


@pytest.fixture(autouse=True)
def strict_glyphs(settings):
    # A glyph missing from every font would print as an empty box: fail instead.
    settings.LEDGER_PDF_STRICT_GLYPHS = True


@pytest.fixture
def ledger(world):
    return populate(world, extra=18)


def test_it_prints_the_ledger_with_header_on_every_page(client, world, ledger, django_assert_num_queries):
    client.force_login(world.committee)
    # session, user, memberships, organization tree (scope), the count (background or not),
    # the top organizations for the title, the items with their latest progress, their
    # co-owners (the owner's cell names them); the organizations' traffic-light settings (亮灯);
    # the printed items' chain heads and the checkpoint they make (core.chain)
    with django_assert_num_queries(11):
        response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdfs.pages_text(response.content)
    assert len(pages) >= 2
    whole = pdfs.squeezed("".join(pages))
    assert "整改台账" in whole
    assert "机运党支部" in whole
    assert "组织全员重新学习作业规程" in whole
    assert "已制定方案，正在推进" in whole  # the latest progress
    assert "经验收同意销号" in whole  # the completion note
    assert SIBLING_TEXT not in whole
    for number, page in enumerate(pages, start=1):
        text = pdfs.squeezed(page)
        assert "编号" in text and "整改时限" in text and "责任人" in text  # the repeated header
        assert pdfs.page_footer(number, len(pages)) in text
    assert "李明" in whole  # printed by


def test_overdue_rows_are_marked(client, world, ledger):
    client.force_login(world.committee)
    text = pdfs.squeezed(pdfs.text(client.get(URL, {"overdue": "on"}).content))
    assert "逾期未完成的整改措施" in text
    assert "组织全员重新学习作业规程" not in text  # the filter applies
    assert "Overdue" in text or "逾期" in text


def test_hostile_text_prints_as_text(client, world, ledger):
    client.force_login(world.committee)
    response = client.get(URL, {"q": "alert"})
    text = pdfs.squeezed(pdfs.text(response.content))
    assert pdfs.squeezed(HOSTILE) in text
    assert not pdfs.reader(response.content).attachments


def test_signature_block_ends_the_report(client, world, ledger):
    client.force_login(world.committee)
    last = pdfs.squeezed(pdfs.pages_text(client.get(URL).content)[-1])
    for label in ("Preparedby", "Checkedby", "Partyorganizationsecretary"):
        assert label in last or any(word in last for word in ("填报人", "审核人", "党组织书记"))


def test_the_company_committee_sees_both_branches(client, world, ledger):
    client.force_login(world.company_committee)
    text = pdfs.squeezed(pdfs.text(client.get(URL).content))
    assert SIBLING_TEXT in text


def test_as_of_prints_the_ledger_as_it_stood(client, world):
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        ledger = populate(world)
    # Since then, the open item was withdrawn and its measures rewritten.
    item = workflow.edit_item(
        world.committee, ledger.open, expected_version=ledger.open.version, measures="后来改写的整改措施"
    )
    workflow.withdraw(world.committee, item, reason="重复")
    client.force_login(world.committee)
    as_of = (today - datetime.timedelta(days=5)).isoformat()
    past = pdfs.squeezed(pdfs.text(client.get(URL, {"as_of": as_of}).content))
    assert "组织全员重新学习作业规程" in past
    assert "后来改写的整改措施" not in past
    assert SIBLING_TEXT not in past
    # Withdrawn since, it is left out of today's ledger unless the filter asks for it.
    assert "后来改写的整改措施" not in pdfs.squeezed(pdfs.text(client.get(URL).content))
    now = pdfs.squeezed(pdfs.text(client.get(URL, {"withdrawn": "on"}).content))
    assert "后来改写的整改措施" in now
    before_anything = pdfs.squeezed(pdfs.text(client.get(URL, {"as_of": "2001-01-01"}).content))
    assert "组织全员重新学习作业规程" not in before_anything


def test_as_of_prints_the_progress_as_it_stood(client, world):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        ledger = populate(world)
    workflow.post_progress(world.owner, ledger.late, text="今天补充的最新进展", percent=60)
    client.force_login(world.committee)
    as_of = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    past = pdfs.squeezed(pdfs.text(client.get(URL, {"as_of": as_of}).content))
    assert "已制定方案，正在推进" in past
    assert "今天补充的最新进展" not in past
    now = pdfs.squeezed(pdfs.text(client.get(URL).content))
    assert "今天补充的最新进展" in now


def test_as_of_takes_the_filters(client, world):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        populate(world)
    client.force_login(world.committee)
    text = pdfs.squeezed(
        pdfs.text(client.get(URL, {"as_of": timezone.localdate().isoformat(), "status": "closed"}).content)
    )
    assert "已销号的整改措施" in text
    assert "组织全员重新学习作业规程" not in text


def test_pdfa_on_request(client, world, ledger):
    client.force_login(world.committee)
    response = client.get(URL, {"format": "pdfa"})
    metadata = pdfs.reader(response.content).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in metadata


def test_english_version(client, world, ledger):
    client.force_login(world.committee)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    pages = pdfs.pages_text(response.content)
    text = pdfs.squeezed(pages[0])
    assert "Rectificationledger" in text
    assert f"Page1of{len(pages)}" in text
    assert "组织全员重新学习作业规程" in text  # the data stays Chinese


def test_bad_filters_are_refused(client, world):
    client.force_login(world.committee)
    assert client.get(URL, {"due_within": "many"}).status_code == 400
    assert client.get(URL, {"as_of": "yesterday"}).status_code == 400


def test_wrong_method(client, world):
    client.force_login(world.committee)
    assert client.post(URL).status_code == 405


def test_members_may_not_print_the_ledger(client, world):
    client.force_login(world.member)
    assert client.get(URL).status_code == 403
    client.force_login(world.owner)
    assert client.get(URL).status_code == 403


def test_leadership_may_print(client, world, ledger):
    client.force_login(world.leadership)
    assert client.get(URL).status_code == 200


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302


def test_hostile_text_fetches_nothing(client, world, ledger, monkeypatch):
    fetched = []
    original = pdf.SafeURLFetcher.fetch

    def recording(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.SafeURLFetcher, "fetch", recording)
    client.force_login(world.committee)
    response = client.get(URL, {"q": "alert"})
    assert response.status_code == 200
    # Only our font and the QR code of the chain head, drawn here as a data: URL: the
    # <img src="file:///etc/passwd"> in the text was never an element.
    qr_codes = [url for url in fetched if url.startswith("data:image/png;base64,")]
    assert len(qr_codes) == 1
    assert [url for url in fetched if url not in qr_codes] == [pdf.font_file().as_uri()]


def test_a_long_ledger_printed_in_parts_reads_as_one(client, world, ledger, settings):
    settings.LEDGER_PDF_PART_ROWS = 5
    client.force_login(world.committee)
    whole = client.get(URL)
    pages = pdfs.pages_text(whole.content)
    settings.LEDGER_PDF_PART_ROWS = 1000
    single = pdfs.pages_text(client.get(URL).content)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        text = pdfs.squeezed(page)
        assert "编号" in text and "整改时限" in text  # the table header on every page
        assert pdfs.page_footer(number, len(pages)) in text  # numbered across the parts
    text = pdfs.squeezed("".join(pages))
    assert text.count(pdfs.squeezed(pdfs.page_footer(1, len(pages)))) == 1
    # Every item once, numbered 1 to 22 without restarting in each part.
    assert text.count("组织全员重新学习作业规程") == 1
    references = re.findall(r"机运-\d{4}-\d{3}", text)
    assert len(references) == len(set(references)) == 22
    assert references == re.findall(r"机运-\d{4}-\d{3}", pdfs.squeezed("".join(single)))
    numbered = re.findall(r"^\s*(\d+)\s+机运-\d{4}-\d{3}", pdfs.layout_text(whole.content), re.MULTILINE)
    assert [int(n) for n in numbered] == list(range(1, 23))  # the 序号 column runs on across parts
    # The title once, at the top; the signatures once, at the end.
    title_once = pdfs.squeezed(pages[0]).count("整改台账")
    assert text.count("整改台账") == title_once + len(pages) - 1  # then in the page headers
    assert text.count("Preparedby") + text.count("填报人") == 1
    assert "Preparedby" in pdfs.squeezed(pages[-1]) or "填报人" in pdfs.squeezed(pages[-1])
