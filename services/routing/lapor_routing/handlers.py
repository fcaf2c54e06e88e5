"""Routing's subscribers: thin, they hand each message to a use case through the consumer."""

from __future__ import annotations

from lapor_routing.registry_commands import RegistryCommands
from lapor_routing.service import RoutingService
from lapor_shared.binding import bound
from lapor_shared.consumer import Batch
from lapor_shared.events import commands as cmd
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.commands import DeactivateAgency, DecideTriage, ForwardComplaint, UpsertAgency
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.fetch_pace import Tempo
from lapor_shared.runtime import Runtime
from lapor_shared.topics import ADMIN_COMMANDS, AGENCY_COMMANDS, COMPLAINTS, REGISTRY_COMMANDS

GROUP = "lapor-routing"
"""One consumer group per subscription (this prefix, covered by the service's group ACL): a group whose
members read different topics rebalances once per member at every start, stalling all of them."""


def register_handlers(runtime: Runtime, routing: RoutingService, registry_commands: RegistryCommands) -> None:
    runtime.publishes(lc.ComplaintRouted, lc.ComplaintForwarded, lc.ComplaintNeedsTriage, lc.ComplaintHeld,
                      lc.ComplaintArchived, lc.ActionRejected, cmd.AgencyChanged, cmd.RegistryCommandRejected)
    complaints = runtime.consumer("routing.complaints", {ComplaintAccepted: Batch(routing.route_batch)})
    # each agency and admin scope writes its own topic: a command is taken only from the sender it names
    agency = runtime.consumer("routing.agency", {ForwardComplaint: bound(routing.forward_complaint)})
    admin = runtime.consumer("routing.admin", {DecideTriage: bound(routing.decide_triage)})
    registry = runtime.consumer("routing.registry", {UpsertAgency: registry_commands.upsert_agency,
                                                     DeactivateAgency: registry_commands.deactivate_agency})

    runtime.subscribe(complaints, COMPLAINTS.name, group_id=GROUP)
    runtime.subscribe(agency, family=AGENCY_COMMANDS, group_id=f"{GROUP}-agency-commands", tempo=Tempo.PEOPLE)
    runtime.subscribe(admin, family=ADMIN_COMMANDS, group_id=f"{GROUP}-admin-commands", tempo=Tempo.PEOPLE)

    # one registry change at a time: the agency cache is refreshed after each one commits
    runtime.subscribe(registry, REGISTRY_COMMANDS.name, group_id=f"{GROUP}-registry", batch=False,
                      after=routing.refresh, tempo=Tempo.PEOPLE)
