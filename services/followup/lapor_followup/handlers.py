"""Followup's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from functools import partial

from faststream.kafka.annotations import KafkaMessage

from lapor_followup import service
from lapor_followup.settings import FollowupSettings
from lapor_followup.workcalendar import WorkingCalendar
from lapor_shared.events.lifecycle import ComplaintRouted
from lapor_shared.kafka import SUBSCRIBER_DEFAULTS
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS


def register_handlers(runtime: Runtime, settings: FollowupSettings) -> None:
    calendar = WorkingCalendar(cutoff_hour=settings.cutoff_hour)
    complaints = runtime.consumer(
        "followup.complaints", {ComplaintRouted: partial(service.open_case, calendar=calendar)}
    )

    @runtime.broker.subscriber(COMPLAINTS.name, group_id="lapor-followup", **SUBSCRIBER_DEFAULTS)
    async def on_complaint_event(body: bytes, msg: KafkaMessage) -> None:
        await complaints.handle(msg)
