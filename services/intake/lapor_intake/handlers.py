"""Intake's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from functools import partial

from lapor_intake import service
from lapor_intake.unreadable import answer_unreadable
from lapor_shared.events import intake as ev
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.intake import ComplaintSubmitted, EraseReporterContact
from lapor_shared.runtime import Runtime
from lapor_shared.topics import REPORTER_COMMANDS, SUBMISSIONS


def register_handlers(runtime: Runtime, ctx: service.Context) -> None:
    runtime.publishes(ev.ComplaintAccepted, ev.SubmissionAccepted, ev.ComplaintRejected, ev.ReporterContactShared,
                      ev.ReporterContactErased, lc.ActionRejected)
    submissions = runtime.consumer(
        "intake.submissions", {ComplaintSubmitted: partial(service.accept_submission, ctx=ctx)},
        answer_undecodable=answer_unreadable,  # a channel hears why its submission could not be read
    )
    reporter_commands = runtime.consumer(
        "intake.reporter_commands", {EraseReporterContact: partial(service.erase_contact, ctx=ctx)}
    )

    runtime.subscribe(submissions, SUBMISSIONS.name, group_id="lapor-intake")
    runtime.subscribe(reporter_commands, REPORTER_COMMANDS.name, group_id="lapor-intake-commands", batch=False)
