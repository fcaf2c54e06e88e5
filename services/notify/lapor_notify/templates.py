"""What people are told, in Bahasa Indonesia first (English alongside for officers' systems).

Every message carries the tracking number. Officer messages never name the reporter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import ComplaintRouted


@dataclass(frozen=True, slots=True)
class Message:
    template: str
    recipient_kind: str
    recipient_ref: str
    channel: str
    subject: str
    body: str


def messages_for(envelope: Envelope[Any]) -> list[Message]:
    """The messages one lifecycle event causes (empty when it concerns nobody)."""
    payload = envelope.payload
    tn = envelope.tracking_number
    if isinstance(payload, ComplaintAccepted):
        return [Message(
            "complaint_accepted.reporter", "reporter", f"complaint:{envelope.complaint_id}", "inbox",
            f"Laporan Anda diterima ({tn})",
            f"Laporan Anda \"{payload.title}\" telah kami terima dengan nomor pelacakan {tn}. "
            f"Simpan nomor ini untuk memantau tindak lanjutnya.",
        )]
    if isinstance(payload, ComplaintRouted):
        agency = payload.agency
        return [
            Message(
                "complaint_routed.reporter", "reporter", f"complaint:{envelope.complaint_id}", "inbox",
                f"Laporan {tn} diteruskan ke {agency.name}",
                f"Laporan Anda {tn} telah diteruskan ke {agency.name}, yang wajib menindaklanjutinya.",
            ),
            Message(
                "complaint_routed.officer", "officer", f"agency:{agency.agency_id}", "inbox",
                f"Laporan baru {tn}",
                f"Laporan baru {tn} \"{payload.title}\" masuk untuk {agency.name}. "
                f"Mohon ditindaklanjuti sebelum tenggat.",
            ),
        ]
    return []
