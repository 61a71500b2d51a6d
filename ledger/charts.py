"""Server-side SVG charts (pygal) for the dashboard and the printed summary.

The charts are plain inline SVG: no JavaScript (``js=[]``), no external stylesheet, no XML
declaration, so the same markup works in an HTML page and in WeasyPrint. pygal builds the SVG with
ElementTree, which escapes every label (organization and category names are user text). The
functions take the figures computed by :mod:`ledger.stats` and return a ``SafeString``.
"""

import math
import unicodedata

import pygal
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from pygal.etree import etree
from pygal.style import Style

from .models import Item

# The same family as the PDF's @font-face (ledger/pdf.py), then whatever the browser has.
FONT_FAMILY = '"Ledger CJK", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'

# Closed green, being pushed forward blue, long-term grey, overdue red: the badge colours.
COLOURS = ("#198754", "#0d6efd", "#6c757d", "#dc3545", "#ffc107", "#0dcaf0", "#adb5bd")

STYLE = Style(
    font_family=FONT_FAMILY,
    background="transparent",
    plot_background="transparent",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=COLOURS,
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=11,
)


# On a phone a chart is drawn as wide as the screen (about 360 px of a 390-px screen): a narrow
# chart is laid out for that width, so that its text shows at its own size. A 720-unit chart
# scaled down to a phone shows its 12-unit labels at 6 px.
NARROW_WIDTH = 360
NARROW_FONTS = {"label_font_size": 13, "major_label_font_size": 13, "legend_font_size": 13}
# Names left of horizontal bars take at most this much of a narrow chart's width.
NARROW_LABEL_WIDTH = 130


def _style(colours=None, narrow=False):
    options = STYLE.to_dict()
    if colours:
        options["colors"] = colours
    if narrow:
        options.update(NARROW_FONTS)
    return Style(**options)


def _config(narrow=False, colours=None, **options):
    base = {
        "style": _style(colours, narrow),
        "js": [],
        "disable_xml_declaration": True,
        "width": 720,
        "height": 320,
        "legend_at_bottom": True,
        "print_values": False,
        "show_y_guides": True,
        "truncate_label": 20,
        "truncate_legend": 30,
    }
    if narrow:
        # Fewer ticks, so that 13-px numbers do not run into each other; two legend columns, their
        # entries shortened to fit them (truncate_legend=None: pygal works it out from the width).
        base.update(
            width=NARROW_WIDTH,
            truncate_label=16,
            max_scale=8,
            legend_at_bottom_columns=2,
            truncate_legend=None,
        )
    base.update(options)
    return base


def _set_title(chart, title, narrow):
    # The page's heading above a narrow chart says the same: the phone's height is better spent on
    # the chart. The wide charts keep their titles (the PDF has no other heading for some).
    if not narrow:
        chart.title = str(title)


def _text_width(text, font_size):
    """About how wide `text` is drawn: Chinese characters are square, the others about 0.6 wide."""
    return sum(font_size if unicodedata.east_asian_width(char) in "WF" else 0.6 * font_size for char in text)


def _left_labels(labels, font_size, narrow):
    """Names drawn left of horizontal bars, and the left margin that keeps them whole.

    pygal makes room for 0.6 × the font size a character (``pygal.util.text_len``), about half
    of what a Chinese character takes, so long organization names were cut off at the left
    edge. A narrow chart shortens the names instead of giving them half its width.
    """
    if narrow:
        labels = [_fit(label, NARROW_LABEL_WIDTH, font_size) for label in labels]
    missing = max(
        (_text_width(label, font_size) - 0.6 * font_size * len(label) for label in labels), default=0
    )
    return labels, {"margin_left": 20 + math.ceil(missing)}


def _fit(text, width, font_size):
    if _text_width(text, font_size) <= width:
        return text
    while text and _text_width(text + "…", font_size) > width:
        text = text[:-1]
    return text + "…"


def _render(chart):
    """The chart as inline SVG markup, without pygal's configuration script."""
    root = chart.render_tree()
    # pygal always embeds a <script> with its configuration (for its tooltips); the pages and
    # the PDF need none, and the Content-Security-Policy would refuse it anyway.
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    # ElementTree escaped every text node and attribute (labels are user text): the markup is ours.
    return mark_safe(etree.tostring(root, encoding="unicode"))


# The badge colours of Item.STATUS_COLOURS (Bootstrap's names), so that a status looks the same
# in the list, on the dashboard and on paper.
BOOTSTRAP = {
    "secondary": "#6c757d",
    "primary": "#0d6efd",
    "warning": "#ffc107",
    "info": "#0dcaf0",
    "dark": "#343a40",
    "success": "#198754",
    "light": "#ced4da",
}


