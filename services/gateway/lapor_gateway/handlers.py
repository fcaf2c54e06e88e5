"""The gateway's subscribers: thin, they hand each message to a use case through the consumer.

- ``gateway.results`` reads intake's answers on ``lapor.submissions.results`` in ONE consumer group for
  the whole gateway (``lapor-gateway``), through the inbox like every consumer; the replica holding a
  waiting request is woken by PostgreSQL (``wakeups``), not by reading the topic itself.
- ``gateway.view`` projects ``lapor.complaints`` into the public complaint view (``lapor-gateway-view``).
"""

from __future__ import annotations

from functools import partial

from lapor_gateway import projection, service, wakeups
from lapor_gateway.context import AdapterContext
from lapor_shared.events.intake import ComplaintAccepted, ComplaintRejected, ComplaintSubmitted
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS, SUBMISSION_RESULTS


def register_handlers(runtime: Runtime, channels: AdapterContext) -> None:
    runtime.publishes(ComplaintSubmitted)
    record = partial(service.record_answer, short_code=channels.settings.sms_short_code,
                     notify_channel=wakeups.channel_name(runtime.schema))
    results = runtime.consumer("gateway.results", {ComplaintAccepted: record, ComplaintRejected: record})
    view = runtime.consumer("gateway.view", projection.HANDLERS)

    runtime.subscribe(results, SUBMISSION_RESULTS.name, group_id="lapor-gateway")
    runtime.subscribe(view, COMPLAINTS.name, group_id="lapor-gateway-view")
