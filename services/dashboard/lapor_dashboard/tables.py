"""Every table of the dashboard as data: the page renders it, the CSV export writes it.

A cell has the text people read (formatted, in the viewer's language), the raw value the CSV gets
(numbers as numbers, times in ISO 8601, shares in percent, durations in hours) and, where it leads
somewhere, a link.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from lapor_dashboard import i18n, scope
from lapor_dashboard.figures import Group, NodeFigures, Trend
from lapor_dashboard.projection import STATUSES, LogEntry, Row

TABLES = ("summary", "status", "children", "agencies", "overdue", "daily", "weekly")
"""The tables of the dashboard page, each exportable as /export/<name>.csv?node=…"""


@dataclass
class Cell:
    text: str
    raw: Any = None
    href: str | None = None
    alert: bool = False
    """Worth a second look (an overdue count above zero): shown in red."""
    figure: str | None = None
    """Names the figure (``data-figure``) so that people's scripts and our browser test can find it."""

    @property
    def value(self) -> Any:
        return self.text if self.raw is None else self.raw


@dataclass
class Column:
    label: str
    csv_label: str | None = None
    numeric: bool = False


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    """One key per row (node code, agency id, tracking number, period), as ``data-key``."""

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.csv_label or c.label for c in self.columns])
        for row in self.rows:
            writer.writerow([csv_cell(cell.value) for cell in row])
        return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell as a spreadsheet will read it, never as a formula: text that a spreadsheet would evaluate
    (``=HYPERLINK(…)``, ``+1``, ``@SUM``, ``-2+3``; titles and names come from citizens and agencies) gets a
    leading apostrophe, as OWASP's CSV-injection advice says. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _num(value: int, figure: str | None = None) -> Cell:
    return Cell(str(value), value, figure=figure)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def node_link(code: str) -> str:
    return "/dashboard?" + urlencode({"node": code})


def complaint_link(tracking_number: str) -> str:
    return "/complaints/" + quote(tracking_number, safe="")


def group_label(group: Group, node: str, lang: str) -> str:
    t = i18n.translator(lang)
    if group.kind == "child":
        return scope.name_of(group.key, lang)
    if group.kind == "own":
        return t("own_level_national") if group.key == "ID" else f"{t('own_level')} ({scope.name_of(group.key, lang)})"
    if group.kind == "unassigned":
        return t("unassigned")
    return group.name or group.key


def _group_columns(first: str, lang: str) -> list[Column]:
    t = i18n.translator(lang)
    return [
        Column(t(first)), Column(t("total"), numeric=True), Column(t("open"), numeric=True),
        Column(t("overdue_now"), numeric=True), Column(t("on_time"), f"{t('on_time')} (%)", numeric=True),
        Column(t("median_response"), f"{t('median_response')} ({t('hour')})", numeric=True),
        Column(t("escalations"), numeric=True), Column(t("satisfaction"), f"{t('satisfaction')} (1-5)", numeric=True),
        Column(t("ratings_count"), numeric=True),
    ]


def _group_row(group: Group, label: Cell, lang: str) -> list[Cell]:
    mean = group.mean_rating
    return [
        label, _num(group.total, "total"), _num(group.open, "open"),
        Cell(str(group.overdue_now), group.overdue_now, figure="overdue_now", alert=group.overdue_now > 0),
        Cell(i18n.percent(group.on_time_share, lang), _pct(group.on_time_share), figure="on_time"),
        Cell(i18n.duration(group.median_response_s, lang), _hours(group.median_response_s), figure="median_response"),
        _num(group.escalations, "escalations"),
        Cell("–" if mean is None else i18n.decimal(mean, lang), None if mean is None else round(mean, 2),
             figure="satisfaction"),
        _num(group.rating_count, "ratings"),
    ]


def summary(f: NodeFigures, lang: str) -> Table:
    t = i18n.translator(lang)
    g = f.total
    table = Table("summary", t("figures_of") + " " + scope.name_of(f.node, lang),
                  [Column(t("figures_of")), Column(t("count"), numeric=True)])
    rows = [
        ("total", _num(g.total, "total")), ("open", _num(g.open, "open")),
        ("overdue_now", Cell(str(g.overdue_now), g.overdue_now, figure="overdue_now", alert=g.overdue_now > 0)),
        ("on_time", Cell(i18n.percent(g.on_time_share, lang), _pct(g.on_time_share), figure="on_time")),
        ("median_response", Cell(i18n.duration(g.median_response_s, lang), _hours(g.median_response_s),
                                 figure="median_response")),
        ("escalations", _num(g.escalations, "escalations")),
        ("satisfaction", Cell("–" if g.mean_rating is None else f"{i18n.decimal(g.mean_rating, lang)} / 5",
                              None if g.mean_rating is None else round(g.mean_rating, 2), figure="satisfaction")),
        ("ratings_count", _num(g.rating_count, "ratings")),
    ]
    for key, cell in rows:
        table.rows.append([Cell(t(key)), cell])
        table.keys.append(key)
    return table


def kpis(table: Table) -> dict[str, Cell]:
    """The summary's cells by figure name (the cards at the top of the page)."""
    return {key: row[1] for key, row in zip(table.keys, table.rows, strict=True)}


