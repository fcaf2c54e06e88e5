"""Routing's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from faststream.kafka.annotations import KafkaMessage

from lapor_routing import service
from lapor_routing.settings import RoutingSettings
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.kafka import SUBSCRIBER_DEFAULTS
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS


def register_handlers(runtime: Runtime, settings: RoutingSettings) -> None:
    complaints = runtime.consumer("routing.complaints", {ComplaintAccepted: service.route_complaint})

    @runtime.broker.subscriber(COMPLAINTS.name, group_id="lapor-routing", **SUBSCRIBER_DEFAULTS)
    async def on_complaint_event(body: bytes, msg: KafkaMessage) -> None:
        await complaints.handle(msg)
