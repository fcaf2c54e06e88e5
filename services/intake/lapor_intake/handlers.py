"""Intake's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from functools import partial

from faststream.kafka.annotations import KafkaMessage

from lapor_intake import service
from lapor_intake.settings import IntakeSettings
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.kafka import SUBSCRIBER_DEFAULTS
from lapor_shared.runtime import Runtime
from lapor_shared.topics import SUBMISSIONS


def register_handlers(runtime: Runtime, settings: IntakeSettings) -> None:
    submissions = runtime.consumer(
        "intake.submissions",
        {ComplaintSubmitted: partial(service.accept_submission, max_skew_s=settings.max_future_skew_s)},
    )

    @runtime.broker.subscriber(SUBMISSIONS.name, group_id="lapor-intake", **SUBSCRIBER_DEFAULTS)
    async def on_submission(body: bytes, msg: KafkaMessage) -> None:
        await submissions.handle(msg)
