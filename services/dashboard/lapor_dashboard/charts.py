"""Charts as inline SVG, drawn on the server by pygal.

Why pygal (docs/dashboard.md has the long version): it is a pure-Python library from PyPI that writes
SVG text, so a chart is part of the HTML (and of every live update pushed to the browser) with no
JavaScript bundle, no file to vendor and no download at build time; a chart takes milliseconds. Its
optional tooltip script is switched off (``js=[]``), so the page loads nothing from outside.
"""

from __future__ import annotations

import re
import sys

import pygal
from pygal.style import Style

from lapor_dashboard import i18n, scope
from lapor_dashboard.figures import Group, NodeFigures, Trend
from lapor_dashboard.projection import STATUSES

# pygal puts an old-style import hook for its map plugins on sys.meta_path (no ``find_spec``), which
# breaks importlib-based importers such as pytest's; we use no map plugins, so take it out again.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d2733",
    foreground_strong="#1d2733",
    foreground_subtle="#5b6673",
    opacity=".85",
    opacity_hover="1",
    colors=("#1f5fa8", "#b3001b", "#1b6e3a", "#d98c00", "#6b3fa0"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    value_font_size=11,
    title_font_size=14,
)


def _common(lang: str, **options: object) -> dict[str, object]:
    return dict(
        style=STYLE, js=[], disable_xml_declaration=True, no_data_text=i18n.translator(lang)("no_data"),
        legend_at_bottom=True, legend_at_bottom_columns=3, print_values=False, margin=8, **options,
    )


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _render(chart: pygal.graph.graph.Graph) -> str:
    """The chart's SVG, without the configuration script pygal embeds for its (disabled) tooltips."""
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def counts_axis(values: list[int], ticks: int = 6) -> dict[str, list[int]]:
    """Whole-number ticks from 0 to at least the highest value (complaints come in ones, never in 0.2s).

    Empty when there is nothing to draw: pygal fails on fixed labels without a series."""
    if not any(values):
        return {}
    highest = max(values)
    step = max(1, -(-highest // ticks))
    return {"y_labels": list(range(0, highest + step, step))}


def status_chart(group: Group, lang: str) -> str:
    t = i18n.translator(lang)
    shown = [s for s in STATUSES if group.by_status.get(s, 0) or s in ("routed", "responded", "closed")]
    chart = pygal.HorizontalBar(**_common(
        lang, width=560, height=330, show_legend=False,
        **counts_axis([group.by_status.get(s, 0) for s in shown]),
    ))
    chart.x_labels = [i18n.status_label(s, lang) for s in shown]
    if group.total:
        chart.add(t("count"), [group.by_status.get(s, 0) for s in shown])
    return _render(chart)


def trend_chart(trend: Trend, lang: str) -> str:
    t = i18n.translator(lang)
    chart = pygal.Line(**_common(
        lang, width=560, height=330, show_dots=trend.unit == "week", dots_size=3, x_label_rotation=0,
        show_minor_x_labels=False, x_labels_major_every=5 if trend.unit == "day" else 2, truncate_label=-1,
        **counts_axis([*trend.received, *trend.responded, *trend.closed]),
    ))
    chart.x_labels = [i18n.day_label(p, lang) for p in trend.periods]
    if any(trend.received) or any(trend.responded) or any(trend.closed):
        chart.add(t("received"), trend.received)
        chart.add(t("responded_series"), trend.responded)
        chart.add(t("closed_series"), trend.closed)
    return _render(chart)


def _short(code: str, lang: str) -> str:
    name = scope.name_of(code, lang)
    return name.replace("Kabupaten ", "Kab. ").replace("Kota Administrasi ", "Kota ")


def children_chart(figures: NodeFigures, lang: str, limit: int = 16) -> str:
    """Open and overdue complaints of the child jurisdictions (the worst ``limit``), as bars."""
    t = i18n.translator(lang)
    groups = [g for g in figures.children if g.kind == "child"][:limit]
    chart = pygal.HorizontalBar(**_common(
        lang, width=1120, height=90 + 26 * len(groups), truncate_label=-1,
        margin_bottom=40,  # pygal reserves no room for a bottom legend on horizontal charts
        **counts_axis([g.open for g in groups]),
    ))
    chart.x_labels = [_short(g.key, lang) for g in reversed(groups)]  # the worst at the top
    if any(g.total for g in groups):
        chart.add(t("open"), [g.open for g in reversed(groups)])
        chart.add(t("overdue_now"), [g.overdue_now for g in reversed(groups)])
    return _render(chart)


def charts(figures: NodeFigures, lang: str) -> dict[str, str]:
    drawn = {
        "status": status_chart(figures.total, lang),
        "daily": trend_chart(figures.daily, lang),
        "weekly": trend_chart(figures.weekly, lang),
    }
    if any(g.kind == "child" for g in figures.children):
        drawn["children"] = children_chart(figures, lang)
    return drawn
