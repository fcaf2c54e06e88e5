"""Notify's use cases for the consumers. They only RECORD: deliveries (due now, waiting for a contact, or
folded into a digest later), contacts (still encrypted) and erasures, all in the consumer's transaction.
Sending is the delivery worker's job (``worker.py``), so a slow provider never holds a Kafka partition.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from lapor_notify import plan, recipients, reporter_key, repository
from lapor_notify.digest import period_end
from lapor_notify.rendering import Rendered, render
from lapor_notify.settings import NotifySettings
from lapor_shared.clock import Clock
from lapor_shared.consumer import Tx
from lapor_shared.db import Conn
from lapor_shared.events import Envelope
from lapor_shared.events.intake import ReporterContactErased, ReporterContactShared
from lapor_shared.logging import get_logger

log = get_logger(component="notify")

CONTACT_CHANNELS = ("email", "sms")
"""The channels that need the reporter's (encrypted) contact."""


def reporter_ref_hash(reporter_ref: UUID) -> str:
    """What notify keeps of a reporter ref: enough to honour an erasure, nothing to identify anyone."""
    return hashlib.sha256(f"lapor-reporter:{reporter_ref}".encode()).hexdigest()


class Notifier:
    def __init__(self, settings: NotifySettings, clock: Clock, enabled_channels: set[str]) -> None:
        self.settings = settings
        self.clock = clock
        self.enabled = enabled_channels | {"inbox"}

    # --- lifecycle events -------------------------------------------------------------------

    async def on_lifecycle(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """Remember what later messages need, then record the deliveries this event causes: all of them in
        one statement, which wakes the workers at commit (``repository.record_many``)."""
        if envelope.complaint_id is None:
            log.warning("lifecycle_event_without_complaint_ignored")
            return
        conn = tx.conn
        view, contact = await repository.complaint(conn, envelope.complaint_id)
        updated = plan.updated_view(envelope, view)
        if updated is not None:
            await repository.save_complaint(conn, updated, self.clock.now())
            view = updated
        assert view is not None
        planned = [(p, delivery) for p in plan.plan(envelope, view)
                   for delivery in await self._deliveries(conn, envelope, p, contact)]
        recorded = set(await repository.record_many(conn, [delivery for _, delivery in planned]))
        for p, delivery in planned:
            if delivery.notification_id in recorded:
                log.info("delivery_recorded", delivery_id=str(delivery.notification_id), template=p.template,
                         recipient_ref=p.recipient_ref, channel=delivery.channel, status=delivery.status)

    async def _deliveries(
        self, conn: Conn, envelope: Envelope[Any], p: plan.Planned, contact: repository.ContactState
    ) -> list[repository.NewDelivery]:
        """The deliveries of one planned message, one per channel (recorded with the event's others, in one
        statement, by ``on_lifecycle``)."""
        assert envelope.complaint_id is not None  # on_lifecycle let only these through
        now = self.clock.now()
        s = self.settings.sending
        targets: list[tuple[str, str, datetime]] = []  # channel, status, due
        if p.recipient_kind == "reporter":
            languages = list(self.settings.reporter_languages)
            targets.append(("inbox", "pending", now))
            if not contact.erased:
                for channel in CONTACT_CHANNELS:
                    if channel in self.enabled:
                        targets.append((channel, "pending", now) if contact.known
                                       else (channel, "waiting_contact", now + timedelta(seconds=s.contact_wait_s)))
        else:
            recipient = recipients.resolved(await repository.recipient(conn, p.recipient_ref), p.recipient_ref)
            languages = list(recipient["languages"]) if recipient else ["id"]
            channels = [c for c in recipients.channels_of(recipient) if c in self.enabled] or ["inbox"]
            digest = recipient["digest"] if recipient else "none"
            for channel in channels:
                if p.digestible and digest != "none" and channel in ("email", "sms"):
                    targets.append((channel, "digest", period_end(now, digest, s.digest_daily_hour)))
                else:
                    targets.append((channel, "pending", now))
            if recipient is None:
                log.warning("recipient_without_address", recipient_ref=p.recipient_ref, template=p.template)

        deliveries: list[repository.NewDelivery] = []
        rendered: dict[tuple[bool, bool], Any] = {}
        for channel, status, due in targets:
            # a reporter's own e-mail and SMS may quote the content and free-text reasons; the inbox (reachable
            # with the tracking number alone) and agency channels withhold rahasia content and those reasons
            private = p.recipient_kind == "reporter" and channel in CONTACT_CHANNELS
            show = private or not p.facts["confidential"]
            if (show, private) not in rendered:
                facts = {**p.facts, **self._links(p), "show_content": show, "private": private}
                rendered[show, private] = render(p.template, languages, facts,
                                                 sms_segments=self.settings.sms.max_segments)
            message = rendered[show, private]
            if not private:  # the reporter's key: never here
                message = Rendered(reporter_key.without(message.subject), reporter_key.without(message.body),
                                   reporter_key.without(message.sms))
            data = plan.webhook_data(p.facts) if channel == "webhook" else {}
            deliveries.append(repository.NewDelivery(
                notification_id=uuid4(), source_event_id=envelope.event_id, source_event_type=envelope.event_type,
                correlation_id=envelope.correlation_id, complaint_id=envelope.complaint_id,
                tracking_number=envelope.tracking_number or p.facts["tracking_number"],
                jurisdiction_code=envelope.jurisdiction_code, recipient_kind=p.recipient_kind,
                recipient_ref=p.recipient_ref, channel=channel, template=p.template, languages=languages,
                subject=message.subject, body=message.body, sms_text=message.sms, data=data, status=status,
                due_at=due, created_at=now,
            ))
        return deliveries

    def _links(self, p: plan.Planned) -> dict[str, str]:
        return {
            "status_url": self.settings.tracking_url(p.facts["tracking_number"]),
            "sms_number": self.settings.sms_number,
        }

    # --- contacts (restricted topic) --------------------------------------------------------

    async def store_contact(self, tx: Tx, envelope: Envelope[ReporterContactShared]) -> None:
        """Keep the contact as intake encrypted it (ciphertext + key id), with the reporter's key (encrypted
        too) for the first message, and release waiting messages."""
        p = envelope.payload
        if envelope.complaint_id is None:
            log.warning("contact_without_complaint_ignored")
            return
        released = await repository.keep_contact(
            tx.conn, complaint_id=envelope.complaint_id, reporter_ref_hash=reporter_ref_hash(p.reporter_ref),
            source_channel=p.channel.value, anonymous=p.anonymous, key_id=p.key_id, ciphertext=p.ciphertext,
            now=self.clock.now(), key_ciphertext=p.key_ciphertext,
        )
        if released is None:
            log.info("contact_of_erased_reporter_ignored")
            return
        if released:
            await repository.wake_workers(tx.conn)
        log.info("contact_stored", released=released)

    async def erase_contact(self, tx: Tx, envelope: Envelope[ReporterContactErased]) -> None:
        """Forget the reporter: ciphertext deleted, unsent e-mail/SMS cancelled, later contacts refused."""
        complaint_ids = await repository.erase_reporter(
            tx.conn, reporter_ref_hash(envelope.payload.reporter_ref), self.clock.now()
        )
        log.info("contact_erased", complaints=len(complaint_ids))
