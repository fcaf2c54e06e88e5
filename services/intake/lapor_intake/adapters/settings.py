"""Settings of the reference channel adapters (``IntakeSettings.adapters``).

Environment variables use the service's prefix and ``__`` for nesting, e.g.
``LAPOR_ADAPTERS__SMS_WEBHOOK_SECRET=…`` or ``LAPOR_ADAPTERS__OPEN311_API_KEYS=fixmystreet:k1,kotaku:k2``.
The defaults let ``make run`` work on a laptop; production must set both secrets.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

DEV_OPEN311_KEYS = "dev:lapor-open311-dev-key"
DEV_SMS_SECRET = "lapor-sms-dev-secret"


class AdapterSettings(BaseModel):
    enabled: bool = True
    """Mount the adapters' HTTP routes and start their subscribers in the intake process."""

    wait_s: float = Field(default=5.0, ge=0)
    """How long an HTTP request waits for intake's answer before answering 202 with a poll token."""
    max_body_bytes: int = 256_000
    """Largest request body accepted (attachments travel as references, never as bytes)."""
    results_group_prefix: str = "lapor-intake-adapters"
    """Consumer group of the results subscriber; each process adds a unique suffix, so every replica
    sees every result."""
    sweep_interval_s: float = Field(default=2.0, gt=0)
    """How often submissions still waiting for an answer are checked against intake's store."""

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
