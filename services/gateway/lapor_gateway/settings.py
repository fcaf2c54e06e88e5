"""The gateway's settings: ``LAPOR_…`` like every service, its channels' own under ``LAPOR_ADAPTERS__…``.

The channels' variables kept the names they had when the adapters ran inside intake
(``LAPOR_ADAPTERS__SMS_WEBHOOK_SECRET=…``, ``LAPOR_ADAPTERS__OPEN311_API_KEYS=fixmystreet:k1,kotaku:k2``), so
a deployment's secrets move from intake to the gateway unchanged. The defaults let ``make run`` work on
a laptop; production must set both secrets and intake's ``LAPOR_REPORTER_HASH_KEY``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from lapor_shared.evidence import EvidenceSettings
from lapor_shared.reporter_proof import DEV_REPORTER_HASH_KEY
from lapor_shared.settings import ServiceSettings

DEV_OPEN311_KEYS = "dev:lapor-open311-dev-key"
DEV_SMS_SECRET = "lapor-sms-dev-secret"


class AdapterSettings(BaseModel):
    wait_s: float = Field(default=5.0, ge=0)
    """How long an HTTP request waits for intake's answer before answering 202 with a poll token."""
    max_body_bytes: int = 256_000
    """Largest request body accepted without files (forms with files and upload slots: docs/evidence.md)."""
    recheck_s: float = Field(default=1.0, gt=0)
    """A waiting request reads its answer from the gateway's table this often even when no notification
    woke it (the listening connection was away, or the notification was lost with it)."""

    open311_api_keys: str = DEV_OPEN311_KEYS
    """Open311 API keys as ``client:key[,client:key…]``; the client name is logged, the key never."""
    open311_jurisdiction_id: str = "lapor.go.id"

    sms_webhook_secret: str = DEV_SMS_SECRET
    """Shared secret the SMS gateway sends in the ``X-Lapor-Sms-Secret`` header."""
    sms_short_code: str = "1708"

    def open311_clients(self) -> dict[str, str]:
        """API key → client name."""
        clients: dict[str, str] = {}
        for item in self.open311_api_keys.split(","):
            name, sep, key = item.strip().partition(":")
            if sep and key.strip():
                clients[key.strip()] = name.strip() or "client"
        return clients


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int = 8006
    adapters: AdapterSettings = AdapterSettings()
    """The channels (``LAPOR_ADAPTERS__…``)."""
    reporter_hash_key: str = DEV_REPORTER_HASH_KEY
    """``LAPOR_REPORTER_HASH_KEY``, intake's: an SMS sender's number is hashed with it and compared with the
    reporter's (``submission.accepted``), so a BALAS/BUKA/NILAI text proves who sent it. Set in production."""
    evidence: EvidenceSettings = EvidenceSettings()
    """Photos and documents (``LAPOR_EVIDENCE__…``, docs/evidence.md): the store, the limits, signed links."""

    def development_values(self) -> list[str]:
        found = super().development_values()
        keys = self.adapters.open311_api_keys
        if keys == DEV_OPEN311_KEYS or "lapor-open311-dev-key" in keys:
            found.append("LAPOR_ADAPTERS__OPEN311_API_KEYS")
        if self.adapters.sms_webhook_secret == DEV_SMS_SECRET:
            found.append("LAPOR_ADAPTERS__SMS_WEBHOOK_SECRET")
        if self.reporter_hash_key == DEV_REPORTER_HASH_KEY:
            found.append("LAPOR_REPORTER_HASH_KEY")
        if self.evidence.is_development_secret():
            found.append("LAPOR_EVIDENCE__LINK_SECRET")
        return found
