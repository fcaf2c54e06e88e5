"""Notify's use cases."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from lapor_notify import repository
from lapor_notify.templates import messages_for
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.events.notifications import NotificationSent
from lapor_shared.logging import get_logger

log = get_logger(component="notify")


async def notify(tx: Tx, envelope: Envelope[Any]) -> None:
    """Record the messages a lifecycle event causes, each once, and report them sent.

    The in-app inbox is the skeleton's only channel: recording the message is delivering it.
    """
    for message in messages_for(envelope):
        notification_id = uuid4()
        created = await repository.record(
            tx.conn, notification_id=notification_id, source_event_id=envelope.event_id,
            complaint_id=envelope.complaint_id, tracking_number=envelope.tracking_number, message=message,
        )
        if not created:
            continue
        await tx.emit(NotificationSent(
            notification_id=notification_id, source_event_id=envelope.event_id,
            recipient_kind=message.recipient_kind, recipient_ref=message.recipient_ref,  # type: ignore[arg-type]
            channel=message.channel, template=message.template,
        ))
        log.info("notification_sent", template=message.template, channel=message.channel)
