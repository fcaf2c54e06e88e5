"""Sending one claimed delivery: resolve its address, send it on its channel, hand the result on.

The addresses of a claim's deliveries are read together just after the claim (``look_up``: the stored,
still encrypted contacts and the recipient rows, in at most two statements) and each is resolved just
before its send: a reporter's contact is decrypted here and only here (and,
for the reporter's first message, the reporter's key that came with it: ``reporter_key``), an
officer's comes from the recipients table. Sending happens outside any transaction, so a slow provider
holds only its own slot (the Kafka consumers never wait for a provider at all). What became of the send
is recorded by ``outcomes``, together with the outcomes of the sends that finished about the same time:
sent, retried later, not applicable (skipped, cancelled) or failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from lapor_notify import recipients, reporter_key, repository
from lapor_notify.channels.base import Channel, OutboundMessage, PermanentError
from lapor_notify.outcomes import LATER_S, Outcomes, Result, Skip
from lapor_notify.settings import SendingSettings
from lapor_shared.crypto import ContactCipher, ContactDecryptionError
from lapor_shared.logging import get_logger, log_scope, redact_text
from lapor_shared.tracing import continue_trace, current_trace_id

log = get_logger(component="notify.worker")


@dataclass(frozen=True, slots=True)
class Addresses:
    """What ``Dispatcher.look_up`` read for a claim: contacts by complaint (``contacts_of``), recipient rows
    by ref (``recipients_of``)."""

    contacts: dict[UUID, asyncpg.Record]
    recipients: dict[str, asyncpg.Record | None]


class Dispatcher:
    def __init__(
        self, *, pool: Callable[[], asyncpg.Pool], sending: SendingSettings, channels: Mapping[str, Channel],
        cipher: ContactCipher, outcomes: Outcomes,
    ) -> None:
        self._pool = pool
        self._s = sending
        self.channels = dict(channels)
        self._cipher = cipher
        self._outcomes = outcomes
        self._provider_slots: dict[str, asyncio.Semaphore] = {}

    async def deliver(self, row: asyncpg.Record, addresses: Addresses | None = None) -> None:
        """Send one claimed delivery and record what became of it, in the trace of the event that planned it."""
        carrier = {"traceparent": row["traceparent"]} if row.get("traceparent") else {}
        with (
            continue_trace(carrier, f"deliver {row['channel']}", delivery_id=row["notification_id"]),
            log_scope({
                "delivery_id": str(row["notification_id"]), "channel": row["channel"], "template": row["template"],
                "recipient_ref": row["recipient_ref"], "tracking_number": row["tracking_number"],
                "attempt": row["attempts"], "trace_id": current_trace_id(),
            }),
        ):
            try:
                await self._attempt(row, addresses)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no outcome recorded: our housekeeping takes the claim back, resend
                log.error("delivery_outcome_not_recorded", error=redact_text(repr(exc))[:300])

    async def _attempt(self, row: asyncpg.Record, addresses: Addresses | None) -> None:
        try:
            message = await self.compose(row, addresses)
        except ContactDecryptionError:
            await self._settle(Result(row, "failed", "contact token cannot be decrypted", "contact_unreadable"))
            return
        if isinstance(message, Skip):
            await self._settle(Result(row, message.status, message.reason))
            return
        channel = self.channels.get(row["channel"])
        if channel is None:
            await self._settle(Result(row, "failed", f"channel {row['channel']} is not configured",
                                      "channel_unavailable"))
            return
        if getattr(channel, "in_outcome_transaction", False):  # the in-app inbox: written with the outcome
            await self._settle(Result(row, "sent", inbox=message))
            return
        slots = self._slots_of(row["channel"])
        try:
            async with asyncio.timeout(self._s.provider_wait_limit_s):
                await slots.acquire()
        except TimeoutError:  # every slot of this provider busy all along: back, not counted as an attempt
            await self._settle(Result(row, "later", "every provider slot busy"))
            return
        try:  # the slot is the provider's: free again once the send is over, before its outcome is recorded
            result = await self._send(channel, message, row)
        finally:
            slots.release()
        await self._settle(result)

    async def _send(self, channel: Channel, message: OutboundMessage, row: asyncpg.Record) -> Result:
        """Call the provider (within half the lease); what became of the send."""
        try:
            await asyncio.wait_for(channel.send(message), timeout=self._s.lease_s / 2)
        except asyncio.CancelledError:
            raise
        except PermanentError as exc:
            return Result(row, "failed", safe_error(exc, message), "permanent_error")
        except Exception as exc:  # TransientError, a timeout, or a provider bug: try again later
            detail = safe_error(exc, message)
            if row["attempts"] >= self._s.max_attempts:
                return Result(row, "failed", detail, "too_many_attempts")
            return Result(row, "retry", detail)
        return Result(row, "sent")

    def _slots_of(self, channel: str) -> asyncio.Semaphore:
        """The sends ``channel``'s provider may have in flight from this replica (``provider_concurrency``)."""
        slots = self._provider_slots.get(channel)
        if slots is None:
            slots = self._provider_slots[channel] = asyncio.Semaphore(self._s.provider_concurrency)
        return slots

    async def _settle(self, result: Result) -> None:
        """Hand the outcome over to be recorded with the others that finished about now, and say what
        became of it (in this delivery's log context)."""
        recorded = await self._outcomes.settle(result)
        if result.status == "sent":
            if recorded:
                log.info("delivery_sent")
            else:
                log.warning("delivery_lease_lost_after_send")
        elif result.status == "retry":
            log.warning("delivery_retry_scheduled", error=result.detail,
                        retry_in_s=self._outcomes.retry_in_s(result.row))
        elif result.status == "failed":
            if recorded:
                log.error("delivery_failed", reason=result.code, error=result.detail)
        elif result.status == "later":
            log.info("delivery_waits_for_provider", retry_in_s=LATER_S)
        else:
            log.info("delivery_not_applicable", status=result.status, reason=result.detail)

    async def look_up(self, rows: Sequence[asyncpg.Record]) -> Addresses:
        """What a claim's sends need from the database, read for all of them at once just after the claim
        (at most two statements on one connection): the reporters' stored contacts, still encrypted, and
        the officers' recipient rows."""
        complaints = [r["complaint_id"] for r in rows if r["channel"] != "inbox" and r["recipient_kind"] == "reporter"]
        refs = [r["recipient_ref"] for r in rows if r["channel"] != "inbox" and r["recipient_kind"] != "reporter"]
        if not complaints and not refs:
            return Addresses({}, {})
        async with self._pool().acquire() as conn:
            contacts = await repository.contacts_of(conn, complaints) if complaints else {}
            officers = await repository.recipients_of(conn, refs) if refs else {}
        return Addresses(contacts, officers)

    async def compose(self, row: asyncpg.Record, addresses: Addresses | None = None) -> OutboundMessage | Skip:
        """Resolve the address just before sending (from ``addresses`` when the claim looked it up): the
        reporter's contact is decrypted here and only here."""
        channel, to, secret = row["channel"], None, None
        subject, body, sms_text = row["subject"], row["body"], row["sms_text"]
        if channel != "inbox" and addresses is None:
            addresses = await self.look_up([row])
        if channel != "inbox" and row["recipient_kind"] == "reporter":
            assert addresses is not None
            stored = addresses.contacts.get(row["complaint_id"])
            if stored is None or stored["ciphertext"] is None:
                erased = stored is not None and stored["erased"]
                return Skip("cancelled", "contact erased") if erased else Skip("skipped", "no contact")
            contact = self._cipher.decrypt(stored["ciphertext"], stored["key_id"])
            subject, body, sms_text = _key_texts(stored, self._cipher, (subject, body, sms_text))
            if channel == "email":
                to = contact.email
            elif channel == "sms":
                to = contact.phone
                prefer_email = (contact.email and "email" in self.channels and not self._s.reporter_sms_with_email
                                and stored["source_channel"] != "sms")
                if to and prefer_email:
                    return Skip("skipped", "e-mail preferred over SMS")
        elif channel != "inbox":
            assert addresses is not None
            found = addresses.recipients.get(row["recipient_ref"])
            recipient = recipients.resolved(found, row["recipient_ref"]) or {}
            to = {"email": recipient.get("email"), "sms": recipient.get("phone"),
                  "webhook": recipient.get("webhook_url")}.get(channel)
            secret = recipient.get("webhook_secret")
        if channel != "inbox" and not to:
            return Skip("skipped", f"no {channel} address")
        return OutboundMessage(
            delivery_id=row["notification_id"], channel=channel, recipient_kind=row["recipient_kind"],
            recipient_ref=row["recipient_ref"], template=row["template"], subject=subject, body=body,
            sms_text=sms_text, tracking_number=row["tracking_number"], complaint_id=row["complaint_id"],
            source_event_id=row["source_event_id"], source_event_type=row["source_event_type"],
            created_at=row["created_at"], to=to, secret=secret, languages=tuple(row["languages"]),
            data=dict(row["data"] or {}),
        )


def _key_texts(stored: asyncpg.Record, cipher: ContactCipher, texts: tuple[str, str, str]) -> tuple[str, str, str]:
    """The first message's texts with the reporter's key in its slot, or without the slot's lines when the
    contact came without a key (or it was deleted once the first message went)."""
    if not any(reporter_key.SLOT in text for text in texts):
        return texts
    key = cipher.decrypt_text(stored["key_ciphertext"], stored["key_id"]) if stored["key_ciphertext"] else None
    subject, body, sms_text = (reporter_key.fill(t, key) if key else reporter_key.without(t) for t in texts)
    return subject, body, sms_text


def safe_error(exc: BaseException, message: OutboundMessage) -> str:
    """An error text fit for logs, the database and the dead-letter topic: no address in it."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if message.to:
        text = text.replace(message.to, "[alamat]")
    return redact_text(text)[:500]
