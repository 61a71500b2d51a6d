"""Server-side SVG charts: inline SVG without scripts, labels escaped, usable in HTML and PDF."""

import datetime
import re
import xml.etree.ElementTree as ET

from django.utils import translation

from ledger import charts, stats
from ledger.models import Item

S = Item.Status
SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg):
    root = ET.fromstring(str(svg))
    return root, [node.text for node in root.iter(f"{SVG}text") if node.text]


def _rows():
    return [
        stats.Breakdown(key=1, label="机运党支部", total=5, closed=2, active=2, long_term=1),
        stats.Breakdown(key=2, label='<script>alert("x")</script>', total=1, closed=1),
    ]


def test_status_chart_is_inline_svg_without_javascript():
    svg = charts.status_chart(stats.Totals(by_status={S.CLOSED: 3, S.OPEN: 1}))
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "<script" not in svg
    root, texts = _texts(svg)
    assert root.tag == f"{SVG}svg"
    assert "Ledger CJK" in svg  # the PDF's font family comes first


def test_status_chart_leaves_out_empty_statuses():
    with translation.override("en"):
        svg = charts.status_chart(stats.Totals(by_status={S.CLOSED: 3}))
    _root, texts = _texts(svg)
    assert "Closed" in texts
    assert "Open" not in texts


def test_organization_and_category_charts_escape_labels():
    for render in (charts.organization_chart, charts.category_chart):
        svg = render(_rows())
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg
        _root, texts = _texts(svg)
        assert "机运党支部" in texts


def test_trend_chart_labels_months():
    points = [
        stats.MonthPoint(month=datetime.date(2026, 10, 1), opened=4, closed=1),
        stats.MonthPoint(month=datetime.date(2026, 11, 1), opened=2, closed=3),
    ]
    with translation.override("en"):
        svg = charts.trend_chart(points)
    _root, texts = _texts(svg)
    assert "2026-10" in texts
    assert "Opened" in texts and "Closed" in texts


def test_participation_chart_in_percent():
    rows = [stats.Participation(1, "机运党支部", meetings=2, expected=10, present=8, made_up=1)]
    svg = charts.participation_chart(rows)
    _root, texts = _texts(svg)
    assert "机运党支部" in texts
    assert "100" in texts  # the axis runs to 100 %


def test_charts_of_an_empty_ledger_render():
    assert charts.status_chart(stats.Totals()).startswith("<svg")
    assert charts.organization_chart([]).startswith("<svg")
    assert charts.trend_chart([]).startswith("<svg")


def test_status_chart_uses_the_badge_colours():
    svg = charts.status_chart(stats.Totals(by_status={S.CLOSED: 3, S.OPEN: 1}))
    # Open is grey (secondary) and closed green (success), whatever else is missing.
    assert "#6c757d" in svg and "#198754" in svg


def _value_ticks(svg):
    """The numbers along the chart's axes (the other labels are names and months)."""
    root = ET.fromstring(str(svg))
    ticks = []
    for group in root.iter(f"{SVG}g"):
        if "axis" in (group.get("class") or "").split():
            texts = [node.text or "" for node in group.iter(f"{SVG}text")]
            ticks += [float(text) for text in texts if re.fullmatch(r"\d+(\.\d+)?", text)]
    return ticks


def test_count_axes_show_whole_numbers_only():
    rows = [
        stats.Breakdown(key=1, label="机运党支部", total=3, closed=1, active=1, long_term=1),
        stats.Breakdown(key=2, label="通修党支部", total=1, closed=1),
    ]
    points = [
        stats.MonthPoint(month=datetime.date(2026, 10, 1), opened=2, closed=0),
        stats.MonthPoint(month=datetime.date(2026, 11, 1), opened=1, closed=1),
    ]
    for svg in (charts.category_chart(rows), charts.organization_chart(rows), charts.trend_chart(points)):
        ticks = _value_ticks(svg)
        # Without a floor on the scale pygal counted 0, 0.2, 0.4 … items.
        assert ticks[0] == 0 and max(ticks) >= 2, ticks
        assert all(tick == int(tick) for tick in ticks), ticks


def _every_chart(narrow):
    rows = _rows()
    points = [stats.MonthPoint(month=datetime.date(2026, 11, 1), opened=2, closed=1)]
    participation = [stats.Participation(1, "机运党支部", meetings=2, expected=10, present=8, made_up=1)]
    return {
        "status": charts.status_chart(stats.Totals(by_status={S.CLOSED: 3, S.OPEN: 1}), narrow=narrow),
        "organization": charts.organization_chart(rows, narrow=narrow),
        "category": charts.category_chart(rows, narrow=narrow),
        "trend": charts.trend_chart(points, narrow=narrow),
        "participation": charts.participation_chart(participation, narrow=narrow),
    }


TITLES = {
    "status": "Items by status",
    "organization": "Items by organization",
    "category": "Items by category",
    "trend": "Opened and closed per month",
    "participation": "Meeting participation (%)",
}


def test_narrow_charts_are_laid_out_for_a_phone():
    with translation.override("en"):
        wide, narrow = _every_chart(narrow=False), _every_chart(narrow=True)
    for name, svg in narrow.items():
        root, texts = _texts(svg)
        # As wide as a phone's screen, so that 13-px labels show at about 13 px there; no title
        # (the page's heading says it), no script, labels still escaped.
        assert root.get("viewBox").split()[2] == "360", name
        assert "font-size:13px" in svg.replace(" ", ""), name
        assert "<script" not in svg, name
        assert TITLES[name] in _texts(wide[name])[1] and TITLES[name] not in texts, name
    assert "&lt;script&gt;" in narrow["organization"] and "<script>" not in narrow["organization"]
    assert all(_texts(svg)[0].get("viewBox").split()[2] == "720" for svg in wide.values())
    # Every 20 % on a phone: eleven numbers would run into each other.
    assert _value_ticks(narrow["participation"]) == [0, 20, 40, 60, 80, 100]
    for name in ("organization", "category", "trend"):
        ticks = _value_ticks(narrow[name])
        assert ticks and all(tick == int(tick) for tick in ticks), name


def test_names_left_of_bars_are_not_cut_off():
    rows = [stats.Breakdown(key=1, label="机运党支部第一党小组", total=2, closed=1, active=1)]
    for narrow, shown in ((False, "机运党支部第一党小组"), (True, "机运党支部第一党小组")):
        root, texts = _texts(charts.organization_chart(rows, narrow=narrow))
        assert shown in texts
        plot = next(node for node in root.iter(f"{SVG}g") if node.get("class") == "plot")
        left = float(plot.get("transform").split("(")[1].split(",")[0])
        # Ten Chinese characters of 12 (wide) or 13 px (narrow) fit left of the bars; pygal
        # alone made room for 0.6 of a character each and the name was cut at the edge.
        assert left >= 10 * (13 if narrow else 12), (narrow, left)
    long_name = [stats.Breakdown(key=1, label="综合采煤工作面第一党支部第三党小组", total=1, closed=1)]
    _root, texts = _texts(charts.organization_chart(long_name, narrow=True))
    assert "综合采煤工作面第一…" in texts  # a phone shortens it rather than give it the chart