def status_chart(item_totals, title=None, *, narrow=False):
    """A donut of the items by status, zero statuses left out, each in its badge colour."""
    shown = [(status, label, count) for status, label, count in item_totals.rows() if count]
    colours = tuple(BOOTSTRAP[Item.STATUS_COLOURS.get(status, "secondary")] for status, _l, _c in shown)
    chart = pygal.Pie(
        **_config(
            narrow,
            colours=colours or COLOURS,
            inner_radius=0.45,
            # Beside the donut the legend would leave it a third of a phone's width.
            height=340 if narrow else 300,
            legend_at_bottom=narrow,
        )
    )
    _set_title(chart, title or _("Items by status"), narrow)
    for _status, label, count in shown:
        chart.add(str(label), count)
    return _render(chart)


# Axes that count items: ticks one item apart at least (pygal's scale never goes below 10**0),
# never 0.5 or 1.5 items.
WHOLE_NUMBERS = {"order_min": 0}


def _stacked(rows, title, horizontal, narrow):
    if horizontal:
        kind = pygal.HorizontalStackedBar
        # pygal draws the first label at the bottom; the tables read from the top.
        rows = list(reversed(rows))
        labels, options = _left_labels([row.label for row in rows], _font(narrow), narrow)
        if narrow:
            options["height"] = max(220, 100 + 40 * len(rows))
            # The legend starts under the bars, right of the names: one entry a line fits there.
            options["legend_at_bottom_columns"] = 1
        else:
            options["height"] = max(220, 60 + 34 * len(rows))
    else:
        kind = pygal.StackedBar
        labels = [row.label for row in rows]
        options = {"height": 300 if narrow else 320, "x_label_rotation": 30 if narrow else 20}
    chart = kind(**_config(narrow, **options, **WHOLE_NUMBERS))
    _set_title(chart, title, narrow)
    chart.x_labels = labels
    chart.add(str(_("Completed")), [row.closed for row in rows])
    chart.add(str(_("Being pushed forward")), [row.active for row in rows])
    chart.add(str(_("Long-term")), [row.long_term for row in rows])
    return _render(chart)


def _font(narrow):
    return NARROW_FONTS["label_font_size"] if narrow else STYLE.label_font_size


def organization_chart(rows, title=None, *, narrow=False):
    """Horizontal stacked bars per organization: completed, being pushed forward, long-term."""
    return _stacked(rows, title or _("Items by organization"), horizontal=True, narrow=narrow)


def category_chart(rows, title=None, *, narrow=False):
    """Stacked bars per category (党建, 安全, 廉政, 作风, …)."""
    return _stacked(rows, title or _("Items by category"), horizontal=False, narrow=narrow)


def trend_chart(points, title=None, *, narrow=False):
    """Items opened and closed per month, from :func:`ledger.stats.monthly_trend`."""
    # Opened in blue, closed in green, like the other charts.
    chart = pygal.Bar(
        **_config(
            narrow,
            colours=(BOOTSTRAP["primary"], BOOTSTRAP["success"]),
            # Twelve months side by side on a phone: steeper labels keep them apart.
            x_label_rotation=50 if narrow else 30,
            height=300 if narrow else 320,
            **WHOLE_NUMBERS,
        )
    )
    _set_title(chart, title or _("Opened and closed per month"), narrow)
    # "2026-11": twelve long month names would overlap.
    chart.x_labels = [f"{point.month:%Y-%m}" for point in points]
    chart.add(str(_("Opened")), [point.opened for point in points])
    chart.add(str(_("Closed")), [point.closed for point in points])
    return _render(chart)


def participation_chart(rows, title=None, *, narrow=False):
    """Participation rate (present ÷ expected) per organization, in percent."""
    rows = list(reversed(rows))  # first at the top, as in the table
    labels, options = _left_labels([row.organization for row in rows], _font(narrow), narrow)
    height = max(180, 70 + 40 * len(rows)) if narrow else max(220, 60 + 34 * len(rows))
    chart = pygal.HorizontalBar(
        # Every 20 % on a phone (0, 20 … 100), every 10 % on a wide chart.
        **_config(
            narrow, height=height, range=(0, 100), show_legend=False, max_scale=5 if narrow else 16, **options
        )
    )
    _set_title(chart, title or _("Meeting participation (%)"), narrow)
    chart.x_labels = labels
    chart.add(str(_("Participation rate")), [row.rate for row in rows])
    return _render(chart)
