"""The dashboard's settings. Every field can be set from the environment: ``LAPOR_<FIELD>``
(``LAPOR_SESSION_SECRET``, ``LAPOR_LIVE_INTERVAL_S``, ``LAPOR_DEMO_USERS=false`` …).

The defaults fit a developer machine: demo officials are seeded (``lampung``, ``bandarlampung``,
``nasional``, password ``DEMO_PASSWORD``) and sessions are signed with a development secret. In production
(``LAPOR_ENVIRONMENT``, the default) the service refuses to start while either is in force; ``make run`` runs
in development.
"""

from __future__ import annotations

from pydantic import Field

from lapor_shared.evidence import EvidenceSettings
from lapor_shared.settings import ServiceSettings

DEV_SESSION_SECRET = "dev-dashboard-secret-do-not-use-in-production"
DEMO_PASSWORD = "lapor1708"
"""Password of the seeded demo officials (``make run`` prints it)."""

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("lampung", "18", "Pemantau Provinsi Lampung"),
    ("bandarlampung", "18.71", "Pemantau Kota Bandar Lampung"),
    ("nasional", "ID", "Pemantau Nasional (KemenPANRB)"),
)
"""(username, scope code, display name) of the demo officials."""


class DashboardSettings(ServiceSettings):
    service_name: str = "dashboard"
    http_port: int = 8005

    consumer_group: str = "lapor-dashboard"
    """Kafka consumer group of the read model's subscriber on ``lapor.complaints``."""

    session_secret: str = DEV_SESSION_SECRET
    """Signs the session cookie (itsdangerous). Set a long random value in production."""
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    cookie_secure: bool = False
    """Send the session cookie over HTTPS only (set True behind TLS)."""

    demo_users: bool = True
    """Seed the demo officials at start-up (never overwrites an existing user). False in production."""
    demo_password: str = DEMO_PASSWORD

    live_interval_s: float = Field(default=3.0, gt=0)
    """How often the live stream (/events/stream) recomputes the figures and pushes them when they changed."""
    live_max_stream_s: float = Field(default=60.0, gt=0)
    """A stream ends after this long; the browser reconnects at once (and the session is checked again)."""

    time_zone: str = "Asia/Jakarta"
    """Days and weeks of the trend are counted in this zone (WIB)."""
    trend_days: int = Field(default=30, ge=1, le=366)
    trend_weeks: int = Field(default=12, ge=1, le=104)
    overdue_list_limit: int = Field(default=50, ge=1)
    """Rows of the overdue list on the page (the CSV export has them all)."""

    evidence: EvidenceSettings = EvidenceSettings()
    """Signed links to a complaint's files (``LAPOR_EVIDENCE__LINK_SECRET``, the gateway's, and
    ``LAPOR_EVIDENCE__PUBLIC_BASE_URL``, where the gateway serves ``/bukti``): docs/evidence.md."""

    def development_values(self) -> list[str]:
        found = super().development_values()
        if self.evidence.is_development_secret():
            found.append("LAPOR_EVIDENCE__LINK_SECRET")
        if self.session_secret == DEV_SESSION_SECRET:
            found.append("LAPOR_SESSION_SECRET")
        if self.demo_users:
            found.append("LAPOR_DEMO_USERS=false")
        return found
