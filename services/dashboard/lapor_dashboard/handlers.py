"""The dashboard's one subscriber: the lifecycle events on ``lapor.complaints`` feed the read model."""

from __future__ import annotations

from lapor_dashboard.service import CONSUMER_NAME, Projector
from lapor_dashboard.settings import DashboardSettings
from lapor_shared.fetch_pace import Tempo
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS


def register_handlers(runtime: Runtime[DashboardSettings], projector: Projector) -> None:
    consumer = runtime.consumer(CONSUMER_NAME, projector.handlers())
    runtime.subscribe(consumer, COMPLAINTS.name, group_id=runtime.settings.consumer_group, tempo=Tempo.PEOPLE)
