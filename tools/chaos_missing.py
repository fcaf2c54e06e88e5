"""Why a planned notification never arrived: what each part of the way holds of its source event.

A chaos run that finds a planned message missing says so by kind (``chaos_effects``). That is the verdict,
not the cause, and the run's database and broker are gone once it ends. For each missing example this
looks, before they go, at every place the source event should have left a trace:

- where the event lies (topic, partition, offset, as the run's own reader saw it);
- whether notify's lifecycle consumer recorded it in its inbox, and when;
- the deliveries notify recorded for it (status, attempts, due and sent times; never their text);
- notify's committed offset on that partition (past the event: notify's group moved on without it);
- the lines of the services' logs that name it.

An inbox row with no delivery points at notify's planning; no inbox row with a committed offset past the
event points at the consumer or the broker; deliveries stuck unsent point at the worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

NOTIFY_GROUP = "lapor-notify"
NOTIFY_CONSUMER = "notify.complaints"
LOG_LINES = 12
"""Lines of the logs kept per event, each cut to ``LOG_LINE_CHARS``."""
LOG_LINE_CHARS = 400

Location = tuple[str, int, int]
"""(topic, partition, offset)"""


async def explain(database_url: str, bootstrap: str, log_dir: Path, located: dict[str, Location],
                  examples: list[dict[str, str]]) -> list[dict[str, Any]]:
    """One account per distinct source event of ``examples`` (``Effects.missing_examples``)."""
    event_ids = list(dict.fromkeys(e["source_event_id"] for e in examples))
    if not event_ids:
        return []
    committed = await _committed(bootstrap, {located[i][:2] for i in event_ids if i in located})
    rows = await _rows(database_url, event_ids)
    lines = _log_lines(log_dir, event_ids)
    accounts = []
    for event_id in event_ids:
        where = located.get(event_id)
        tp = TopicPartition(where[0], where[1]) if where else None
        accounts.append({
            "source_event_id": event_id,
            "missing": [f"{e['recipient_ref']}/{e['channel']}" for e in examples if e["source_event_id"] == event_id],
            "at": f"{where[0]}:{where[1]}@{where[2]}" if where else None,
            "notify_committed": committed.get(tp) if tp else None,
            "notify_inbox_at": rows["inbox"].get(event_id),
            "deliveries": rows["deliveries"].get(event_id, []),
            "log_lines": lines.get(event_id, []),
        })
    return accounts


async def _committed(bootstrap: str, partitions: set[tuple[str, int]]) -> dict[TopicPartition, int | str]:
    if not partitions:
        return {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        offsets = await admin.list_consumer_group_offsets(
            NOTIFY_GROUP, partitions=[TopicPartition(t, p) for t, p in sorted(partitions)])
        return {tp: meta.offset for tp, meta in offsets.items()}
    except Exception as exc:  # a diagnosis never fails the run it explains
        return {TopicPartition(t, p): f"unknown: {exc!r}"[:200] for t, p in partitions}
    finally:
        await admin.close()


async def _rows(database_url: str, event_ids: list[str]) -> dict[str, dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        inbox = await conn.fetch(
            "SELECT message_id, processed_at FROM notify.inbox WHERE consumer = $1 AND message_id = ANY($2::text[])",
            NOTIFY_CONSUMER, event_ids)
        deliveries = await conn.fetch(
            "SELECT source_event_id::text AS event_id, (to_jsonb(n) - ARRAY['subject', 'body', 'sms_text', 'data',"
            " 'languages', 'traceparent'])::text AS row FROM notify.notifications n"
            " WHERE source_event_id = ANY($1::uuid[]) ORDER BY created_at", event_ids)
    finally:
        await conn.close()
    found: dict[str, list[str]] = {}
    for r in deliveries:
        found.setdefault(r["event_id"], []).append(r["row"])
    return {"inbox": {r["message_id"]: r["processed_at"].isoformat() for r in inbox}, "deliveries": found}


def _log_lines(log_dir: Path, event_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(log_dir.glob("*.log")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            for event_id in event_ids:
                if event_id in line and len(found.setdefault(event_id, [])) < LOG_LINES:
                    found[event_id].append(f"{path.stem}: {line[:LOG_LINE_CHARS]}")
    return found
