"""Validation of the complaint commands routing handles (agency.forward, admin.decide_triage).

A refusal is a ``Refused`` with a bilingual reason; the use case turns it into ``complaint.action_rejected``.
"""

from __future__ import annotations

from typing import Any

from lapor_routing.registry import Agency, Directory
from lapor_shared.events.commands import DecideTriage, ForwardComplaint
from lapor_shared.events.values import Reason


class Refused(Exception):
    """A command that cannot be applied; becomes a rejection event with this reason."""

    def __init__(self, code: str, field: str | None, message_id: str, message_en: str) -> None:
        super().__init__(code)
        self.reason = Reason(code=code, field=field, message_id=message_id, message_en=message_en)


def _unknown_complaint() -> Refused:
    return Refused(
        "unknown_complaint", "complaint_id", "Laporan tidak dikenal oleh layanan routing.",
        "The complaint is unknown to the routing service.",
    )


def _agency_problem(agency_id: str | None, agency: Agency | None, field: str) -> Refused | None:
    if agency is None:
        return Refused("unknown_agency", field, f"Instansi {agency_id!r} tidak terdaftar.",
                       f"Agency {agency_id!r} is not registered.")
    if not agency.active:
        return Refused("inactive_agency", field, f"Instansi {agency.name} tidak aktif.",
                       f"Agency {agency.name} is inactive.")
    return None


def check_forward(command: ForwardComplaint, row: Any, directory: Directory) -> tuple[Agency, Agency]:
    """The sender (the current agency) and the target (active, another one), or ``Refused``."""
    if row is None:
        raise _unknown_complaint()
    if row["status"] != "routed":
        raise Refused("not_routed", "complaint_id",
                      "Laporan sedang tidak ditangani instansi mana pun (triase, ditunda, atau diarsipkan).",
                      "The complaint is not with any agency now (in triage, held or archived).")
    if row["agency_id"] != command.agency_id:
        raise Refused("not_current_agency", "agency_id",
                      "Hanya instansi yang sedang menangani laporan yang dapat melimpahkannya.",
                      "Only the agency currently responsible for the complaint may forward it.")
    target = directory.get(command.to_agency_id)
    problem = _agency_problem(command.to_agency_id, target, "to_agency_id")
    if problem is not None:
        raise problem
    assert target is not None
    if target.agency_id == command.agency_id:
        raise Refused("same_agency", "to_agency_id", "Laporan tidak dapat dilimpahkan kepada instansi yang sama.",
                      "A complaint cannot be forwarded to the same agency.")
    source = directory.get(command.agency_id)
    if source is None:  # agencies are never deleted, only deactivated
        raise Refused("unknown_agency", "agency_id", f"Instansi {command.agency_id!r} tidak terdaftar.",
                      f"Agency {command.agency_id!r} is not registered.")
    return source, target


def check_triage_decision(command: DecideTriage, row: Any, directory: Directory) -> Agency | None:
    """The agency of a disposition (None for hold and archive), or ``Refused``."""
    if row is None:
        raise _unknown_complaint()
    if row["status"] not in ("triage", "held"):
        raise Refused("not_in_triage", "complaint_id", "Laporan tidak sedang menunggu keputusan triase.",
                      "The complaint is not waiting for a triage decision.")
    if command.decision != "disposition":
        return None
    if not command.agency_id:
        raise Refused("agency_required", "agency_id", "Disposisi memerlukan instansi tujuan (agency_id).",
                      "A disposition needs a target agency (agency_id).")
    agency = directory.get(command.agency_id)
    problem = _agency_problem(command.agency_id, agency, "agency_id")
    if problem is not None:
        raise problem
    return agency
