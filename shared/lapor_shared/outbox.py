"""The transactional outbox: the only way events leave a service.

``Outbox.add`` writes an event, once per destination topic, inside the caller's transaction, so the
event exists if and only if the state change that caused it committed. Each row holds what its topic
shows of the event (``views.shown_on``: a shared jurisdiction topic withholds a rahasia complaint's
content), under the same event id. ``OutboxRelay`` publishes the
rows in id order (one active relay per schema, elected by an advisory lock) and marks them published.
A crash between publishing and marking publishes again: consumers dedupe by event id (the inbox).

A row the broker refuses for good (too large, unknown or forbidden topic, invalid record), or that
keeps failing while other rows go through, is **parked** with the reason: a metric, an error log line,
and the operator's view (``python -m lapor_shared.operator outbox parked``). Later rows of the same
topic and key wait behind it, so that key's order holds, until an operator retries or discards it;
every other row flows on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from lapor_shared.background import BackgroundLoop
from lapor_shared.db import Conn, holds_session_state
from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.inbox import InboxRows, record_all, recording
from lapor_shared.logging import get_logger
from lapor_shared.senders import PUBLISHED, BrokerSender, KafkaSender, Refused, Sender
from lapor_shared.settings import DeliverySettings
from lapor_shared.topics import destinations, key_of
from lapor_shared.tracing import current_trace_headers
from lapor_shared.views import shown_on

__all__ = ["BrokerSender", "KafkaSender", "Outbox", "OutboxRelay", "Sender", "prune_published"]

log = get_logger(component="outbox")

_INSERT = """
INSERT INTO outbox (topic, key, headers, payload, event_id)
SELECT t.topic, t.key, $3, t.payload, $4 FROM unnest($1::text[], $2::bytea[], $5::bytea[]) AS t (topic, key, payload)
"""

_INSERT_MANY = """
INSERT INTO outbox (topic, key, headers, payload, event_id)
SELECT t.topic, t.key, t.headers::jsonb, t.payload, t.event_id
FROM unnest($1::text[], $2::bytea[], $3::text[], $4::bytea[], $5::uuid[]) WITH ORDINALITY
    AS t (topic, key, headers, payload, event_id, position)
ORDER BY t.position
"""
"""Many events' rows in one statement, their ids in the order given (the relay publishes in id order)."""

_INSERT_MANY_RECORDING = f"""
WITH claimed AS ({recording(6)}),
added AS ({_INSERT_MANY})
SELECT (SELECT count(*) FROM claimed), set_config('lapor.outbox_woken_here', $9, true)
"""
"""The same rows, and a consumer's batch recorded in its inbox by the same statement (``InboxRows``); ``$9``
'on' when the service's relay leads in this process and the consumer wakes it after the commit: the outbox
trigger then sends no NOTIFY (migration 0004), which would wake every listener of the database."""

_NEXT_ROWS = """
SELECT id, topic, key, headers, payload FROM outbox o
WHERE published_at IS NULL AND parked_at IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM outbox p
    WHERE p.parked_at IS NOT NULL AND p.published_at IS NULL AND p.discarded_at IS NULL
      AND p.topic = o.topic AND p.key = o.key AND p.id < o.id)
ORDER BY id LIMIT $1
"""
"""The next rows in id order, leaving out parked rows and the rows of their topic and key after them."""

_READ_IN_INDEX_ORDER = "SET enable_bitmapscan = off"
"""The relay's session reads the unpublished rows by walking ``outbox_unpublished`` in id order. A bitmap
scan, which the planner prefers while it counts few unpublished rows, visits every row marked published
since the table was last vacuumed, at every round, and never marks their index entries dead; a plain index
scan marks them as it passes, so each round visits only the rows marked since the round before (at 70
complaints/s, 400-1,300 buffers a read against 10-40: ``docs/performance.md``, twelfth steps). The
setting ends with the lead (the connection's full reset: ``holds_session_state``)."""


