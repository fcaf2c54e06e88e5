from __future__ import annotations

from lapor_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    max_future_skew_s: int = 600
    """How far in the future a submitted-at may lie (clock skew of channel adapters)."""
