"""Notify's use cases for the consumers. They only RECORD: deliveries (due now, waiting for a contact, or
folded into a digest later), contacts (still encrypted) and erasures, all in the consumer's transaction.
Sending is the delivery worker's job (``worker.py``), so a slow provider never holds a Kafka partition.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from lapor_notify import in_app, plan, recipients, reporter_key, repository
from lapor_notify.digest import period_end
from lapor_notify.rendering import Rendered, render
from lapor_notify.settings import NotifySettings
from lapor_shared.clock import Clock
from lapor_shared.consumer import Tx, with_events
from lapor_shared.db import Conn
from lapor_shared.events import Envelope
from lapor_shared.events.intake import ReporterContactErased, ReporterContactShared
from lapor_shared.logging import get_logger
from lapor_shared.runs import segments
from lapor_shared.tracing import current_trace_headers

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
        """One lifecycle event (``lifecycle_batch`` for a run of them)."""
        await self._record(tx.conn, [(tx, envelope)])

    async def lifecycle_batch(self, txs: Sequence[Tx]) -> None:
        """A run of lifecycle events, one ``Tx`` each (the consumer's ``Batch``)."""
        await self._record(txs[0].conn, with_events(txs))

    async def _record(self, conn: Conn, events: list[tuple[Tx, Envelope[Any]]]) -> None:
        """Remember what later messages need and record the deliveries the events cause, in five statements
        whatever their number: the complaints read, the changed ones saved, the agencies' addresses read,
        the deliveries recorded (``repository.record_many``, which wakes the workers at commit when it left
        them any) and the in-app messages written at once (``in_app``). Each event is planned against the
        complaint as the events before it in the run left it, as one by one."""
        for tx, envelope in events:
            if envelope.complaint_id is None:
                with tx.scope():
                    log.warning("lifecycle_event_without_complaint_ignored")
        events = [(tx, e) for tx, e in events if e.complaint_id is not None]
        if not events:
            return
        known = await repository.complaints_of(conn, [e.complaint_id for _, e in events if e.complaint_id])
        views = {complaint_id: view for complaint_id, (view, _) in known.items()}
        changed: dict[UUID, plan.ComplaintView] = {}
        planned: list[tuple[Tx, Envelope[Any], plan.Planned]] = []
        for tx, envelope in events:
            assert envelope.complaint_id is not None
            updated = plan.updated_view(envelope, views[envelope.complaint_id])
            if updated is not None:
                views[envelope.complaint_id] = changed[envelope.complaint_id] = updated
            view = views[envelope.complaint_id]
            assert view is not None
            planned += [(tx, envelope, p) for p in plan.plan(envelope, view)]
        if changed:
            await repository.save_complaints(conn, list(changed.values()), self.clock.now())
        agencies = {p.recipient_ref for _, _, p in planned if p.recipient_kind != "reporter"}
        addresses = await repository.recipients_of(conn, sorted(agencies)) if agencies else {}
        deliveries: list[tuple[Tx, plan.Planned, repository.NewDelivery]] = []
        for tx, envelope, p in planned:
            assert envelope.complaint_id is not None
            with tx.scope():
                recipient = None if p.recipient_kind == "reporter" \
                    else recipients.resolved(addresses.get(p.recipient_ref), p.recipient_ref)
                deliveries += [(tx, p, d) for d in self._deliveries(envelope, p, known[envelope.complaint_id][1],
                                                                     recipient)]
        recorded = set(await repository.record_many(conn, [d for _, _, d in deliveries]))
        await in_app.write(conn, [(tx, d) for tx, _, d in deliveries
                                  if d.status == "sent" and d.notification_id in recorded], self.clock.now())
        by_event: dict[int, tuple[Tx, list[tuple[plan.Planned, repository.NewDelivery]]]] = {}
        for tx, p, delivery in deliveries:
            if delivery.notification_id in recorded:
                by_event.setdefault(id(tx), (tx, []))[1].append((p, delivery))
        for tx, recorded_now in by_event.values():  # a line per event, not per delivery (logging was dear)
            with tx.scope():
                log.info("delivery_recorded", deliveries=[
                    {"delivery_id": str(d.notification_id), "template": p.template, "recipient_ref": p.recipient_ref,
                     "channel": d.channel, "status": d.status} for p, d in recorded_now])

    def _deliveries(
        self, envelope: Envelope[Any], p: plan.Planned, contact: repository.ContactState,
        recipient: dict[str, Any] | None,
    ) -> list[repository.NewDelivery]:
        """The deliveries of one planned message, one per channel (recorded with the others of the run, in
        one statement, by ``_record``); called in the event's scope, whose trace they carry on."""
        assert envelope.complaint_id is not None  # _record let only these through
        now = self.clock.now()
        s = self.settings.sending
        traceparent = current_trace_headers().get("traceparent")
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
            if in_app.written_at_once(channel, status, enabled=s.inbox_at_once):
                status = "sent"  # written by ``_record`` in this transaction, with its notification.sent
            deliveries.append(repository.NewDelivery(
                notification_id=uuid4(), source_event_id=envelope.event_id, source_event_type=envelope.event_type,
                correlation_id=envelope.correlation_id, complaint_id=envelope.complaint_id,
                tracking_number=envelope.tracking_number or p.facts["tracking_number"],
                jurisdiction_code=envelope.jurisdiction_code, recipient_kind=p.recipient_kind,
                recipient_ref=p.recipient_ref, channel=channel, template=p.template, languages=languages,
                subject=message.subject, body=message.body, sms_text=message.sms, data=data, status=status,
                due_at=due, created_at=now, traceparent=traceparent,
            ))
        return deliveries

    def _links(self, p: plan.Planned) -> dict[str, str]:
        return {
            "status_url": self.settings.tracking_url(p.facts["tracking_number"]),
            "sms_number": self.settings.sms_number,
        }

    # --- contacts (restricted topic) --------------------------------------------------------

    async def store_contact(self, tx: Tx, envelope: Envelope[ReporterContactShared]) -> None:
        """One contact (``contacts_batch`` for a run of them)."""
        await self._keep(tx.conn, [(tx, envelope)])

    async def contacts_batch(self, txs: Sequence[Tx]) -> None:
        """A run of shared contacts, one ``Tx`` each (the consumer's ``Batch``)."""
        await self._keep(txs[0].conn, with_events(txs))

    async def _keep(self, conn: Conn, events: list[tuple[Tx, Envelope[ReporterContactShared]]]) -> None:
        """Keep each contact as intake encrypted it (ciphertext + key id), with the reporter's key (encrypted
        too) for the first message, and release waiting messages: one statement per segment of the run in
        which no complaint comes twice (a later contact of a complaint replaces the earlier, as one by one),
        and the workers woken once."""
        kept: list[tuple[Tx, Envelope[ReporterContactShared]]] = []
        for tx, envelope in events:
            if envelope.complaint_id is None:
                with tx.scope():
                    log.warning("contact_without_complaint_ignored")
                continue
            kept.append((tx, envelope))
        woken = False
        for segment in segments(kept, key=lambda event: event[1].complaint_id):
            woken = await self._keep_segment(conn, segment, wake=not woken) or woken

    async def _keep_segment(self, conn: Conn, events: list[tuple[Tx, Envelope[ReporterContactShared]]],
                            *, wake: bool) -> bool:
        """One statement for contacts of distinct complaints; True when it woke the workers."""
        released = await repository.keep_contacts(conn, [repository.SharedContact(
            complaint_id=e.complaint_id, reporter_ref_hash=reporter_ref_hash(e.payload.reporter_ref),
            source_channel=e.payload.channel.value, anonymous=e.payload.anonymous, key_id=e.payload.key_id,
            ciphertext=e.payload.ciphertext, key_ciphertext=e.payload.key_ciphertext,
        ) for _, e in events if e.complaint_id is not None], self.clock.now())
        for tx, envelope in events:
            assert envelope.complaint_id is not None
            with tx.scope():
                count = released[envelope.complaint_id]
                if count is None:
                    log.info("contact_of_erased_reporter_ignored")
                else:
                    log.info("contact_stored", released=count)
        if wake and any(released.values()):
            await repository.wake_workers(conn)
            return True
        return False

    async def erase_contact(self, tx: Tx, envelope: Envelope[ReporterContactErased]) -> None:
        """Forget the reporter: ciphertext deleted, unsent e-mail/SMS cancelled, later contacts refused."""
        complaint_ids = await repository.erase_reporter(
            tx.conn, reporter_ref_hash(envelope.payload.reporter_ref), self.clock.now()
        )
        log.info("contact_erased", complaints=len(complaint_ids))
