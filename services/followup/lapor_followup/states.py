"""The lifecycle state machine of a routed complaint, as a table.

``TRANSITIONS`` says, for every command, from which statuses it is allowed and where it leads; anything
else is refused with a reason (``complaint.action_rejected``), never an exception. ``EVENT_TRANSITIONS``
lists the transitions that happen without a command (routing's events, timers). docs/followup.md draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lapor_shared import statuses
from lapor_shared.events.values import Reason, reason


class Status(StrEnum):
    TRIAGE = "triage"
    ROUTED = "routed"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    REPORTER_REPLIED = "reporter_replied"
    REOPENED = "reopened"
    HELD = "held"
    CLOSED = "closed"


LABELS: dict[Status, tuple[str, str]] = {status: statuses.label(status.value) for status in Status}
"""(Bahasa Indonesia, English) of each status: the platform's one wording (``lapor_shared.statuses``)."""

OWED = frozenset({Status.ROUTED, Status.ACKNOWLEDGED, Status.REPORTER_REPLIED, Status.REOPENED})
"""The agency owes a follow-up: its follow-up clock runs and it can be escalated."""

OPEN = frozenset(Status) - {Status.CLOSED}

@dataclass(frozen=True, slots=True)
class Transition:
    allowed_from: frozenset[Status]
    to: Status | None
    """None: the status stays (an extension, a rating) or depends on history (admin reopen)."""


TRANSITIONS: dict[str, Transition] = {
    "agency.acknowledge": Transition(frozenset({Status.ROUTED, Status.REOPENED}), Status.ACKNOWLEDGED),
    "agency.respond": Transition(OWED | {Status.RESPONDED}, Status.RESPONDED),
    "agency.request_extension": Transition(OWED, None),
    "agency.resolve": Transition(frozenset({Status.RESPONDED, Status.REPORTER_REPLIED}), Status.CLOSED),
    "reporter.reply": Transition(frozenset({Status.RESPONDED}), Status.REPORTER_REPLIED),
    "reporter.rate": Transition(frozenset({Status.CLOSED}), None),
    "reporter.reopen": Transition(frozenset({Status.CLOSED}), Status.REOPENED),
    "admin.hold": Transition(OPEN - {Status.HELD}, Status.HELD),
    "admin.close": Transition(OPEN, Status.CLOSED),
    "admin.reopen": Transition(frozenset({Status.HELD, Status.CLOSED}), None),
}

EVENT_TRANSITIONS: dict[str, Transition] = {
    "complaint.needs_triage (routing)": Transition(frozenset(), Status.TRIAGE),
    "complaint.routed (routing)": Transition(frozenset({Status.TRIAGE}), Status.ROUTED),
    "complaint.forwarded / routed again (routing)": Transition(frozenset(Status), Status.ROUTED),
    "complaint.held (routing, from triage)": Transition(frozenset({Status.TRIAGE}), Status.HELD),
    "complaint.archived (routing, from triage)": Transition(frozenset({Status.TRIAGE}), Status.CLOSED),
    "auto-close timer": Transition(frozenset({Status.RESPONDED}), Status.CLOSED),
}

_ACTION_NAMES = {
    "agency.acknowledge": ("menerima laporan", "acknowledge"),
    "agency.respond": ("menindaklanjuti", "respond"),
    "agency.request_extension": ("meminta perpanjangan waktu", "request an extension"),
    "agency.resolve": ("menyelesaikan laporan", "resolve"),
    "reporter.reply": ("menanggapi tindak lanjut", "reply"),
    "reporter.rate": ("memberi penilaian", "rate"),
    "reporter.reopen": ("membuka kembali laporan", "reopen"),
    "admin.hold": ("menunda laporan", "hold"),
    "admin.close": ("menutup laporan", "close"),
    "admin.reopen": ("membuka kembali laporan", "reopen"),
}


def check(action: str, status: Status) -> Reason | None:
    """None when ``action`` is allowed in ``status``; otherwise why not."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return reason("unknown_action", message_id=f"Tindakan {action} tidak dikenal.",
                      message_en=f"Unknown action {action}.")
    if status in transition.allowed_from:
        return None
    verb_id, verb_en = _ACTION_NAMES[action]
    label_id, _label_en = LABELS[status]
    allowed = ", ".join(sorted(s.value for s in transition.allowed_from))
    return reason(
        "illegal_transition",
        message_id=f"Tidak dapat {verb_id} karena status laporan saat ini \"{label_id}\".",
        message_en=f"Cannot {verb_en} while the complaint is \"{status.value}\" (allowed from: {allowed}).",
    )
