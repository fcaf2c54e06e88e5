"""The in-app inbox, written at once (``SendingSettings.inbox_at_once``, issue 17).

The inbox is a table of notify's own database, so "sending" an in-app message is an insert. The consumer
that records the event's deliveries writes its in-app messages in the same transaction: the delivery row as
``sent``, the message in ``inbox_messages`` and its ``notification.sent`` through the outbox, all committed
together with the event's inbox row, or none of them. A redelivered event records nothing new (the
delivery is keyed by (event, recipient, channel)), so nothing is written twice. No worker claims it: no
lease, no outcome transaction, no wait for a claim. E-mail, SMS and webhooks still go through the delivery
worker, which may wait for a provider; the worker still writes an in-app message recorded ``pending``
(before this setting, or with it off), as it did.

What the message says is what the worker would have written: the rendering that withholds rahasia content
and the reporter's key from the inbox is the consumer's (``Notifier._deliveries``), whoever writes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from lapor_notify import repository
from lapor_notify.channels.base import OutboundMessage
from lapor_notify.channels.inbox import InboxChannel
from lapor_notify.outcomes import delivery_event
from lapor_shared.db import Conn
from lapor_shared.tx import Tx


def written_at_once(channel: str, status: str, *, enabled: bool) -> bool:
    """Whether a delivery due now on ``channel`` is written by the consumer (True) or left to the worker."""
    return enabled and channel == InboxChannel.name and status == "pending"


async def write(conn: Conn, deliveries: Sequence[tuple[Tx, repository.NewDelivery]],
                now: datetime) -> None:
    """The messages of in-app deliveries just recorded as ``sent`` (each with the ``Tx`` of the event that
    caused it), and their ``notification.sent``, in the consumer's transaction: one statement for the
    messages, the events with the others the batch emits."""
    if not deliveries:
        return
    await repository.put_many_in_inbox(conn, [_message(d) for _, d in deliveries])
    for tx, d in deliveries:
        with tx.scope():  # the event's trace and log context, as the worker's send would continue them
            await tx.add(delivery_event(tx, {f.name: getattr(d, f.name) for f in dataclasses.fields(d)}, now))


def _message(d: repository.NewDelivery) -> OutboundMessage:
    return OutboundMessage(
        delivery_id=d.notification_id, channel=d.channel, recipient_kind=d.recipient_kind,
        recipient_ref=d.recipient_ref, template=d.template, subject=d.subject, body=d.body, sms_text=d.sms_text,
        tracking_number=d.tracking_number, complaint_id=d.complaint_id, source_event_id=d.source_event_id,
        source_event_type=d.source_event_type, created_at=d.created_at, languages=tuple(d.languages),
    )
