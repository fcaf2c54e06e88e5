"""Followup's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from functools import partial

from lapor_followup import opening, service
from lapor_followup.context import Context
from lapor_shared.binding import bound
from lapor_shared.consumer import Batch
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.lifecycle import (
    ComplaintArchived,
    ComplaintForwarded,
    ComplaintHeld,
    ComplaintNeedsTriage,
    ComplaintRouted,
)
from lapor_shared.fetch_pace import Tempo
from lapor_shared.runtime import Runtime
from lapor_shared.topics import ADMIN_COMMANDS, AGENCY_COMMANDS, COMPLAINTS, REPORTER_COMMANDS

GROUP = "lapor-followup"
"""One consumer group per subscription (this prefix, covered by the service's group ACL): a group whose
members read different topics rebalances once per member at every start, stalling all of them."""


def register_handlers(runtime: Runtime, ctx: Context) -> None:
    runtime.publishes(lc.DeadlineSet, lc.DeadlineWarning, lc.DeadlineBreached, lc.DeadlineExtended,
                      lc.ComplaintEscalated, lc.ComplaintAcknowledged, lc.ComplaintResponded,
                      lc.ComplaintReporterReplied, lc.ComplaintRated, lc.ComplaintClosed, lc.ComplaintReopened,
                      lc.ComplaintHeld, lc.ActionRejected)
    triage_decided = partial(service.on_triage_decided, ctx=ctx, service_name=runtime.name)
    complaints = runtime.consumer("followup.complaints", {
        ComplaintRouted: Batch(partial(opening.open_cases, ctx=ctx)),  # new cases set-based per run
        ComplaintForwarded: partial(service.on_forwarded, ctx=ctx),
        ComplaintNeedsTriage: partial(service.on_needs_triage, ctx=ctx),
        ComplaintHeld: triage_decided,
        ComplaintArchived: triage_decided,
    })
    # each command topic accepts only its own writers' commands (an agency cannot reply as a reporter), and
    # each agency and admin scope writes its own topic: a command is taken only from the sender it names
    command = bound(partial(service.handle_command, ctx=ctx))

    def commands_of(prefix: str) -> dict:
        return {c: command for c in service.COMMANDS if c.event_type.startswith(prefix)}

    agency = runtime.consumer("followup.agency_commands", commands_of("agency."))
    reporter = runtime.consumer("followup.reporter_commands", commands_of("reporter."))
    admin = runtime.consumer("followup.admin_commands", commands_of("admin."))

    runtime.subscribe(complaints, COMPLAINTS.name, group_id=GROUP)
    runtime.subscribe(agency, family=AGENCY_COMMANDS, group_id=f"{GROUP}-agency-commands", tempo=Tempo.PEOPLE)
    runtime.subscribe(reporter, REPORTER_COMMANDS.name, group_id=f"{GROUP}-reporter-commands", tempo=Tempo.PEOPLE)
    runtime.subscribe(admin, family=ADMIN_COMMANDS, group_id=f"{GROUP}-admin-commands", tempo=Tempo.PEOPLE)
