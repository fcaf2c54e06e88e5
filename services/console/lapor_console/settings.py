"""The officer console's settings. Every field can be set from the environment: ``LAPOR_<FIELD>``
(``LAPOR_SESSION_SECRET``, ``LAPOR_DEMO_USERS=false``, ``LAPOR_LIVE_INTERVAL_S`` …).

The defaults fit a developer machine: demo officers are seeded (``DEMO_OFFICERS``, the password is the
dashboard's ``LAPOR_DEMO_PASSWORD``) and sessions are signed with a development secret. Outside
development (``LAPOR_ENVIRONMENT``, production by default) the service refuses to start while either is
in force; ``make run`` runs in development.
"""

from __future__ import annotations

from pydantic import Field

from lapor_shared.evidence import EvidenceSettings
from lapor_shared.settings import ServiceSettings

DEV_SESSION_SECRET = "dev-console-secret-do-not-use-in-production"
DEMO_PASSWORD = "lapor1708"
"""Password of the seeded demo officers: the same development password as the dashboard's demo officials."""

DEMO_OFFICERS: tuple[tuple[str, str, str, str], ...] = (
    ("petugas.bdl", "umum.18.71", "officer", "Petugas Unit Pengaduan Kota Bandar Lampung"),
    ("kepala.bdl", "umum.18.71", "supervisor", "Kepala Unit Pengaduan Kota Bandar Lampung"),
    ("petugas.dinkes.bdl", "dinkes.18.71", "officer", "Petugas Dinas Kesehatan Kota Bandar Lampung"),
)
"""(username, agency id, role, display name) of the demo officers: the samples route to ``umum.18.71``."""

ROLES = ("officer", "supervisor")


class ConsoleSettings(ServiceSettings):
    service_name: str = "console"
    http_port: int = 8007

    consumer_group: str = "lapor-console"
    """Kafka consumer group of the read model's subscriber on the agencies' streams."""

    session_secret: str = DEV_SESSION_SECRET
    """Signs the session cookie and the forms' CSRF tokens. Set a long random value in production."""
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    cookie_secure: bool = False
    """Send the session cookie over HTTPS only (set True behind TLS)."""

    demo_users: bool = True
    """Seed the demo officers at start-up (never overwrites an existing account). False in production."""
    demo_password: str = DEMO_PASSWORD

    live_interval_s: float = Field(default=2.0, gt=0)
    """How often the live stream looks whether the agency's complaints changed."""
    live_max_stream_s: float = Field(default=60.0, gt=0)
    """A stream ends after this long; the browser reconnects at once (and the session is checked again)."""
    action_wait_s: float = Field(default=3.0, ge=0)
    """How long an action's answer waits for its outcome before the page shows it as pending."""

    time_zone: str = "Asia/Jakarta"
    warning_hours: float = Field(default=24.0, gt=0)
    """A deadline closer than this is shown as a warning (amber), a passed one as overdue (red)."""
    worklist_limit: int = Field(default=200, ge=1)

    evidence: EvidenceSettings = EvidenceSettings()
    """The store the response's files are written to and the signed links to a complaint's files: the same
    store, ``LAPOR_EVIDENCE__LINK_SECRET`` and ``…PUBLIC_BASE_URL`` (the gateway's ``/bukti``) as the
    gateway's (docs/evidence.md)."""

    def development_values(self) -> list[str]:
        found = super().development_values()
        if self.evidence.is_development_secret():
            found.append("LAPOR_EVIDENCE__LINK_SECRET")
        if self.session_secret == DEV_SESSION_SECRET:
            found.append("LAPOR_SESSION_SECRET")
        if self.demo_users:
            found.append("LAPOR_DEMO_USERS=false")
        return found
