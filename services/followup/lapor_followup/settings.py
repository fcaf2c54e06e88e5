from __future__ import annotations

from pydantic import Field

from lapor_shared.bearer import MIN_TOKEN_LENGTH, weak_tokens
from lapor_shared.settings import ServiceSettings


class FollowupSettings(ServiceSettings):
    service_name: str = "followup"
    http_port: int = 8003
    cutoff_hour: int = Field(default=16, ge=0, le=24)
    """Something arriving at or after this local hour (WIB/WITA/WIT) counts from the next working day."""
    policy_file: str | None = None
    """A TOML file of deadline policy versions; None: the packaged data/deadline_policies.toml."""
    timer_poll_interval_s: float = 1.0
    timer_batch_size: int = 20
    timer_max_attempts: int = 5
    calendar_refresh_s: float = 300.0
    """How often the operator's calendar override table is reloaded."""
    agency_tokens: str = Field(default="", repr=False)
    """Work-list credentials given by configuration: 'agency_id=token[,agency_id=token…]'. Only their
    SHA-256 is stored (table agency_credentials, where operators can also add and revoke tokens). Outside
    development each token must be at least MIN_TOKEN_LENGTH characters (a demo token is refused)."""
    worklist_limit: int = 500

    def development_values(self) -> list[str]:
        found = super().development_values()
        if weak_tokens(self.agency_tokens):
            found.append(f"LAPOR_AGENCY_TOKENS (token ≥ {MIN_TOKEN_LENGTH} karakter/characters)")
        return found
