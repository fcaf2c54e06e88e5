"""Notify's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from faststream.kafka.annotations import KafkaMessage

from lapor_notify import service
from lapor_notify.settings import NotifySettings
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import ComplaintRouted
from lapor_shared.kafka import SUBSCRIBER_DEFAULTS
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS


def register_handlers(runtime: Runtime, settings: NotifySettings) -> None:
    lifecycle = runtime.consumer(
        "notify.complaints", {ComplaintAccepted: service.notify, ComplaintRouted: service.notify}
    )

    @runtime.broker.subscriber(COMPLAINTS.name, group_id="lapor-notify", **SUBSCRIBER_DEFAULTS)
    async def on_complaint_event(body: bytes, msg: KafkaMessage) -> None:
        await lifecycle.handle(msg)
