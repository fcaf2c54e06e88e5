from __future__ import annotations

from typing import ClassVar

from lapor_shared.reporter_proof import DEV_REPORTER_HASH_KEY
from lapor_shared.settings import ServiceSettings

__all__ = ["DEV_REPORTER_HASH_KEY", "IntakeSettings"]


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    holds_contact_keys: ClassVar[bool] = True
    http_port: int = 8001
    max_future_skew_s: int = 600
    """How far in the future a submitted-at may lie (clock skew of channel adapters)."""

    # --- intake core: validation, abuse limits, duplicates, identity (``LAPOR_…``) ---
    attachment_max_count: int = 10
    """At most this many attachments per submission."""
    attachment_max_bytes: int = 25 * 1024 * 1024
    """Largest attachment a channel may reference (the bytes stay with the channel's storage)."""
    attachment_media_types: frozenset[str] = frozenset({
        "image/jpeg", "image/png", "image/webp", "image/heic", "image/gif",
        "application/pdf", "video/mp4", "video/3gpp", "audio/mpeg", "audio/ogg", "audio/mp4", "audio/amr",
    })
    """Media types an attachment may have."""
    reply_channels: frozenset[str] = frozenset({"sms", "call_centre", "paper"})
    """Channels that cannot show the reporter an answer themselves: a submission there needs a phone
    number or an e-mail address unless the reporter chose anonim."""
    reporter_rate_limit: int = 5
    """Accepted complaints per reporter (same phone number or e-mail address) per window."""
    reporter_rate_window_s: int = 3600
    channel_rate_limit: int = 3000
    """Accepted complaints per channel per window (generous: a flood on one channel must not starve others)."""
    channel_rate_window_s: int = 60
    duplicate_window_s: int = 24 * 3600
    """How far back a complaint by the same reporter counts as a possible duplicate."""
    activity_prune_interval_s: float = 60.0
    """How often reporter activity older than both windows is deleted (``lapor_intake.housekeeping``)."""
    duplicate_similarity: float = 0.8
    """pg_trgm similarity of the normalised title + description above which texts count as near-identical."""
    reporter_hash_key: str = DEV_REPORTER_HASH_KEY
    """Secret for the keyed hash (HMAC-SHA256) of phone numbers and e-mail addresses. Set in production."""

    def development_values(self) -> list[str]:
        found = super().development_values()
        if self.reporter_hash_key == DEV_REPORTER_HASH_KEY:
            found.append("LAPOR_REPORTER_HASH_KEY")
        return found
