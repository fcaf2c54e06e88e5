from __future__ import annotations

from lapor_shared.settings import ServiceSettings


class FollowupSettings(ServiceSettings):
    service_name: str = "followup"
    http_port: int = 8003
    cutoff_hour: int = 16
    """Complaints arriving at or after this local hour count from the next working day."""
