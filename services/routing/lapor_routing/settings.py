from __future__ import annotations

from pydantic import Field

from lapor_shared.bearer import MIN_TOKEN_LENGTH, weak_tokens
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
    admin_tokens: str = Field(default="", repr=False)
    """Triage-queue credentials given by configuration: 'scope=token[,scope=token…]', a scope being ID, a
    province (18) or a regency (18.71). Only their SHA-256 is stored (table admin_credentials, where
    operators also add and revoke tokens: python -m lapor_routing.admin). Outside development each token
    must be at least MIN_TOKEN_LENGTH characters (a demo token is refused)."""

    def development_values(self) -> list[str]:
        found = super().development_values()
        if weak_tokens(self.admin_tokens):
            found.append(f"LAPOR_ADMIN_TOKENS (token ≥ {MIN_TOKEN_LENGTH} karakter/characters)")
        return found
