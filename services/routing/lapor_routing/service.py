"""Routing's use cases: route an accepted complaint, forward it (pelimpahan) and decide its triage (the
agency registry's commands are in ``registry_commands``). Each takes ``(tx, envelope)``; its state change
and its events commit together (the consumer's transaction). A refused command becomes a rejection
event, never an error.

Every complaint event routing emits carries, in its envelope, the jurisdiction of the responsible
agency (or of the triage desk), the complaint's own ids and its story's correlation id, whatever the
command claimed; an anonim complaint's events carry no reporter_ref.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from lapor_routing import jurisdictions, reasons, repository
from lapor_routing.checks import Refused, check_forward, check_triage_decision
from lapor_routing.complaint import Content, Route, Story, story_of
from lapor_routing.registry import Agency, Directory, RegistryCache
from lapor_routing.registry_commands import agency_row
from lapor_routing.rules import decide
from lapor_routing.seed import seed_agencies
from lapor_routing.settings import RoutingSettings
from lapor_shared import binding, geo
from lapor_shared.consumer import Tx, with_events
from lapor_shared.db import Conn
from lapor_shared.events import Envelope
from lapor_shared.events.commands import DecideTriage, ForwardComplaint
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import (
    ActionRejected,
    ComplaintArchived,
    ComplaintForwarded,
    ComplaintHeld,
)
from lapor_shared.events.values import NATIONAL_CODE, Reason
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime
from lapor_shared.topics import COMPLAINTS, complaint_audiences

log = get_logger(component="routing")


class RoutingService:
    def __init__(self, settings: RoutingSettings, cache: RegistryCache | None = None) -> None:
        self.settings = settings
        self.registry = cache or RegistryCache()
        self._runtime: Runtime | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self, runtime: Runtime) -> None:
        """At startup: load the seed registry (idempotent), then the in-memory snapshot."""
        self._runtime = runtime
        if self.settings.seed_registry:
            rows = [agency_row(a) for a in seed_agencies()]
            async with runtime.pool.acquire() as conn, conn.transaction():
                changed = await repository.load_seed(conn, rows)
            log.info("registry_seeded", agencies=len(rows), changed=changed)
        await self.registry.reload(runtime.pool)
        await asyncio.to_thread(geo.warm)  # the boundary index, built once, before the first complaint

    async def refresh(self) -> Directory:
        """After a registry command committed: reload the snapshot if the registry changed."""
        assert self._runtime is not None, "refresh() before start()"
        async with self._runtime.pool.acquire() as conn:
            return await self.registry.current(conn)

    # --- routing ----------------------------------------------------------------------------------

    async def route_complaint(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """Decide who must answer an accepted complaint, or send it to triage; record why."""
        await self._route(tx.conn, [(tx, envelope)])

    async def route_batch(self, txs: Sequence[Tx]) -> None:
        """``route_complaint`` for a run of accepted complaints (the consumer's ``Batch``): the complaints
        stored in one statement and the decisions recorded in another, whatever the run's length."""
        await self._route(txs[0].conn, with_events(txs))

    async def _route(self, conn: Conn, events: list[tuple[Tx, Envelope[Any]]]) -> None:
        routes: list[Route] = []
        seen: set[UUID] = set()
        for tx, envelope in events:
            assert envelope.complaint_id is not None and envelope.tracking_number is not None
            directory = await self.registry.current(conn, within=tx.pending)  # read once per transaction
            route = self._decide(tx, envelope, directory)
            route.first = envelope.complaint_id not in seen  # a later one in the run: as if routed already
            seen.add(envelope.complaint_id)
            routes.append(route)
        stored = await repository.insert_complaints(conn, [r.row() for r in routes if r.first])
        await repository.record_decisions(conn, [r.decision_row() for r in routes
                                                 if r.first and r.story.complaint_id in stored])
        for r in routes:
            with r.tx.scope():
                if not r.first or r.story.complaint_id not in stored:
                    log.info("complaint_already_routed")
                    continue
                decision = r.decision
                if decision.agency is None:
                    await self._to_triage(r.tx, r.story, r.content, decision.triage_jurisdiction, decision.reason)
                    continue
                await r.tx.emit(r.content.routed(decision.agency, decision.reason, 1),
                                **r.story.at(decision.agency.jurisdiction_code, decision.agency.agency_id))
                log.info("complaint_routed", agency_id=decision.agency.agency_id, reason=decision.reason.code,
                         route_count=1)

    def _decide(self, tx: Tx, envelope: Envelope[Any], directory: Directory) -> Route:
        complaint: ComplaintAccepted = envelope.payload
        assert envelope.complaint_id is not None and envelope.tracking_number is not None
        decision = decide(
            complaint.location, directory, category_hint=complaint.category_hint,
            target_agency_hint=complaint.target_agency_hint,
            max_point_distance_m=self.settings.max_point_distance_m,
        )
        content = Content(
            category=decision.category.code, report_type=complaint.report_type, title=complaint.title,
            description=complaint.description, incident_date=complaint.incident_date, location=complaint.location,
            attachments=complaint.attachments, evidence=complaint.evidence,
            reporter_ref=None if complaint.anonymous else complaint.reporter_ref,
            anonymous=complaint.anonymous, confidential=complaint.confidential, submitted_at=complaint.submitted_at,
        )
        story = Story(envelope.complaint_id, envelope.tracking_number, envelope.correlation_id, complaint.confidential)
        return Route(tx, story, content, decision)

    async def _record(
        self, tx: Tx, story: Story, content: Content, *, step: str, outcome: str, agency: Agency | None,
        jurisdiction: str, reason: Reason, route_count: int | None = None, actor: str | None = None,
    ) -> None:
        await repository.record_decision(
            tx.conn, complaint_id=story.complaint_id, tracking_number=story.tracking_number, step=step,
            outcome=outcome, agency_id=agency.agency_id if agency else None, jurisdiction_code=jurisdiction,
            reason=reason, route_count=route_count, anonymous=content.anonymous, confidential=content.confidential,
            actor=actor, cause_event_id=tx.cause.event_id if tx.cause else None,
        )

    async def _to_triage(self, tx: Tx, story: Story, content: Content, triage: str, reason: Reason) -> None:
        await repository.enter_triage(tx.conn, story.complaint_id, triage_jurisdiction=triage, reason=reason)
        await tx.emit(content.needs_triage(triage, reason), **story.at(triage))
        log.info("complaint_needs_triage", reason=reason.code, triage_jurisdiction=triage)

    async def _reject(
        self, tx: Tx, envelope: Envelope[Any], story: Story, jurisdiction: str, refused: Refused,
        agency_id: str | None = None,
    ) -> None:
        """The sender reads why: on its own stream (``agency_id``) or its triage desk's."""
        rejection = ActionRejected(
            command_type=envelope.event_type, command_id=envelope.event_id, reason=refused.reason
        )
        await tx.emit(rejection, **story.at(jurisdiction, agency_id))
        log.info("command_rejected", command_type=envelope.event_type, reason=refused.reason.code)

    # --- forwarding (pelimpahan) -----------------------------------------------------------------------

    async def forward_complaint(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """The responsible agency says 'bukan wewenang' and names another: re-route, same tracking number."""
        command: ForwardComplaint = envelope.payload
        directory = await self.registry.current(tx.conn, within=tx.pending)
        sender = directory.get(command.agency_id)
        row = await repository.lock_complaint(tx.conn, envelope.complaint_id) if envelope.complaint_id else None
        story = story_of(row, envelope)
        where = sender.jurisdiction_code if sender else (row["jurisdiction_code"] if row else NATIONAL_CODE)
        try:
            source, target = check_forward(command, row, directory)
        except Refused as refused:
            await self._reject(tx, envelope, story, where, refused, sender.agency_id if sender else None)
            return
        assert row is not None
        content = Content.model_validate(row["content"])
        path = list(row["agency_path"])
        triage_reason: Reason | None = None
        if target.agency_id in path:
            triage = _triage_level([*path, target.agency_id], directory)
            triage_reason = reasons.forward_loop(source, target, triage)
        elif row["forward_count"] >= self.settings.max_forwards:
            triage = _triage_level([*path, target.agency_id], directory)
            triage_reason = reasons.forward_limit(source, self.settings.max_forwards, triage)
        if triage_reason is not None:
            await repository.set_status(tx.conn, story.complaint_id, status="triage", jurisdiction_code=triage,
                                        agency_id=None)
            await self._record(tx, story, content, step="forward", outcome="triage", agency=None,
                               jurisdiction=triage, reason=triage_reason, actor=source.agency_id)
            await self._to_triage(tx, story, content, triage, triage_reason)
            return
        route_count = row["route_count"] + 1
        reason = reasons.forwarded(source, target, command.reason)
        await repository.route_to(tx.conn, story.complaint_id, agency_id=target.agency_id,
                                  jurisdiction_code=target.jurisdiction_code, forwarded=True, restart_path=False)
        await self._record(tx, story, content, step="forward", outcome="routed", agency=target,
                           jurisdiction=target.jurisdiction_code, reason=reason, route_count=route_count,
                           actor=source.agency_id)
        forwarded = ComplaintForwarded(from_agency=source.ref(), to_agency=target.ref(), reason=reason)
        # the agency that gave the complaint away reads of it on its own topics too
        topics = list(dict.fromkeys([COMPLAINTS.name,
                                     *complaint_audiences(target.jurisdiction_code, target.agency_id),
                                     *complaint_audiences(source.jurisdiction_code, source.agency_id)]))
        await tx.emit(forwarded, **story.at(target.jurisdiction_code, target.agency_id), topics=topics)
        await tx.emit(content.routed(target, reason, route_count), **story.at(target.jurisdiction_code,
                                                                              target.agency_id))
        log.info("complaint_forwarded", from_agency_id=source.agency_id, agency_id=target.agency_id,
                 route_count=route_count)

    # --- triage ---------------------------------------------------------------------------------------

    async def decide_triage(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """An admin's verdict on a complaint in triage: disposition to an agency, hold (tunda), or archive."""
        command: DecideTriage = envelope.payload
        directory = await self.registry.current(tx.conn, within=tx.pending)
        row = await repository.lock_complaint(tx.conn, envelope.complaint_id) if envelope.complaint_id else None
        story = story_of(row, envelope)
        triage = (row["triage_jurisdiction"] if row else None) or NATIONAL_CODE
        if row is not None and await binding.refused_outside_scope(
                tx, envelope, row["triage_jurisdiction"] or row["jurisdiction_code"]):
            return
        try:
            agency = check_triage_decision(command, row, directory)
        except Refused as refused:
            await self._reject(tx, envelope, story, triage, refused)
            return
        assert row is not None
        content = Content.model_validate(row["content"])
        if agency is not None:
            route_count = row["route_count"] + 1
            reason = reasons.triage_disposition(agency, command.admin_ref, command.reason)
            await repository.route_to(tx.conn, story.complaint_id, agency_id=agency.agency_id,
                                      jurisdiction_code=agency.jurisdiction_code, forwarded=False, restart_path=True)
            await repository.decide_triage(tx.conn, story.complaint_id, state="dispositioned", decision="disposition",
                                           decided_by=command.admin_ref, decision_reason=command.reason,
                                           agency_id=agency.agency_id)
            await self._record(tx, story, content, step="triage_decision", outcome="routed", agency=agency,
                               jurisdiction=agency.jurisdiction_code, reason=reason, route_count=route_count,
                               actor=command.admin_ref)
            await tx.emit(content.routed(agency, reason, route_count), **story.at(agency.jurisdiction_code,
                                                                                  agency.agency_id))
            log.info("triage_dispositioned", agency_id=agency.agency_id, route_count=route_count)
            return
        held = command.decision == "hold"
        reason = (reasons.held if held else reasons.archived)(command.admin_ref, command.reason)
        status = "held" if held else "archived"
        await repository.set_status(tx.conn, story.complaint_id, status=status, jurisdiction_code=triage,
                                    agency_id=None)
        await repository.decide_triage(tx.conn, story.complaint_id, state=status, decision=command.decision,
                                       decided_by=command.admin_ref, decision_reason=command.reason, agency_id=None)
        await self._record(tx, story, content, step="triage_decision", outcome=status, agency=None,
                           jurisdiction=triage, reason=reason, actor=command.admin_ref)
        event = ComplaintHeld(reason=reason, by=command.admin_ref) if held else ComplaintArchived(
            reason=reason, by=command.admin_ref
        )
        await tx.emit(event, **story.at(triage))
        log.info("triage_decided", decision=command.decision, triage_jurisdiction=triage)


# --- helpers ------------------------------------------------------------------------------------------------


def _triage_level(agency_ids: list[str], directory: Directory) -> str:
    """Where a forwarding dispute is decided: the province all agencies involved share, else the nation."""
    codes = {a.jurisdiction_code for a in (directory.get(i) for i in agency_ids) if a is not None}
    if not codes or NATIONAL_CODE in codes:
        return NATIONAL_CODE
    return jurisdictions.common_province(codes) or NATIONAL_CODE
