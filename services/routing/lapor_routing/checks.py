"""Validation of the complaint commands routing handles (agency.forward, admin.decide_triage).

A refusal is a ``Refused`` with a bilingual reason; the use case turns it into ``complaint.action_rejected``.
"""

from __future__ import annotations

from typing import Any

from lapor_routing.registry import Agency, Directory
from lapor_shared.events.commands import DecideTriage, ForwardComplaint
from lapor_shared.events.values import Reason, reason


class Refused(Exception):
    """A command that cannot be applied; becomes a rejection event with this reason."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.code)
        self.reason = reason


def _unknown_complaint() -> Refused:
    return Refused(reason(
        "unknown_complaint", field="complaint_id", message_id="Laporan tidak dikenal oleh layanan routing.",
        message_en="The complaint is unknown to the routing service.",
    ))


def _agency_problem(agency_id: str | None, agency: Agency | None, field: str) -> Refused | None:
    if agency is None:
        return Refused(reason("unknown_agency", field=field, message_id=f"Instansi {agency_id!r} tidak terdaftar.",
                              message_en=f"Agency {agency_id!r} is not registered."))
    if not agency.active:
        return Refused(reason("inactive_agency", field=field, message_id=f"Instansi {agency.name} tidak aktif.",
                              message_en=f"Agency {agency.name} is inactive."))
    return None


def check_forward(command: ForwardComplaint, row: Any, directory: Directory) -> tuple[Agency, Agency]:
    """The sender (the current agency) and the target (active, another one), or ``Refused``."""
    if row is None:
        raise _unknown_complaint()
    if row["status"] != "routed":
        raise Refused(reason(
            "not_routed", field="complaint_id",
            message_id="Laporan sedang tidak ditangani instansi mana pun (triase, ditunda, atau diarsipkan).",
            message_en="The complaint is not with any agency now (in triage, held or archived).",
        ))
    if row["agency_id"] != command.agency_id:
        raise Refused(reason(
            "not_current_agency", field="agency_id",
            message_id="Hanya instansi yang sedang menangani laporan yang dapat melimpahkannya.",
            message_en="Only the agency currently responsible for the complaint may forward it.",
        ))
    target = directory.get(command.to_agency_id)
    problem = _agency_problem(command.to_agency_id, target, "to_agency_id")
    if problem is not None:
        raise problem
    assert target is not None
    if target.agency_id == command.agency_id:
        raise Refused(reason(
            "same_agency", field="to_agency_id",
            message_id="Laporan tidak dapat dilimpahkan kepada instansi yang sama.",
            message_en="A complaint cannot be forwarded to the same agency.",
        ))
    source = directory.get(command.agency_id)
    if source is None:  # agencies are never deleted, only deactivated
        raise Refused(reason(
            "unknown_agency", field="agency_id", message_id=f"Instansi {command.agency_id!r} tidak terdaftar.",
            message_en=f"Agency {command.agency_id!r} is not registered.",
        ))
    return source, target


def check_triage_decision(command: DecideTriage, row: Any, directory: Directory) -> Agency | None:
    """The agency of a disposition (None for hold and archive), or ``Refused``."""
    if row is None:
        raise _unknown_complaint()
    if row["status"] not in ("triage", "held"):
        raise Refused(reason(
            "not_in_triage", field="complaint_id", message_id="Laporan tidak sedang menunggu keputusan triase.",
            message_en="The complaint is not waiting for a triage decision.",
        ))
    if command.decision != "disposition":
        return None
    if not command.agency_id:
        raise Refused(reason(
            "agency_required", field="agency_id", message_id="Disposisi memerlukan instansi tujuan (agency_id).",
            message_en="A disposition needs a target agency (agency_id).",
        ))
    agency = directory.get(command.agency_id)
    problem = _agency_problem(command.agency_id, agency, "agency_id")
    if problem is not None:
        raise problem
    return agency
