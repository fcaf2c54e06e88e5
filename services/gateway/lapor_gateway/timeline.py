"""The reporter's view of each complaint, projected from ``lapor.complaints`` (consumer ``gateway.view``,
beside the public view of ``projection.py``), and the outcome of every command the gateway published
for a reporter.

Unlike the public view, this one is read only by whoever proves to be the complaint's reporter
(``reporters.py``), so it keeps what a reporter reads of a rahasia complaint too: the agency's responses
with their links, the reporter's own replies, deadlines, escalations, the closing and the reopen window.
It never keeps an internal note, an officer's or admin's reference or anything about the reporter.

An outcome is the lifecycle event a command caused (its ``causation_id`` is the command's id:
``complaint.reporter_replied``, ``complaint.rated``, ``complaint.reopened``) or followup's
``complaint.action_rejected`` naming it; recording one wakes the request waiting for it (``wakeups``)
and queues the SMS reply a text command is owed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from lapor_gateway import replies
from lapor_gateway import reporter_repository as rrepo
from lapor_gateway import repository as repo
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope, Payload
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.statuses import ComplaintStatus as S

Handler = Callable[[Tx, Envelope[Any]], Awaitable[None]]
Change = Callable[[Envelope[Any]], "rrepo.CaseChange"]

OUTCOME_OF = {
    "complaint.reporter_replied": "reporter.reply",
    "complaint.rated": "reporter.rate",
    "complaint.reopened": "reporter.reopen",
}
"""The event that says a reporter's command was carried out, and the command."""


def _links(attachments: list[Any]) -> list[dict[str, Any]]:
    return [{"url": str(a.url), "media_type": a.media_type} for a in attachments]


def _evidence(evidence: list[Any]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in evidence]


def _about_a_complaint(handler: Handler) -> Handler:
    async def guarded(tx: Tx, envelope: Envelope[Any]) -> None:
        if envelope.complaint_id is not None:
            await handler(tx, envelope)

    return guarded