def status(f: NodeFigures, lang: str) -> Table:
    t = i18n.translator(lang)
    table = Table("status", t("by_status"), [Column(t("status")), Column(t("count"), numeric=True)])
    for s in STATUSES:
        table.rows.append([Cell(i18n.status_label(s, lang), s), _num(f.total.by_status.get(s, 0), s)])
        table.keys.append(s)
    return table


def children(f: NodeFigures, lang: str) -> Table:
    t = i18n.translator(lang)
    table = Table("children", t("children_ranking"), _group_columns("jurisdiction", lang))
    for group in f.children:
        label = group_label(group, f.node, lang)
        link = node_link(group.link) if group.link else None
        table.rows.append(_group_row(group, Cell(label, f"{group.key} {label}", href=link), lang))
        table.keys.append(group.key)
    return table


def agencies(f: NodeFigures, lang: str) -> Table:
    t = i18n.translator(lang)
    columns = _group_columns("agency", lang)
    table = Table("agencies", t("agency_ranking"), [columns[0], Column(t("jurisdiction")), *columns[1:]])
    for group in f.agencies:
        row = _group_row(group, Cell(group_label(group, f.node, lang), group.key or None), lang)
        code = group.jurisdiction_code if group.kind == "agency" else None
        where = Cell(scope.name_of(code, lang) if code else "–", code or "")
        table.rows.append([row[0], where, *row[1:]])
        table.keys.append(group.key)
    return table


def overdue(f: NodeFigures, lang: str, zone: str = "Asia/Jakarta") -> Table:
    t = i18n.translator(lang)
    table = Table("overdue", t("overdue_list"), [
        Column(t("tracking_number")), Column(t("title")), Column(t("jurisdiction")), Column(t("agency")),
        Column(t("category")), Column(t("status")), Column(t("stage")), Column(t("due_at")),
        Column(t("late_by"), f"{t('late_by')} ({t('hour')})", numeric=True), Column(t("escalations"), numeric=True),
    ])
    for item in f.overdue:
        number = item.tracking_number or ""
        table.rows.append([
            Cell(number, href=complaint_link(number) if number else None), Cell(item.title),
            Cell(scope.name_of(item.jurisdiction_code, lang), item.jurisdiction_code),
            Cell(item.agency_name or "–", item.agency_name or ""), Cell(item.category or "–", item.category or ""),
            Cell(i18n.status_label(item.status, lang), item.status),
            Cell(i18n.stage_label(item.stage, lang), item.stage or ""),
            Cell(i18n.when(item.due_at, lang, zone), item.due_at.isoformat() if item.due_at else None),
            Cell(i18n.duration(item.late_s, lang), _hours(item.late_s)), _num(item.escalations),
        ])
        table.keys.append(number)
    return table


def _trend(name: str, title: str, trend: Trend, lang: str) -> Table:
    t = i18n.translator(lang)
    table = Table(name, title, [Column(t("period")), Column(t("received"), numeric=True),
                                Column(t("responded_series"), numeric=True), Column(t("closed_series"), numeric=True)])
    for i, period in enumerate(trend.periods):
        table.rows.append([Cell(i18n.day_label(period, lang), period.isoformat()), _num(trend.received[i]),
                           _num(trend.responded[i]), _num(trend.closed[i])])
        table.keys.append(period.isoformat())
    return table


def daily(f: NodeFigures, lang: str) -> Table:
    return _trend("daily", i18n.translator(lang)("trend_daily"), f.daily, lang)


def weekly(f: NodeFigures, lang: str) -> Table:
    return _trend("weekly", i18n.translator(lang)("trend_weekly"), f.weekly, lang)


BUILDERS: dict[str, Callable[[NodeFigures, str], Table]] = {
    "summary": summary, "status": status, "children": children, "agencies": agencies, "overdue": overdue,
    "daily": daily, "weekly": weekly,
}


def _fact_text(entry: LogEntry, lang: str, zone: str) -> str:
    f = entry.facts
    parts = []
    if f.get("agency_name"):
        parts.append(f["agency_name"])
    elif f.get("agency_id"):
        parts.append(f["agency_id"])
    if f.get("to_agency_name"):
        parts.append("→ " + f["to_agency_name"])
    if f.get("stage"):
        parts.append(i18n.stage_label(f["stage"], lang))
    if f.get("due_at"):
        parts.append(i18n.translator(lang)("due_at") + " " + i18n.when(datetime.fromisoformat(f["due_at"]), lang, zone))
    if f.get("rating") is not None:
        parts.append(f"{f['rating']} / 5")
    if f.get("escalation_level"):
        parts.append(f"level {f['escalation_level']}")
    if f.get("reason"):
        parts.append(f"({f['reason']})")
    return " · ".join(parts)


def history(steps: list[tuple[LogEntry, Row]], lang: str, zone: str = "Asia/Jakarta") -> Table:
    t = i18n.translator(lang)
    table = Table("history", t("history"), [Column(t("time")), Column(t("event")), Column(t("status_after")),
                                            Column(t("jurisdiction")), Column(t("details"))])
    for entry, row in steps:
        table.rows.append([
            Cell(i18n.when(entry.occurred_at, lang, zone), entry.occurred_at.isoformat()),
            Cell(i18n.event_label(entry.event_type, lang), entry.event_type),
            Cell(i18n.status_label(row.status, lang), row.status),
            Cell(scope.name_of(row.jurisdiction_code, lang), row.jurisdiction_code),
            Cell(_fact_text(entry, lang, zone)),
        ])
        table.keys.append(str(entry.event_id))
    return table