class RelayRoundFailed(Exception):
    """Some rows of a round were not published for a reason that may pass: back off, then try again."""


class Outbox:
    """Writes events into the service's outbox table, inside the caller's transaction."""

    _relay: OutboxRelay | None = None

    def served_by(self, relay: OutboxRelay) -> None:
        """The relay of this process: while it leads, a consumer's batch wakes it here after its commit
        (``wake_relay``) instead of by a NOTIFY."""
        self._relay = relay

    def _leading_here(self) -> OutboxRelay | None:
        """The relay of this process, while it leads."""
        return self._relay if self._relay is not None and self._relay.leading else None

    def wake_relay(self) -> None:
        """After a commit that wrote rows: look now, if the relay of this process leads (else the NOTIFY
        of the outbox trigger wakes the relay that leads, wherever it runs)."""
        if (relay := self._leading_here()) is not None:
            relay.backlog_hint()

    async def add(
        self,
        conn: Conn,
        envelope: Envelope[Any],
        topics: Sequence[str] = (),
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Store ``envelope`` for each destination (as that topic shows it) with the current trace context
        (or ``extra_headers``)."""
        targets = list(topics) or destinations(envelope)
        keys = [key_of(envelope, topic) for topic in targets]
        if extra_headers is None:
            extra_headers = current_trace_headers()
        headers = {**headers_of(envelope), **extra_headers}
        await conn.execute(_INSERT, targets, keys, headers, envelope.event_id, bodies(envelope, targets))

    async def add_many(
        self,
        conn: Conn,
        envelopes: Sequence[Envelope[Any]],
        extra_headers: Sequence[Mapping[str, str] | None] | None = None,
        topics_of: Sequence[Sequence[str]] | None = None,
        *,
        inbox: InboxRows | None = None,
    ) -> bool:
        """``add`` for many envelopes in ONE statement (a batch's events), each to ``topics_of[i]`` (empty
        or no list: its catalogued destinations), rows in the order of ``envelopes``. ``extra_headers[i]``
        goes with ``envelopes[i]``; None (or no list) takes the current trace context, as ``add`` does.

        With ``inbox``, the same statement records a consumer's batch as processed; False when any of its
        ids was recorded before (a redelivery, or the same id with another body), and the caller rolls
        back. Without, always True. With ``inbox`` and this process's relay leading, no NOTIFY is sent: the
        caller wakes the relay after its commit (``wake_relay``)."""
        extras = list(extra_headers) if extra_headers is not None else [None] * len(envelopes)
        chosen = list(topics_of) if topics_of is not None else [()] * len(envelopes)
        if len(extras) != len(envelopes) or len(chosen) != len(envelopes):
            raise ValueError("extra_headers and topics_of must give one entry per envelope")
        topics: list[str] = []
        keys: list[bytes | None] = []
        headers: list[str] = []
        payloads: list[bytes] = []
        event_ids: list[Any] = []
        for envelope, extra, wanted in zip(envelopes, extras, chosen, strict=True):
            targets = list(wanted) or destinations(envelope)
            shown = json.dumps({**headers_of(envelope), **(current_trace_headers() if extra is None else extra)})
            topics.extend(targets)
            keys.extend(key_of(envelope, topic) for topic in targets)
            headers.extend(shown for _ in targets)
            payloads.extend(bodies(envelope, targets))
            event_ids.extend(envelope.event_id for _ in targets)
        if inbox is None:
            if topics:
                await conn.execute(_INSERT_MANY, topics, keys, headers, payloads, event_ids)
            return True
        if not topics:  # an empty INSERT still fires the statement's NOTIFY trigger: the inbox alone
            return await record_all(conn, inbox)
        woken_here = "on" if self._leading_here() is not None else "off"
        recorded = await conn.fetchval(_INSERT_MANY_RECORDING, topics, keys, headers, payloads, event_ids,
                                       inbox.consumer, list(inbox.message_ids), list(inbox.digests), woken_here)
        return bool(recorded == len(inbox.message_ids))

    async def add_raw(
        self, conn: Conn, *, topic: str, key: bytes | None, headers: Mapping[str, str], payload: bytes
    ) -> None:
        """A message that is not one of our envelopes (a dead letter keeps the original bytes)."""
        await conn.execute(_INSERT, [topic], [key], dict(headers), None, [payload])


def bodies(envelope: Envelope[Any], topics: Sequence[str]) -> list[bytes]:
    """The body each topic gets: ``envelope`` as the topic shows it (the whole one encoded once)."""
    whole = encode(envelope)
    views = (shown_on(envelope, topic) for topic in topics)
    return [whole if view is envelope else encode(view) for view in views]


class OutboxRelay:
    """Publishes committed outbox rows, in order, and marks them published."""

    def __init__(
        self, pool: asyncpg.Pool, *, schema: str, sender: Sender, settings: DeliverySettings,
        on_parked: Any = None,
    ) -> None:
        """``on_parked()`` is called for every row parked (the service counts it in its metrics)."""
        self._on_parked = on_parked
        self.parked_total = 0
        self._pool = pool
        self._schema = schema
        self._sender = sender
        self._settings = settings
        self._sender_started = False
        self._loop = BackgroundLoop(
            f"outbox-relay-{schema}", self._round, idle_s=settings.relay_poll_interval_s,
            failure_event=lambda: "outbox_relay_failed" if self._sender_started else "outbox_sender_unavailable",
            backoff_initial_s=settings.retry_initial_backoff_s, backoff_max_s=settings.retry_max_backoff_s,
            log=log, log_fields={"schema": schema},
        )
        self.published_total = 0
        self.leading = False
        """True while this relay holds its schema's lead (its lock and its LISTEN)."""

    async def start(self) -> None:
        """Start in the background: a broker that is not there yet is waited for, not a failed start."""
        self._loop.start()

    async def stop(self) -> None:
        """Publish what is committed so far (briefly), then stop."""
        await self._loop.stop(grace_s=5)
        await self._sender.stop()

    def backlog_hint(self) -> None:
        """Ask the relay to look now (tests and in-process publishers)."""
        self._loop.wake()

    async def _round(self) -> bool:
        """Start the sender (once it works), then lead: a round ends only when stopping or failing."""
        if not self._sender_started:
            await self._sender.start()
            self._sender_started = True
            return True
        await self._lead()
        return True

    async def _lead(self) -> None:
        """Hold the schema's relay lock on a dedicated connection and publish while holding it."""
        conn = await self._pool.acquire()
        channel = f"lapor_outbox_{self._schema}"
        try:
            lock_key = zlib.crc32(f"outbox-relay:{self._schema}".encode())
            holds_session_state(conn)  # the relay's lock and its LISTEN end with the lead, whatever happens
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key):
                await self._loop.sleep(1.0)  # another replica is the relay; stand by
                if self._loop.stopping:
                    return
            await conn.add_listener(channel, self._on_notify)
            await conn.execute(_READ_IN_INDEX_ORDER)
            self.leading = True
            log.info("outbox_relay_leading", schema=self._schema)
            failures = 0
            while True:
                try:
                    settled = await self.publish_batch(conn)
                    failures = 0
                except RelayRoundFailed as exc:  # some rows wait: back off, keep the lead
                    failures += 1
                    await self._loop.back_off("outbox_rows_not_published", exc, failures)
                    if self._loop.stopping:
                        return
                    continue
                if settled >= self._settings.relay_batch_size:
                    continue
                if self._loop.stopping:
                    return
                await self._loop.sleep(self._settings.relay_poll_interval_s)
                self._prune_sometimes()
        finally:
            self.leading = False
            with contextlib.suppress(Exception):
                await conn.remove_listener(channel, self._on_notify)
            with contextlib.suppress(Exception):
                await conn.execute("SELECT pg_advisory_unlock_all()")
            await self._pool.release(conn)

    def _on_notify(self, *_: object) -> None:
        self._loop.wake()

    async def publish_batch(self, conn: Conn) -> int:
        """Send the next rows; mark what was published, park what the broker refuses for good.

        Returns the number of rows settled (published or parked). Raises ``RelayRoundFailed`` when some
        rows failed for a reason that may pass, so that the loop backs off before the next round.
        """
        rows = await conn.fetch(_NEXT_ROWS, self._settings.relay_batch_size)
        if not rows:
            return 0
        outcomes = await self._sender.send_all(rows)
        published = [r["id"] for r, o in zip(rows, outcomes, strict=True) if o == PUBLISHED]
        refused = [(r, o) for r, o in zip(rows, outcomes, strict=True) if isinstance(o, Refused)]
        if published:
            await conn.execute(
                "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])", published
            )
            self.published_total += len(published)
        parked = await self._refused(conn, refused, broker_answered=bool(published)) if refused else 0
        return len(published) + parked

    async def _refused(
        self, conn: Conn, refused: list[tuple[asyncpg.Record, Refused]], *, broker_answered: bool
    ) -> int:
        permanent = [(r, o) for r, o in refused if o.kind == "permanent"]
        # a failure counts against its row only when the broker took other rows meanwhile
        counted = [(r, o) for r, o in refused if o.kind == "counted" or (o.kind == "away" and broker_answered)]
        if counted:
            attempts = await conn.fetch(
                "UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[]) RETURNING id, attempts",
                [r["id"] for r, _ in counted],
            )
            worn_out = {a["id"] for a in attempts if a["attempts"] >= self._settings.relay_max_attempts}
            permanent += [(r, o) for r, o in counted if r["id"] in worn_out]
        for row, outcome in permanent:
            await self._park(conn, row, outcome.reason)
        parked = {r["id"] for r, _ in permanent}
        waiting = [o for r, o in refused if r["id"] not in parked]
        if waiting:
            raise RelayRoundFailed(f"{len(waiting)} row(s) not published yet: {waiting[0].reason}")
        return len(parked)

    async def _park(self, conn: Conn, row: asyncpg.Record, reason: str) -> None:
        held = await conn.fetchval(
            "WITH parked AS (UPDATE outbox SET parked_at = clock_timestamp(), park_reason = $2"
            " WHERE id = $1 RETURNING topic, key)"
            " SELECT count(*) FROM outbox o, parked p WHERE o.published_at IS NULL AND o.parked_at IS NULL"
            " AND o.topic = p.topic AND o.key = p.key AND o.id > $1",
            row["id"], reason,
        )
        self.parked_total += 1
        if self._on_parked is not None:
            self._on_parked()
        log.error("outbox_row_parked", schema=self._schema, row_id=row["id"], topic=row["topic"],
                  reason=reason, held_behind=held,
                  hint="python -m lapor_shared.operator outbox parked / retry / discard")

    _idle_rounds = 0
    _pruning: asyncio.Task[int] | None = None

    def _prune_sometimes(self) -> None:
        """Every few hundred idle rounds, forget old published rows (in the background)."""
        self._idle_rounds += 1
        if self._idle_rounds % 300 == 0 and (self._pruning is None or self._pruning.done()):
            self._pruning = asyncio.create_task(self._prune())

    async def _prune(self) -> int:
        pruned = await prune_published(self._pool, self._settings.relay_keep_published_s)
        await self._pool.execute(
            "DELETE FROM dead_letters WHERE failed_at < clock_timestamp() - make_interval(secs => $1)",
            self._settings.dead_letter_keep_s,
        )
        return pruned


async def prune_published(pool: asyncpg.Pool, keep_s: float) -> int:
    """Forget published (and discarded) rows older than ``keep_s`` (kept meanwhile for re-publishing
    after a broker loss)."""
    result = await pool.execute(
        "DELETE FROM outbox WHERE published_at < clock_timestamp() - make_interval(secs => $1)"
        " OR discarded_at < clock_timestamp() - make_interval(secs => $1)", keep_s
    )
    return int(result.split()[-1])
