"""Notify's settings. Every field can be set from the environment: ``LAPOR_<FIELD>``, nested groups with
``__`` (``LAPOR_SMTP__HOST``, ``LAPOR_SMS__URL``, ``LAPOR_SENDING__MAX_ATTEMPTS`` …).

The defaults fit a developer machine: mail to the local sink on port 1025 and SMS/webhooks to the
sink's HTTP port 8025 (``python -m tools.sinks``), demo recipients for the agencies routing knows.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from lapor_shared.settings import ServiceSettings

DEV_SMS_TOKEN = "dev-token"
DEV_PUBLIC_BASE_URL = "http://127.0.0.1:8006"


class SmtpSettings(BaseModel):
    """E-mail over SMTP (aiosmtplib). ``provider = "disabled"`` turns the channel off."""

    provider: Literal["smtp", "disabled"] = "smtp"
    host: str = "127.0.0.1"
    port: int = 1025
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    """Implicit TLS (port 465)."""
    start_tls: bool | None = None
    """STARTTLS: None = when the server offers it; True = required; False = never."""
    from_address: str = "LAPOR! <noreply@lapor.go.id>"
    timeout_s: float = 15.0


class SmsSettings(BaseModel):
    """SMS through a provider-neutral HTTP gateway: one POST per message.

    The body is JSON (or a form) with the fields named below; the token goes into ``auth_header`` as
    ``auth_scheme token``. 2xx = accepted; 408/429/5xx and network errors are retried; other 4xx fail.
    """

    provider: Literal["http", "disabled"] = "http"
    url: str = "http://127.0.0.1:8025/sms"
    token: str = DEV_SMS_TOKEN
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    body_format: Literal["json", "form"] = "json"
    to_field: str = "to"
    text_field: str = "text"
    sender_field: str = "from"
    reference_field: str = "reference"
    sender_id: str = "LAPOR1708"
    max_segments: int = Field(default=3, ge=1, le=10)
    timeout_s: float = 10.0


class WebhookSettings(BaseModel):
    """Signed webhooks to agency systems (the URL and secret are per recipient)."""

    provider: Literal["http", "disabled"] = "http"
    timeout_s: float = 10.0


class SendingSettings(BaseModel):
    """The delivery worker: schedule, leases, retries, contact wait, rate limits, digests."""

    autostart: bool = True
    """Start the delivery worker with the service (tests drive it by hand)."""
    poll_interval_s: float = 1.0
    housekeeping_interval_s: float = 1.0
    """Contact waits, digests and pruning are looked at no more often than this (by the service's clock)."""
    concurrency: int = Field(default=256, ge=1)
    """Deliveries in flight at once per replica, from their claim until their outcome is recorded (in-app
    messages included). Outcomes that finish together are recorded together, so slots free together and
    the next claim takes as many: with 64 the worker claimed in lock-step and held notify to about 150
    complaints/s on a benchmark machine (issue 17, ``docs/performance.md``)."""
    provider_concurrency: int = Field(default=64, ge=1)
    """Sends in flight at once per replica to each outside provider (SMTP, the SMS gateway, webhooks): what
    a slow provider holds, and the most connections it sees from a replica. A delivery waiting for one of
    these slots waits at most ``provider_wait_s``."""
    provider_wait_s: float = Field(default=30.0, gt=0)
    """How long a claimed delivery waits for a provider slot before it goes back, due again a few seconds
    later, its attempt not counted (it was not tried). At most a quarter of the lease
    (``provider_wait_limit_s``), so a delivery is never taken back while it waits or sends."""
    lease_s: float = 120.0
    """How long a claimed delivery belongs to one worker; after that another may take it (and resend)."""
    max_attempts: int = Field(default=8, ge=1)
    backoff_initial_s: float = 30.0
    backoff_max_s: float = 3600.0
    contact_wait_s: float = 900.0
    """How long a reporter message waits for the reporter's contact before it stays in the inbox only."""
    contact_retention_after_close_s: float = 60 * 24 * 3600.0
    """A closed complaint's contact is deleted this long after closing (the reopen window); a reopened
    complaint's reporter then hears in the inbox only."""
    rate_limits_per_hour: dict[str, int] = {"sms": 6, "email": 30}
    """Per recipient and channel, counted in the database; the rest waits for the next hour."""
    digest_daily_hour: int = Field(default=7, ge=0, le=23)
    """Local hour (Asia/Jakarta) at which daily digests go out."""
    reporter_sms_with_email: bool = False
    """SMS a reporter who also left an e-mail address (False: SMS only when there is no e-mail,
    or when the complaint came in by SMS)."""
    inbox_at_once: bool = True
    """Write an in-app inbox message in the transaction that records it (with its ``sent`` status and its
    ``notification.sent``), as the consumer handles the event: the inbox is a table of this database, so its
    "send" needs no claim, no lease and no outcome of its own. False: the delivery worker claims and writes
    it like any other delivery (two transactions more per message, and the wait for a claim; issue 17)."""

    @property
    def provider_wait_limit_s(self) -> float:
        """``provider_wait_s``, never a quarter of the lease or more: with the send's timeout (half the
        lease) a delivery's wait and send end while its lease still holds."""
        return min(self.provider_wait_s, self.lease_s / 4)


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8004
    holds_contact_keys: ClassVar[bool] = True

    reporter_languages: list[str] = ["id", "en"]
    """Reporters get Bahasa Indonesia first and English second (SMS: the first language only)."""
    public_base_url: str = DEV_PUBLIC_BASE_URL
    """The address citizens reach the gateway at (``LAPOR_PUBLIC_BASE_URL``, e.g. ``https://lapor.go.id``):
    reporters' messages link to its tracking page, ``<base>/lacak?nomor=<tracking number>``. The default
    is ``make run``'s gateway; production must set it."""
    sms_number: str = "1708"
    recipients_file: str = "demo"
    """Officer and agency addresses loaded at start-up: a JSON file path, ``demo`` for the packaged
    demo set, or empty for none (the table is then managed directly)."""

    smtp: SmtpSettings = SmtpSettings()
    sms: SmsSettings = SmsSettings()
    webhooks: WebhookSettings = WebhookSettings()
    sending: SendingSettings = SendingSettings()

    def development_values(self) -> list[str]:
        """Besides the key ring: the SMS gateway's development token, the demo recipients (whose webhook
        secrets are public in this repository), e-mail that may travel unencrypted and links to
        ``make run``'s gateway."""
        found = super().development_values()
        if self.sms.provider == "http" and self.sms.token == DEV_SMS_TOKEN:
            found.append("LAPOR_SMS__TOKEN")
        if self.recipients_file == "demo":
            found.append("LAPOR_RECIPIENTS_FILE")
        if self.smtp.provider == "smtp" and not (self.smtp.use_tls or self.smtp.start_tls):
            found.append("LAPOR_SMTP__START_TLS=true (atau/or LAPOR_SMTP__USE_TLS=true)")
        if self.public_base_url == DEV_PUBLIC_BASE_URL:
            found.append("LAPOR_PUBLIC_BASE_URL")
        return found

    def tracking_url(self, tracking_number: str) -> str:
        """The gateway's tracking page of a complaint (the reporter types the key there)."""
        return f"{self.public_base_url.rstrip('/')}/lacak?nomor={tracking_number}"
