from __future__ import annotations

from pydantic import Field

from lapor_shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    http_port: int = 8002
    max_forwards: int = Field(
        default=3, ge=1,
        description="Forwardings (pelimpahan) a complaint may take before the next one goes to triage instead",
    )
    seed_registry: bool = Field(
        default=True, description="Load the seed agencies at startup (idempotent; run-time changes are kept)"
    )
