"""Every planned notification, counted where it lands: the mail, SMS and webhook sinks and the in-app inbox.

What is *planned* is worked out from outside notify's own decisions: the lifecycle events read from
``lapor.complaints`` (who hears what, by notify's published rules in ``lapor_notify.plan``), the contact
each reporter gave (known from the workload that submitted it) and the recipients file notify was given.
What is *delivered* is what the sinks received (e-mail by its ``X-Lapor-Delivery`` header, SMS by its
``reference``, webhooks by their ``delivery_id``) and the inbox rows; notify's delivery table only names
each delivery id's source event, recipient and channel. A planned message that was recorded but never
sent (waiting, expired, failed) is missing here, whatever notify's table says.

One planned message per (source event, recipient, channel); exactly once means one delivery id reached
its sink for it. The same delivery id received again (a send repeated after a crash, which receivers
dedupe by that id) is counted apart as ``resent``.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from lapor_notify import plan, recipients
from lapor_notify.plan import Planned as PlannedMessage  # this module's Planned is what the sinks must show
from lapor_shared.events import Envelope

Key = tuple[str, str, str]
"""(source event id, recipient ref, channel)"""


@dataclass(frozen=True)
class Reporter:
    """The contact a reporter gave, as the workload submitted it."""

    email: str | None
    phone: str | None
    channel: str


@dataclass(frozen=True)
class Planned:
    kind: str  # template/channel
    occurred_at: float
    to: str | None = None  # the reporter's own address, for e-mail


@dataclass
class Receipt:
    delivery_id: str
    at: float
    to: str | None = None


@dataclass
class Tally:
    planned: int = 0
    delivered: int = 0
    missing: int = 0
    duplicated: int = 0
    resent: int = 0
    misaddressed: int = 0


@dataclass
class Effects:
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    delays: list[tuple[float, float]] = field(default_factory=list)
    """(source event time, seconds from the event to its first delivery)"""
    unplanned: int = 0
    unplanned_examples: list[list[str]] = field(default_factory=list)
    missing_examples: list[dict[str, str]] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return sum(t.planned for t in self.by_kind.values())

    @property
    def complete(self) -> bool:
        return all(t.missing == 0 for t in self.by_kind.values())

    def failures(self) -> list[str]:
        problems = []
        for kind, t in sorted(self.by_kind.items()):
            if t.missing:
                problems.append(f"{kind}: {t.missing} of {t.planned} planned never delivered")
            if t.duplicated:
                problems.append(f"{kind}: {t.duplicated} delivered more than once")
            if t.misaddressed:
                problems.append(f"{kind}: {t.misaddressed} sent to another address than the reporter's")
        if self.unplanned:
            problems.append(f"{self.unplanned} messages delivered that nobody planned: {self.unplanned_examples}")
        return problems

    def table(self) -> list[dict[str, Any]]:
        return [{"kind": k, "planned": t.planned, "delivered": t.delivered, "missing": t.missing,
                 "duplicated": t.duplicated, "resent": t.resent} for k, t in sorted(self.by_kind.items())]


class Planner:
    """Who should hear what, over the events seen on ``lapor.complaints`` (in each complaint's order)."""

    def __init__(self, recipient_rows: list[dict[str, Any]], reporters: dict[str, Reporter]) -> None:
        if any(r.get("digest", "none") != "none" for r in recipient_rows):
            raise ValueError("chaos counts messages sent at once: its recipients choose no digest")
        self._rows = {r["recipient_ref"]: r for r in recipient_rows}
        self._reporters = reporters

    def _recipient(self, ref: str) -> dict[str, Any] | None:
        row = self._rows.get(ref) or self._rows.get(f"{ref.split(':', 1)[0]}:*")
        return recipients.resolved(row, ref)

    def plan(self, events: dict[str, list[Envelope[Any]]]) -> dict[Key, Planned]:
        planned: dict[Key, Planned] = {}
        for complaint_events in events.values():
            view: plan.ComplaintView | None = None
            for envelope in complaint_events:
                view = plan.updated_view(envelope, view) or view
                assert view is not None
                for p in plan.plan(envelope, view):
                    for channel, to in self._channels(p, envelope):
                        key = (str(envelope.event_id), p.recipient_ref, channel)
                        planned[key] = Planned(f"{p.template}/{channel}", envelope.occurred_at.timestamp(), to)
        return planned

    def _channels(self, p: PlannedMessage, envelope: Envelope[Any]) -> list[tuple[str, str | None]]:
        if p.recipient_kind == "reporter":
            reporter = self._reporters.get(str(envelope.correlation_id))
            found: list[tuple[str, str | None]] = [("inbox", None)]
            if reporter is not None and reporter.email:
                found.append(("email", reporter.email))
            if reporter is not None and reporter.phone and (not reporter.email or reporter.channel == "sms"):
                found.append(("sms", None))
            return found
        return [(c, None) for c in recipients.channels_of(self._recipient(p.recipient_ref))] or [("inbox", None)]


async def receipts(database_url: str, sink_store: Path) -> tuple[dict[Key, list[Receipt]], int]:
    """What reached the sinks and the inbox, by planned key; and how many receipts name no known delivery."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT notification_id, source_event_id, recipient_ref, channel, sent_at FROM notify.notifications"
        )
        inbox = await conn.fetch("SELECT delivery_id FROM notify.inbox_messages")
    finally:
        await conn.close()
    deliveries = {str(r["notification_id"]): r for r in rows}
    found: dict[Key, list[Receipt]] = defaultdict(list)
    unknown = 0

    def add(delivery_id: str | None, at: float, to: str | None = None) -> None:
        nonlocal unknown
        row = deliveries.get(delivery_id or "")
        if row is None:
            unknown += 1
            return
        found[(str(row["source_event_id"]), row["recipient_ref"], row["channel"])].append(
            Receipt(delivery_id or "", at, to))

    for r in inbox:
        row = deliveries.get(str(r["delivery_id"]))
        add(str(r["delivery_id"]), row["sent_at"].timestamp() if row is not None and row["sent_at"] else math.nan)
    for line in await asyncio.to_thread(_lines, sink_store):
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line being written as we read
        at = datetime.fromisoformat(item["received_at"]).timestamp()
        if item["kind"] == "email":
            add(item.get("delivery_id"), at, (item.get("to") or [None])[0])
        elif item["kind"] == "sms":
            add(item.get("reference"), at)
        elif item["kind"] == "webhook":
            document = item.get("document")
            add(document.get("delivery_id") if isinstance(document, dict) else None, at)
    return found, unknown


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []


def count(planned: dict[Key, Planned], found: dict[Key, list[Receipt]], unknown: int) -> Effects:
    effects = Effects(unplanned=unknown)
    for key, p in planned.items():
        tally = effects.by_kind[p.kind]
        tally.planned += 1
        got = found.get(key, [])
        ids = {r.delivery_id for r in got}
        if not ids:
            tally.missing += 1
            if len(effects.missing_examples) < 10:
                effects.missing_examples.append({"source_event_id": key[0], "recipient_ref": key[1],
                                                 "channel": key[2], "kind": p.kind})
            continue
        tally.delivered += 1
        tally.duplicated += len(ids) > 1
        tally.resent += len(got) - len(ids)
        if p.to is not None and any(r.to is not None and r.to.lower() != p.to.lower() for r in got):
            tally.misaddressed += 1
        first = min(r.at for r in got)
        if not math.isnan(first):
            effects.delays.append((p.occurred_at, first - p.occurred_at))
    surprises = [key for key in found if key not in planned]
    effects.unplanned += len(surprises)
    effects.unplanned_examples = [list(key) for key in surprises[:5]]
    return effects


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]
