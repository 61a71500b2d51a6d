"""Server-side SVG charts (pygal) for the dashboard and the printed summary.

The charts are plain inline SVG: no JavaScript (``js=[]``), no external stylesheet, no XML
declaration, so the same markup works in an HTML page and in WeasyPrint. pygal builds the SVG with
ElementTree, which escapes every label (organization and category names are user text). The
functions take the figures computed by :mod:`ledger.stats` and return a ``SafeString``.
"""

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


def _config(**options):
    base = {
        "style": STYLE,
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
    base.update(options)
    return base


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


def status_chart(item_totals, title=None):
    """A donut of the items by status, zero statuses left out, each in its badge colour."""
    shown = [(status, label, count) for status, label, count in item_totals.rows() if count]
    colours = tuple(BOOTSTRAP[Item.STATUS_COLOURS.get(status, "secondary")] for status, _l, _c in shown)
    style = Style(**{**STYLE.to_dict(), "colors": colours or COLOURS})
    chart = pygal.Pie(**_config(style=style, inner_radius=0.45, height=300, legend_at_bottom=False))
    chart.title = str(title or _("Items by status"))
    for _status, label, count in shown:
        chart.add(str(label), count)
    return _render(chart)


# Axes that count items: ticks one item apart at least (pygal's scale never goes below 10**0),
# never 0.5 or 1.5 items.
WHOLE_NUMBERS = {"order_min": 0}


def _stacked(rows, title, horizontal):
    kind = pygal.HorizontalStackedBar if horizontal else pygal.StackedBar
    height = max(220, 60 + 34 * len(rows)) if horizontal else 320
    chart = kind(**_config(height=height, x_label_rotation=0 if horizontal else 20, **WHOLE_NUMBERS))
    chart.title = str(title)
    if horizontal:
        # pygal draws the first label at the bottom; the tables read from the top.
        rows = list(reversed(rows))
    chart.x_labels = [row.label for row in rows]
    chart.add(str(_("Completed")), [row.closed for row in rows])
    chart.add(str(_("Being pushed forward")), [row.active for row in rows])
    chart.add(str(_("Long-term")), [row.long_term for row in rows])
    return _render(chart)


def organization_chart(rows, title=None):
    """Horizontal stacked bars per organization: completed, being pushed forward, long-term."""
    return _stacked(rows, title or _("Items by organization"), horizontal=True)


def category_chart(rows, title=None):
    """Stacked bars per category (党建, 安全, 廉政, 作风, …)."""
    return _stacked(rows, title or _("Items by category"), horizontal=False)


def trend_chart(points, title=None):
    """Items opened and closed per month, from :func:`ledger.stats.monthly_trend`."""
    # Opened in blue, closed in green, like the other charts.
    style = Style(**{**STYLE.to_dict(), "colors": (BOOTSTRAP["primary"], BOOTSTRAP["success"])})
    chart = pygal.Bar(**_config(style=style, x_label_rotation=30, **WHOLE_NUMBERS))
    chart.title = str(title or _("Opened and closed per month"))
    # "2026-11": twelve long month names would overlap.
    chart.x_labels = [f"{point.month:%Y-%m}" for point in points]
    chart.add(str(_("Opened")), [point.opened for point in points])
    chart.add(str(_("Closed")), [point.closed for point in points])
    return _render(chart)


def participation_chart(rows, title=None):
    """Participation rate (present ÷ expected) per organization, in percent."""
    chart = pygal.HorizontalBar(
        **_config(height=max(220, 60 + 34 * len(rows)), range=(0, 100), show_legend=False)
    )
    chart.title = str(title or _("Meeting participation (%)"))
    rows = list(reversed(rows))  # first at the top, as in the table
    chart.x_labels = [row.organization for row in rows]
    chart.add(str(_("Participation rate")), [row.rate for row in rows])
    return _render(chart)
