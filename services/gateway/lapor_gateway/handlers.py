"""The gateway's subscribers: thin, they hand each message to a use case through the consumer.

- ``gateway.results`` reads intake's answers on ``lapor.submissions.results`` in ONE consumer group for
  the whole gateway (``lapor-gateway``), through the inbox like every consumer; the replica holding a
  waiting request is woken by PostgreSQL (``wakeups``), not by reading the topic itself. A ``Batch``:
  a batch's answers take a few set-based statements (``service.record_answers``), not a few each.
- ``gateway.view`` projects ``lapor.complaints`` into the public complaint view (``projection``) and the
  reporter's view with the outcomes of reporter commands (``timeline``) (``lapor-gateway-view``); a
  ``Batch``: a run of events takes a few set-based statements (``view``).
- Both write the complaint's rows in the public view (an acceptance enters the complaint by number, the
  lifecycle stream fills it), each in the order of its own topic: they share the ``serial`` lock
  ``gateway.complaint-view``, so their transactions take turns instead of deadlocking (which cost a
  second and a fall back to one by one under load).
- The gateway publishes ``complaint.submitted`` directly and the reporter's commands, once it checked the
  proof, through its outbox (``reporter_actions``).
"""

from __future__ import annotations

from functools import partial

from lapor_gateway import service, timeline, wakeups
from lapor_gateway import view as view_batch
from lapor_gateway.context import AdapterContext
from lapor_shared.consumer import Batch
from lapor_shared.events.commands import RateHandling, ReopenComplaint, ReplyToResponse
from lapor_shared.events.intake import ComplaintRejected, ComplaintSubmitted, SubmissionAccepted
from lapor_shared.fetch_pace import Tempo
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS, SUBMISSION_RESULTS

VIEW_ROWS = "gateway.complaint-view"


def register_handlers(runtime: Runtime, channels: AdapterContext) -> None:
    runtime.publishes(ComplaintSubmitted, ReplyToResponse, RateHandling, ReopenComplaint)
    notify_channel = wakeups.channel_name(runtime.schema)
    short_code = channels.settings.sms_short_code
    record = Batch(partial(service.record_answers, short_code=short_code, notify_channel=notify_channel))
    results = runtime.consumer("gateway.results", {SubmissionAccepted: record, ComplaintRejected: record},
                               serial=VIEW_ROWS)
    view = view_batch.View(timeline.Timeline(notify_channel=notify_channel, short_code=short_code))
    use = Batch(view.handle)
    view_consumer = runtime.consumer("gateway.view", dict.fromkeys(view.event_types, use), serial=VIEW_ROWS)

    runtime.subscribe(results, SUBMISSION_RESULTS.name, group_id="lapor-gateway")
    # the public and the reporter's views: people look at them, no hop waits for them
    runtime.subscribe(view_consumer, COMPLAINTS.name, group_id="lapor-gateway-view", tempo=Tempo.PEOPLE)

