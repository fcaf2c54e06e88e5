"""E-mail over SMTP with aiosmtplib."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from lapor_notify.channels.base import OutboundMessage, PermanentError, TransientError
from lapor_notify.settings import SmtpSettings


class EmailChannel:
    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def build(self, message: OutboundMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._settings.from_address
        mail["To"] = message.to or ""
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(message.created_at)
        # a stable Message-ID: a resend after a crash carries the same id, so mail systems can dedupe
        mail["Message-ID"] = make_msgid(idstring=str(message.delivery_id), domain="notify.lapor.go.id")
        mail["X-Lapor-Delivery"] = str(message.delivery_id)
        if message.tracking_number:
            mail["X-Lapor-Tracking-Number"] = message.tracking_number
        mail["Content-Language"] = ", ".join(message.languages)
        mail.set_content(message.body)
        return mail

    async def send(self, message: OutboundMessage) -> None:
        if not message.to:
            raise PermanentError("no e-mail address")
        s = self._settings
        try:
            await aiosmtplib.send(
                self.build(message), hostname=s.host, port=s.port, username=s.username, password=s.password,
                use_tls=s.use_tls, start_tls=s.start_tls, timeout=s.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # the server's text names the address: keep only the code
            code = exc.recipients[0].code if exc.recipients else 550
            if 400 <= code < 500:
                raise TransientError(f"recipient deferred (SMTP {code})") from exc
            raise PermanentError(f"recipient refused (SMTP {code})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise TransientError(f"SMTP {exc.code}") from exc
            raise PermanentError(f"SMTP {exc.code}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientError(f"SMTP unavailable: {type(exc).__name__}") from exc
