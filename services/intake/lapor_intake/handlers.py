"""Intake's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from functools import partial

from lapor_intake import erasure, service
from lapor_intake.unreadable import answer_unreadable
from lapor_shared.binding import bound
from lapor_shared.consumer import Batch
from lapor_shared.events import intake as ev
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.intake import ComplaintSubmitted, EraseReporterContact
from lapor_shared.fetch_pace import Tempo
from lapor_shared.runtime import Runtime
from lapor_shared.topics import ADMIN_COMMANDS, COMPLAINTS, SUBMISSIONS


def register_handlers(runtime: Runtime, ctx: service.Context) -> None:
    runtime.publishes(ev.ComplaintAccepted, ev.SubmissionAccepted, ev.ComplaintRejected, ev.ReporterContactShared,
                      ev.ReporterContactErased)
    # a refused erasure goes to the complaint stream only (erasure.erase_contact emits it without a jurisdiction)
    runtime.publishes(lc.ActionRejected, jurisdiction=False)
    submissions = runtime.consumer(
        # a run of submissions accepted set-based, a few statements per run (service.accept_submissions)
        "intake.submissions", {ComplaintSubmitted: Batch(partial(service.accept_submissions, ctx=ctx))},
        answer_undecodable=answer_unreadable,  # a channel hears why its submission could not be read
    )
    # an admin asks for an erasure on the scope's own topic: taken only from the scope it names
    admin_commands = runtime.consumer(
        "intake.admin_commands", {EraseReporterContact: bound(erasure.erase_contact)}
    )
    placement = Batch(service.note_jurisdictions)  # one use case for the three: a run is one statement
    placed = runtime.consumer("intake.placements", {
        lc.ComplaintRouted: placement, lc.ComplaintForwarded: placement, lc.ComplaintNeedsTriage: placement,
    })

    runtime.subscribe(submissions, SUBMISSIONS.name, group_id="lapor-intake")
    runtime.subscribe(admin_commands, family=ADMIN_COMMANDS, group_id="lapor-intake-commands", batch=False,
                      tempo=Tempo.PEOPLE)
    # a placement only decides which admins may erase a contact later: nothing waits for it
    runtime.subscribe(placed, COMPLAINTS.name, group_id="lapor-intake-placements", tempo=Tempo.PEOPLE)
