"""Intake's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from functools import partial

from faststream.kafka.annotations import KafkaMessage

from lapor_intake import service
from lapor_intake.settings import IntakeSettings
from lapor_intake.unreadable import UnreadableSubmissions
from lapor_shared.consumer import Consumer
from lapor_shared.events import intake as ev
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.intake import ComplaintSubmitted, EraseReporterContact
from lapor_shared.runtime import Runtime
from lapor_shared.topics import REPORTER_COMMANDS, SUBMISSIONS


class _AnsweringUnreadable:
    """Submissions in batches: an undecodable one that still names its channel message gets a clear
    rejection first; the rest go through the consumer's guarantees together."""

    def __init__(self, consumer: Consumer, unreadable: UnreadableSubmissions) -> None:
        self.consumer, self.unreadable = consumer, unreadable
        self.name, self.handled_types = consumer.name, consumer.handled_types

    async def handle(self, msg: KafkaMessage) -> None:
        raw = msg.raw_message
        records = list(raw) if isinstance(raw, tuple | list) else [raw]
        readable = [record for record in records if not await self.unreadable.answer_record(record)]
        await self.consumer.handle_batch(readable)


def register_handlers(runtime: Runtime, settings: IntakeSettings) -> None:
    runtime.publishes(ev.ComplaintAccepted, ev.ComplaintRejected, ev.ReporterContactShared, ev.ReporterContactErased,
                      lc.ActionRejected)
    intake = service.Intake.from_settings(settings)
    submissions = runtime.consumer(
        "intake.submissions", {ComplaintSubmitted: partial(service.accept_submission, intake=intake)}
    )
    unreadable = UnreadableSubmissions("intake.submissions", runtime)
    reporter_commands = runtime.consumer(
        "intake.reporter_commands", {EraseReporterContact: partial(service.erase_contact, intake=intake)}
    )

    runtime.subscribe(_AnsweringUnreadable(submissions, unreadable), SUBMISSIONS.name, group_id="lapor-intake")

    @runtime.broker.subscriber(REPORTER_COMMANDS.name, group_id="lapor-intake-commands", **runtime.subscriber_defaults)
    async def on_reporter_command(body: bytes, msg: KafkaMessage) -> None:
        await reporter_commands.handle(msg)
