"""The figures of one node of the tree over its subtree, as plain data (read from the read model).

Additive figures (counts, escalations, the sum and count of ratings) of a node equal the sum over its
children plus the node's own level; shares, means and the median are computed from them per group.
"Overdue now" depends on the clock: every function takes ``now``, so the same read model gives the same
figures for the same instant (a replay is compared that way).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from lapor_dashboard import repository, scope
from lapor_dashboard.projection import STATUSES

Kind = Literal["node", "child", "own", "agency", "unassigned"]
ADDITIVE = ("total", "open", "overdue_now", "answered", "on_time", "unanswered_late", "escalations", "escalated",
            "rating_sum", "rating_count")


@dataclass
class Group:
    key: str
    kind: Kind
    name: str | None = None
    """The agency's name (agencies); jurisdictions are named by the page in the viewer's language."""
    jurisdiction_code: str | None = None
    """The agency's jurisdiction (agencies)."""
    total: int = 0
    open: int = 0
    overdue_now: int = 0
    answered: int = 0
    on_time: int = 0
    unanswered_late: int = 0
    median_response_s: float | None = None
    escalations: int = 0
    escalated: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def decided(self) -> int:
        """Complaints whose deadline question is settled: answered, or unanswered and already late."""
        return self.answered + self.unanswered_late

    @property
    def on_time_share(self) -> float | None:
        """Share answered within the deadline, of those answered or already late; None without any."""
        return self.on_time / self.decided if self.decided else None

    @property
    def mean_rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def link(self) -> str | None:
        """The node to drill down into (a child jurisdiction), or None."""
        return self.key if self.kind == "child" else None

    def additive(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in ADDITIVE}, "by_status": dict(self.by_status)}

    def badness(self) -> tuple[Any, ...]:
        """Worst first: most overdue, then the lowest on-time share, the slowest, the most open."""
        share = self.on_time_share
        return (-self.overdue_now, share if share is not None else 1.0, -(self.median_response_s or 0.0),
                -self.open, -self.total, self.key)


@dataclass
class OverdueItem:
    tracking_number: str | None
    jurisdiction_code: str
    agency_name: str | None
    category: str | None
    status: str
    stage: str | None
    due_at: datetime | None
    late_s: float | None
    escalations: int
    title: str
    """The title, or ``[rahasia]`` when the viewer may not read it."""


@dataclass
class Trend:
    unit: Literal["day", "week"]
    periods: list[date]
    received: list[int]
    responded: list[int]
    closed: list[int]


@dataclass
class NodeFigures:
    node: str
    now: datetime
    total: Group
    children: list[Group]
    agencies: list[Group]
    overdue: list[OverdueItem]
    daily: Trend
    weekly: Trend

    def fingerprint(self) -> str:
        """Equal for equal figures (whatever ``now``): the live stream pushes only when it changes."""
        data = asdict(self)
        data.pop("now")
        return json.dumps(data, default=str, sort_keys=True)


def _groups(records: list[Any], statuses: list[Any], kind_of: Any) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for r in records:
        groups[r["key"]] = Group(
            key=r["key"], kind=kind_of(r["key"]), name=r["agency_name"], total=r["total"], open=r["open"],
            jurisdiction_code=r["jurisdiction_code"],
            overdue_now=r["overdue_now"], answered=r["answered"], on_time=r["on_time"],
            unanswered_late=r["unanswered_late"],
            median_response_s=float(r["median_response_s"]) if r["median_response_s"] is not None else None,
            escalations=r["escalations"], escalated=r["escalated"], rating_sum=r["rating_sum"],
            rating_count=r["rating_count"],
        )
    for s in statuses:
        group = groups.get(s["key"])
        if group is not None:
            group.by_status[s["status"]] = group.by_status.get(s["status"], 0) + s["n"]
    return groups


async def node_total(db: repository.Executor, node: str, now: datetime) -> Group:
    groups = _groups(await repository.group_figures(db, node, "node", now),
                     await repository.status_counts(db, node, "node"), lambda _: "node")
    return groups.get("", Group("", "node"))


async def child_groups(db: repository.Executor, node: str, now: datetime) -> list[Group]:
    """Every child jurisdiction of ``node`` (also those without complaints) and, when it has any, the
    node's own level, worst first."""
    groups = _groups(await repository.group_figures(db, node, "child", now),
                     await repository.status_counts(db, node, "child"),
                     lambda key: "own" if key == node else "child")
    if scope.level_of(node) != "regency":
        for code in scope.children(node):
            groups.setdefault(code, Group(code, "child"))
    if node in groups and groups[node].total == 0:
        del groups[node]
    return sorted(groups.values(), key=Group.badness)


async def agency_groups(db: repository.Executor, node: str, now: datetime) -> list[Group]:
    groups = _groups(await repository.group_figures(db, node, "agency", now),
                     await repository.status_counts(db, node, "agency"),
                     lambda key: "agency" if key else "unassigned")
    return sorted(groups.values(), key=Group.badness)


async def overdue_items(
    db: repository.Executor, node: str, now: datetime, *, viewer_scope: str, limit: int | None
) -> list[OverdueItem]:
    return [
        OverdueItem(
            tracking_number=r["tracking_number"], jurisdiction_code=r["jurisdiction_code"],
            agency_name=r["agency_name"], category=r["category"], status=r["status"], stage=r["stage"],
            due_at=r["due_at"], late_s=float(r["late_s"]) if r["late_s"] is not None else None,
            escalations=r["escalations"],
            title=scope.shown_title(r["title"], confidential=r["confidential"],
                                    responsible_code=r["responsible_code"], viewer_scope=viewer_scope),
        )
        for r in await repository.overdue_list(db, node, now, limit)
    ]


def periods(unit: Literal["day", "week"], count: int, today: date) -> list[date]:
    if unit == "day":
        return [today - timedelta(days=i) for i in range(count - 1, -1, -1)]
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=i) for i in range(count - 1, -1, -1)]


async def trend(db: repository.Executor, node: str, now: datetime, *, unit: Literal["day", "week"], count: int,
                zone: str) -> Trend:
    tz = ZoneInfo(zone)
    axis = periods(unit, count, now.astimezone(tz).date())
    since = datetime.combine(axis[0], datetime.min.time(), tz)
    series = {}
    for column in ("received_at", "first_response_at", "closed_at"):
        counts = await repository.per_period(db, node, column=column, unit=unit, since=since, zone=zone)
        series[column] = [counts.get(p, 0) for p in axis]
    return Trend(unit, axis, series["received_at"], series["first_response_at"], series["closed_at"])


async def load(
    db: repository.Executor, node: str, *, now: datetime, viewer_scope: str, zone: str = "Asia/Jakarta",
    trend_days: int = 30, trend_weeks: int = 12, overdue_limit: int | None = 50,
) -> NodeFigures:
    """Everything the page shows for ``node`` (the caller checked that the viewer may see it)."""
    return NodeFigures(
        node=node, now=now,
        total=await node_total(db, node, now),
        children=await child_groups(db, node, now),
        agencies=await agency_groups(db, node, now),
        overdue=await overdue_items(db, node, now, viewer_scope=viewer_scope, limit=overdue_limit),
        daily=await trend(db, node, now, unit="day", count=trend_days, zone=zone),
        weekly=await trend(db, node, now, unit="week", count=trend_weeks, zone=zone),
    )
