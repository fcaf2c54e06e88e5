"""The console's one subscriber: every onboarded agency's stream, by one pattern, feeds the read model."""

from __future__ import annotations

from lapor_console.service import CONSUMER_NAME, Projector
from lapor_console.settings import ConsoleSettings
from lapor_shared.fetch_pace import Tempo
from lapor_shared.runtime import Runtime
from lapor_shared.topics import AGENCY_STREAMS


def register_handlers(runtime: Runtime[ConsoleSettings], projector: Projector) -> None:
    consumer = runtime.consumer(CONSUMER_NAME, projector.handlers())
    runtime.subscribe(consumer, family=AGENCY_STREAMS, group_id=runtime.settings.consumer_group, tempo=Tempo.PEOPLE)
