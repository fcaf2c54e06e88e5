"""Routing's registry use cases: change the agency registry at run time (``lapor.commands.registry``).

Each takes ``(tx, envelope)``; the change, the command's record and the answer (registry.agency_changed
or registry.command_rejected) commit together (the consumer's transaction). A refused command becomes a
rejection event, never an error. The registry snapshot is refreshed after each one commits
(``RoutingService.refresh``), so these commands are taken one at a time.
"""

from __future__ import annotations

from typing import Any

from lapor_routing import repository
from lapor_routing.registry import Agency, RegistryCache, check_deactivate, check_upsert
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.events.commands import AgencyChanged, DeactivateAgency, RegistryCommandRejected, UpsertAgency
from lapor_shared.events.values import Reason
from lapor_shared.logging import get_logger

log = get_logger(component="routing")


class RegistryCommands:
    """The registry commands, validated against the snapshot routing decides with (``registry``)."""

    def __init__(self, registry: RegistryCache) -> None:
        self.registry = registry

    async def upsert_agency(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """Add or change an agency (validated); answered by registry.agency_changed or command_rejected."""
        command: UpsertAgency = envelope.payload
        directory = await self.registry.current(tx.conn, within=tx.pending)
        if not await self._registry_command_accepted(tx, envelope, command.agency_id,
                                                     check_upsert(command, directory)):
            return
        agency = Agency.from_command(command)
        await repository.upsert_agency(tx.conn, agency_row(agency))
        await self._changed(tx, envelope, agency)

    async def _registry_command_accepted(
        self, tx: Tx, envelope: Envelope[Any], agency_id: str, problems: list[Reason]
    ) -> bool:
        """Record a registry command with its problems; a refused one is answered by command_rejected."""
        await repository.record_registry_command(tx.conn, command_id=envelope.event_id,
                                                 command_type=envelope.event_type, agency_id=agency_id,
                                                 reasons=problems)
        if problems:
            await self._reject_registry(tx, envelope, agency_id, problems)
        return not problems

    async def deactivate_agency(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """Take an agency out of routing: new complaints go to the next agency up the tree."""
        command: DeactivateAgency = envelope.payload
        directory = await self.registry.current(tx.conn, within=tx.pending)
        if not await self._registry_command_accepted(tx, envelope, command.agency_id,
                                                     check_deactivate(command, directory)):
            return
        await repository.deactivate_agency(tx.conn, command.agency_id, command.reason)
        agency = directory.get(command.agency_id)
        assert agency is not None
        await self._changed(tx, envelope, agency.evolve(active=False))

    async def _changed(self, tx: Tx, envelope: Envelope[Any], agency: Agency) -> None:
        await tx.emit(
            AgencyChanged(
                command_id=envelope.event_id, agency_id=agency.agency_id, name=agency.name, level=agency.level,
                jurisdiction_code=agency.jurisdiction_code, categories=list(agency.categories),
                parent_id=agency.parent_id, channels=list(agency.channels), active=agency.active,
            ),
            jurisdiction_code=agency.jurisdiction_code,
        )
        log.info("agency_changed", agency_id=agency.agency_id, active=agency.active)

    async def _reject_registry(self, tx: Tx, envelope: Envelope[Any], agency_id: str, problems: list[Reason]) -> None:
        await tx.emit(RegistryCommandRejected(
            command_type=envelope.event_type, command_id=envelope.event_id, agency_id=agency_id, reasons=problems,
        ))
        log.info("registry_command_rejected", command_type=envelope.event_type, reasons=[p.code for p in problems])


def agency_row(agency: Agency) -> dict[str, Any]:
    """An agency as the ``agencies`` table keeps it (a registry command's or the seed's)."""
    return {
        "agency_id": agency.agency_id, "name": agency.name, "jurisdiction_code": agency.jurisdiction_code,
        "level": agency.level.value, "categories": list(agency.categories), "parent_id": agency.parent_id,
        "channels": list(agency.channels), "active": agency.active,
    }
