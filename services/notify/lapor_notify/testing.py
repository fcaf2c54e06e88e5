"""Test support for notify (imported by tests only): fakes of our own ``Channel`` interface, a real SMTP
server (aiosmtpd) and a small HTTP server that records requests, all in the test's event loop."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from faststream.kafka.annotations import KafkaMessage

from lapor_notify.channels.base import OutboundMessage, PermanentError, TransientError

# --- fakes of our own Channel interface -----------------------------------------------------------


class RecordingChannel:
    """Records every message; ``failures`` is a list of exceptions to raise first (one per call), and
    ``fail_when(message)`` can pick messages that always fail."""

    def __init__(self, name: str, *, failures: list[Exception] | None = None,
                 fail_when: Callable[[OutboundMessage], Exception | None] | None = None,
                 delay_s: float = 0.0) -> None:
        self.name = name
        self.sent: list[OutboundMessage] = []
        self.calls = 0
        self._failures = list(failures or [])
        self._fail_when = fail_when
        self._delay_s = delay_s

    async def send(self, message: OutboundMessage) -> None:
        self.calls += 1
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        if self._fail_when is not None and (exc := self._fail_when(message)) is not None:
            raise exc
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(message)


def transient(reason: str = "provider busy") -> TransientError:
    return TransientError(reason)


def permanent(reason: str = "address refused") -> PermanentError:
    return PermanentError(reason)


# --- a real SMTP server ---------------------------------------------------------------------------


class SmtpSink:
    """aiosmtpd on 127.0.0.1 in the running loop; ``messages`` are parsed ``EmailMessage`` objects."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd handler hook
        raw = envelope.original_content or envelope.content
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    async def start(self) -> SmtpSink:
        from aiosmtpd.smtp import SMTP

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SMTP(self, hostname="sink.test"), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


# --- a small HTTP server that records requests ------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpRecorder:
    """Answers every request with the next status in ``statuses`` (then 200) and records it."""

    statuses: list[int] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    port: int = 0
    _server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> HttpRecorder:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(RecordedRequest(method, path, headers, body))
                status = self.statuses.pop(0) if self.statuses else 200
                reply = b'{"ok":true}'
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(reply)}\r\n\r\n".encode() + reply)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


# --- a notify runtime on the in-memory broker, with collectors ----------------------------------

DEFAULT_TEST_SENDING = {"autostart": False, "backoff_initial_s": 30.0, "max_attempts": 4, "contact_wait_s": 600.0}


def contact_shared(
    cause: Any, contact: Any, *, keys: str | None = None, reporter_ref: Any = None, anonymous: bool = False,
    channel: str = "web",
) -> Any:
    """``reporter.contact_shared`` for the complaint of ``cause``, encrypted as intake encrypts it."""
    from uuid import uuid4

    from lapor_shared.crypto import ContactCipher
    from lapor_shared.events.intake import ReporterContactShared
    from lapor_shared.settings import ServiceSettings
    from lapor_shared.testing.factories import envelope

    cipher = ContactCipher.from_setting(keys or ServiceSettings().contact_keys)
    key_id, token = cipher.encrypt(contact)
    ref = reporter_ref or getattr(cause.payload, "reporter_ref", None) or uuid4()
    payload = ReporterContactShared(reporter_ref=ref, channel=channel, anonymous=anonymous, key_id=key_id,
                                    ciphertext=token)
    return envelope(payload, producer="intake", caused_by=cause)


def contact_erased(reporter_ref: Any, cause: Any = None) -> Any:
    from datetime import UTC, datetime

    from lapor_shared.events.intake import ReporterContactErased
    from lapor_shared.testing.factories import envelope

    return envelope(ReporterContactErased(reporter_ref=reporter_ref, erased_at=datetime.now(UTC)),
                    producer="intake", **({"caused_by": cause} if cause is not None else {}))


class Harness:
    """``async with Harness(database_url, channels=…, clock=…) as h``: notify on the in-memory broker with
    a real database; ``h.events`` (lapor.notifications) and ``h.dead_letters`` collect what it published."""

    def __init__(self, database_url: str, *, channels: dict[str, Any] | None = None, clock: Any = None,
                 sending: dict[str, Any] | None = None, **settings: Any) -> None:
        from lapor_notify.app import build_runtime
        from lapor_notify.settings import NotifySettings, SendingSettings
        from lapor_shared.topics import DEAD_LETTER, NOTIFICATIONS

        settings.setdefault("recipients_file", "")
        self.settings = NotifySettings(
            database_url=database_url, sending=SendingSettings(**{**DEFAULT_TEST_SENDING, **(sending or {})}),
            **settings,
        )
        self.runtime = build_runtime(self.settings, clock=clock, channels=channels)
        self.worker = self.runtime.worker  # type: ignore[attr-defined]
        self.events: list[dict[str, Any]] = []
        self.dead_letters: list[tuple[dict[str, Any], dict[str, str]]] = []

        @self.runtime.broker.subscriber(NOTIFICATIONS.name, group_id="test-notifications")
        async def collect_events(body: bytes) -> None:
            self.events.append(json.loads(body))

        @self.runtime.broker.subscriber(DEAD_LETTER.name, group_id="test-deadletter")
        async def collect_dead(body: bytes, msg: KafkaMessage) -> None:
            self.dead_letters.append((json.loads(body), {k: str(v) for k, v in (msg.headers or {}).items()}))

    async def __aenter__(self) -> Harness:
        from lapor_shared.testing.service import in_memory

        self._context = in_memory(self.runtime)
        self.broker = await self._context.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._context.__aexit__(*exc)

    @property
    def pool(self) -> Any:
        return self.runtime.pool

    async def publish(self, envelope: Any, topic: str | None = None) -> None:
        from lapor_shared.events import encode, headers_of
        from lapor_shared.topics import destinations

        await self.broker.publish(encode(envelope), topic=topic or destinations(envelope)[0],
                                  headers=headers_of(envelope))

    async def deliver(self) -> None:
        """Send everything due now, then let the outbox relay publish what that produced."""
        await self.worker.drain()
        await self.flush()

    async def flush(self, timeout_s: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            self.runtime.relay.backlog_hint()  # type: ignore[union-attr]
            if not await self.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                await asyncio.sleep(0.05)  # let the in-memory subscribers run
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("outbox not published")

    async def add_recipient(self, recipient_ref: str, **fields: Any) -> None:
        from lapor_notify import repository
        from lapor_notify.recipients import RecipientSeed

        seed = RecipientSeed(recipient_ref=recipient_ref, **fields)
        async with self.pool.acquire() as conn:
            await repository.upsert_recipient(conn, seed.model_dump(), self.runtime.notifier.clock.now())  # type: ignore[attr-defined]

    async def deliveries(self, **where: Any) -> list[dict[str, Any]]:
        clauses = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, start=1)) or "true"
        rows = await self.pool.fetch(f"SELECT * FROM notifications WHERE {clauses} ORDER BY created_at, channel",
                                     *where.values())
        return [dict(r) for r in rows]
