"""How the call-centre import talks to the platform: it publishes submissions and reads intake's answers,
as any outside channel adapter would (plain aiokafka, no service code).

``Transport`` is the interface the import needs; ``KafkaTransport`` is the real one, and the tests use
fakes of it. ``OutcomeBook`` keeps the answers to call-centre messages as they arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, Protocol

from lapor_gateway.call_centre.rows import CHANNEL
from lapor_shared.events import DecodeError, Envelope, decode, encode, headers_of
from lapor_shared.events.intake import ComplaintRejected, SubmissionAccepted
from lapor_shared.offset_gaps import DEFAULT_WAIT_S, OffsetGaps
from lapor_shared.topics import SUBMISSION_RESULTS, SUBMISSIONS, key_of

STATUS_ACCEPTED, STATUS_REJECTED = "diterima", "ditolak"
IN_FLIGHT = 500
"""Messages sent to Kafka before waiting for their acknowledgements."""


class OutcomeBook:
    """Intake's answers to call-centre messages, as they arrive on the results topic."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Event()

    def record(self, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, SubmissionAccepted) and str(payload.channel) == CHANNEL:
            self.answers[payload.channel_message_id] = {"status": STATUS_ACCEPTED,
                                                        "tracking_number": payload.tracking_number,
                                                        "reporter_key": payload.reporter_key}
        elif isinstance(payload, ComplaintRejected) and str(payload.channel) == CHANNEL:
            if self.answers.get(payload.channel_message_id, {}).get("status") == STATUS_ACCEPTED:
                return  # an accepted message stays accepted
            self.answers[payload.channel_message_id] = {
                "status": STATUS_REJECTED,
                "reasons": "; ".join(f"{r.message_id} ({r.message_en})" for r in payload.reasons),
            }
        else:
            return
        self._changed.set()

    def record_raw(self, body: bytes | None) -> None:
        with contextlib.suppress(DecodeError):
            self.record(decode(body))

    async def wait_for(self, ids: set[str], timeout: float, progress: Callable[[int], None]) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(ids)
        while True:
            waiting = {i for i in waiting if i not in self.answers}
            progress(len(ids) - len(waiting))
            remaining = deadline - time.monotonic()
            if not waiting or remaining <= 0:
                return
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 1.0))
            await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))  # answers come in batches


class Transport(Protocol):
    """Where the import sends submissions and reads intake's answers. A transport that sends without
    waiting for each acknowledgement also has ``async def flush()``: return once everything sent so far
    was taken (or raise); ``run_import`` calls it when it has one."""

    book: OutcomeBook

    async def publish(self, envelope: Envelope[Any]) -> None:
        """Send one submission (it may still be on its way when this returns, if there is a ``flush``)."""


class KafkaTransport:
    """Plain aiokafka, as any outside adapter: a producer for submissions, and a consumer that reads
    the results topic from the beginning. The consumer joins no group: it commits nothing, and a group
    would only make each import wait for it to form (3 s on Apache Kafka, 5 s on the embedded broker)."""

    def __init__(self, bootstrap: str, client_options: dict[str, Any] | None = None) -> None:
        self.bootstrap = bootstrap
        self.client_options = dict(client_options or {})  # TLS / SASL, as the gateway's settings give them
        self.book = OutcomeBook()
        self._producer: Any = None
        self._consumer: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._in_flight: list[asyncio.Future[Any]] = []

    async def __aenter__(self) -> KafkaTransport:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5,
                                          **self.client_options)
        self._consumer = AIOKafkaConsumer(
            SUBMISSION_RESULTS.name, bootstrap_servers=self.bootstrap, auto_offset_reset="earliest",
            group_id=None, enable_auto_commit=False,  # every partition, no group: Read on the topic is enough
            **self.client_options,
        )
        await self._producer.start()
        await self._consumer.start()
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        gaps = OffsetGaps(DEFAULT_WAIT_S)  # a result the broker hands out late is waited for, not read past
        while True:
            batch = await gaps.admit_batch(self._consumer, await self._consumer.getmany(timeout_ms=500))
            for records in batch.values():
                for record in records:
                    self.book.record_raw(record.value)

    async def publish(self, envelope: Envelope[Any]) -> None:
        self._in_flight.append(await self._producer.send(
            SUBMISSIONS.name, encode(envelope), key=key_of(envelope, SUBMISSIONS.name),
            headers=[(k, v.encode()) for k, v in headers_of(envelope).items()],
        ))
        if len(self._in_flight) >= IN_FLIGHT:
            await self.flush()

    async def flush(self) -> None:
        sent, self._in_flight = self._in_flight, []
        await asyncio.gather(*sent)

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._consumer.stop()
        await self._producer.stop()
