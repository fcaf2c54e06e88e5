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
    max_point_distance_m: float = Field(
        default=5_000.0, ge=0,
        description="A point in no regency's boundary counts (as approximate) for the nearest one this close",
    )
    seed_registry: bool = Field(
        default=True, description="Load the seed agencies at startup (idempotent; run-time changes are kept)"
    )