class Timeline:
    """The projection per event type: the case change of the common events (``changes``, applied a run at
    a time by ``view.View``) or a use case (``handlers``); ``notify_channel`` wakes waiting requests,
    ``short_code`` signs SMS replies."""

    def __init__(self, *, notify_channel: str, short_code: str) -> None:
        self._notify_channel = notify_channel
        self._short_code = short_code

    @property
    def changes(self) -> dict[type[Payload], Change]:
        """The event types whose effect is one ``CaseChange`` (a run's take one statement per shape:
        ``view.py``), and how to make it; the others have a use case in ``handlers``."""
        return {
            ComplaintAccepted: self.accepted,
            lc.ComplaintNeedsTriage: self._simple(S.TRIAGE, "needs_triage"),
            lc.ComplaintRouted: self.routed,
            lc.ComplaintAcknowledged: self._simple(S.ACKNOWLEDGED, "acknowledged", names_agency=True),
            lc.DeadlineSet: self.deadline,
            lc.DeadlineExtended: self.deadline,
        }

    @property
    def handlers(self) -> dict[type[Payload], Handler]:
        about_a_complaint: dict[type[Payload], Handler] = {
            lc.ComplaintForwarded: self.on_forwarded,
            lc.ComplaintHeld: self.on_held,
            lc.ComplaintArchived: self.on_archived,
            lc.ComplaintResponded: self.on_responded,
            lc.ComplaintReporterReplied: self.on_reporter_replied,
            lc.ComplaintEscalated: self.on_escalated,
            lc.ComplaintClosed: self.on_closed,
            lc.ComplaintReopened: self.on_reopened,
            lc.ComplaintRated: self.on_rated,
        }
        # a refusal names the command; every other event is about a complaint (skip a malformed one)
        return {**{t: _about_a_complaint(h) for t, h in about_a_complaint.items()},
                lc.ActionRejected: self.on_action_rejected}

    # --- steps ---------------------------------------------------------------------------------

    async def _step(self, tx: Tx, envelope: Envelope[Any], kind: str, **facts: Any) -> None:
        assert envelope.complaint_id is not None
        await rrepo.add_step(tx.conn, event_id=envelope.event_id, complaint_id=envelope.complaint_id,
                             occurred_at=envelope.occurred_at, kind=kind, facts=facts)

    async def _case(self, tx: Tx, envelope: Envelope[Any], status: S | None = None, **columns: Any) -> None:
        assert envelope.complaint_id is not None
        await rrepo.change_case(tx.conn, envelope.complaint_id, envelope.tracking_number, at=envelope.occurred_at,
                                status=status.value if status else None, **columns)

    @staticmethod
    def _change(envelope: Envelope[Any], status: S | None, kind: str, *, facts: dict[str, Any] | None = None,
                names_agency: bool = False, **columns: Any) -> rrepo.CaseChange:
        """The case's change and its step, for one statement; ``names_agency``: the step names the case's
        agency (as the change left it, read back by the statement itself)."""
        assert envelope.complaint_id is not None
        step = rrepo.Step(envelope.event_id, envelope.occurred_at, kind, facts or {}, agency_name=names_agency)
        return rrepo.CaseChange(envelope.complaint_id, envelope.tracking_number, envelope.occurred_at,
                                status.value if status else None, step, columns)

    async def _agency_name(self, tx: Tx, envelope: Envelope[Any]) -> str | None:
        assert envelope.complaint_id is not None
        case = await rrepo.case_of(tx.conn, envelope.complaint_id)
        return case["agency_name"] if case else None

    def _simple(self, status: S, kind: str, *, names_agency: bool = False) -> Change:
        def change(envelope: Envelope[Any]) -> rrepo.CaseChange:
            return self._change(envelope, status, kind, names_agency=names_agency)

        return change

    def accepted(self, envelope: Envelope[Any]) -> rrepo.CaseChange:
        p: ComplaintAccepted = envelope.payload
        return self._change(envelope, S.SUBMITTED, "accepted", facts={"evidence": _evidence(p.evidence)},
                            title=p.title, confidential=p.confidential, anonymous=p.anonymous)

    def routed(self, envelope: Envelope[Any]) -> rrepo.CaseChange:
        agency = envelope.payload.agency
        return self._change(envelope, S.ROUTED, "routed", facts={"agency_name": agency.name},
                            agency_name=agency.name, zone_code=agency.jurisdiction_code)

    async def on_forwarded(self, tx: Tx, envelope: Envelope[Any]) -> None:
        p: lc.ComplaintForwarded = envelope.payload
        await self._case(tx, envelope, S.FORWARDED, agency_name=p.to_agency.name,
                         zone_code=p.to_agency.jurisdiction_code)
        await self._step(tx, envelope, "forwarded", from_agency_name=p.from_agency.name,
                         to_agency_name=p.to_agency.name)

    async def on_held(self, tx: Tx, envelope: Envelope[Any]) -> None:
        assert envelope.complaint_id is not None
        case = await rrepo.case_of(tx.conn, envelope.complaint_id)
        before = case["status"] if case is not None and case["status"] != S.HELD.value else None
        await self._case(tx, envelope, S.HELD, status_before_hold=before, stage=None, due_at=None)
        await self._step(tx, envelope, "held")

    async def on_archived(self, tx: Tx, envelope: Envelope[Any]) -> None:
        await self._case(tx, envelope, S.ARCHIVED, close_reason="archived", stage=None, due_at=None,
                         reopen_until=None)
        await self._step(tx, envelope, "archived")

    async def on_responded(self, tx: Tx, envelope: Envelope[Any]) -> None:
        p: lc.ComplaintResponded = envelope.payload
        await self._case(tx, envelope, S.RESPONDED)
        await self._step(tx, envelope, "responded", agency_name=await self._agency_name(tx, envelope), text=p.text,
                         attachments=_links(p.attachments), evidence=_evidence(p.evidence))

    async def on_reporter_replied(self, tx: Tx, envelope: Envelope[Any]) -> None:
        p: lc.ComplaintReporterReplied = envelope.payload
        await self._case(tx, envelope, S.REPORTER_REPLIED)
        await self._step(tx, envelope, "reporter_replied", text=p.text, attachments=_links(p.attachments),
                         evidence=_evidence(p.evidence))
        await self._carried_out(tx, envelope)

    def deadline(self, envelope: Envelope[Any]) -> rrepo.CaseChange:
        p: lc.DeadlineSet | lc.DeadlineExtended = envelope.payload
        columns: dict[str, Any] = {"stage": p.stage, "due_at": p.due_at}
        if envelope.jurisdiction_code:  # the deadline runs in the responsible agency's zone
            columns["zone_code"] = envelope.jurisdiction_code
        kind = "deadline_set" if isinstance(p, lc.DeadlineSet) else "deadline_extended"
        return self._change(envelope, None, kind, names_agency=True, facts={
            "stage": p.stage, "due_at": p.due_at.isoformat(), "working_days": p.working_days,
            "zone_code": envelope.jurisdiction_code}, **columns)

    async def on_escalated(self, tx: Tx, envelope: Envelope[Any]) -> None:
        p: lc.ComplaintEscalated = envelope.payload
        await self._step(tx, envelope, "escalated", from_agency_name=p.from_agency.name,
                         to_agency_name=p.to_agency.name, escalation_level=p.escalation_level)

    async def on_closed(self, tx: Tx, envelope: Envelope[Any]) -> None:
        p: lc.ComplaintClosed = envelope.payload
        await self._case(tx, envelope, S.ARCHIVED if p.reason == "archived" else S.CLOSED, close_reason=p.reason,
                         reopen_until=p.reopen_until, stage=None, due_at=None)
        await self._step(tx, envelope, "closed", reason=p.reason,
                         reopen_until=p.reopen_until.isoformat() if p.reopen_until else None)

    async def on_reopened(self, tx: Tx, envelope: Envelope[Any]) -> None:
        p: lc.ComplaintReopened = envelope.payload
        assert envelope.complaint_id is not None
        case = await rrepo.case_of(tx.conn, envelope.complaint_id)
        by_reporter = p.by == "reporter"
        if case is not None and case["status"] == S.HELD.value:  # an admin lifted a hold: back to where it was
            await self._case(tx, envelope, S(case["status_before_hold"] or S.ROUTED.value), status_before_hold=None)
        else:
            await self._case(tx, envelope, S.REOPENED, close_reason=None, reopen_until=None, rated=False)
        await self._step(tx, envelope, "reopened", by="reporter" if by_reporter else "admin",
                         reason=p.reason if by_reporter else None)
        await self._carried_out(tx, envelope)

    async def on_rated(self, tx: Tx, envelope: Envelope[Any]) -> None:
        p: lc.ComplaintRated = envelope.payload
        await self._case(tx, envelope, rated=True)
        await self._step(tx, envelope, "rated", rating=p.rating, comment=p.comment)
        await self._carried_out(tx, envelope)

    # --- outcomes of the reporter's commands -------------------------------------------------------

    async def _carried_out(self, tx: Tx, envelope: Envelope[Any]) -> None:
        if envelope.causation_id is not None:
            await self._decide(tx, envelope.causation_id, "accepted", None, OUTCOME_OF[envelope.event_type],
                               envelope.tracking_number)

    async def on_action_rejected(self, tx: Tx, envelope: Envelope[Any]) -> None:
        p: lc.ActionRejected = envelope.payload
        if p.command_type.startswith("reporter."):
            await self._decide(tx, p.command_id, "rejected", p.reason.model_dump(), p.command_type,
                               envelope.tracking_number)

    async def _decide(self, tx: Tx, command_id: UUID, outcome: str, reason: dict[str, Any] | None,
                      command_type: str, tracking_number: str | None) -> None:
        decided = await rrepo.decide_action(tx.conn, command_id, outcome=outcome, reason=reason,
                                            command_type=command_type)
        if decided is None:
            return  # not one the gateway published (another channel's), or already decided
        await repo.notify_answered(tx.conn, self._notify_channel, "action", str(command_id))
        if decided["reply_to"]:
            body = replies.action_outcome(command_type, outcome, tracking_number or "", reason, self._short_code)
            await repo.queue_sms(tx.conn, in_reply_to=decided["in_reply_to"] or str(command_id), kind="action",
                                 to_phone=decided["reply_to"], body=body)
            await rrepo.forget_action_reply_to(tx.conn, command_id)
