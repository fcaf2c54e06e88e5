"""SMS through a provider-neutral HTTP gateway (httpx); field names, auth and body format configurable."""

from __future__ import annotations

import json

import httpx

from lapor_notify.channels.base import OutboundMessage, PermanentError
from lapor_notify.channels.http import post
from lapor_notify.settings import SmsSettings


class SmsChannel:
    name = "sms"

    def __init__(self, settings: SmsSettings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    def request_of(self, message: OutboundMessage) -> tuple[dict[str, str], dict[str, str]]:
        s = self._settings
        fields = {
            s.to_field: message.to or "",
            s.text_field: message.sms_text,
            s.sender_field: s.sender_id,
            s.reference_field: str(message.delivery_id),
        }
        headers = {"Idempotency-Key": str(message.delivery_id)}
        if s.token:
            headers[s.auth_header] = f"{s.auth_scheme} {s.token}".strip()
        return headers, fields

    async def send(self, message: OutboundMessage) -> None:
        if not message.to:
            raise PermanentError("no phone number")
        headers, fields = self.request_of(message)
        if self._settings.body_format == "json":
            headers["Content-Type"] = "application/json"
            await post(self._client, self._settings.url, timeout=self._settings.timeout_s, headers=headers,
                       content=json.dumps(fields, ensure_ascii=False).encode(), what="SMS gateway")
        else:
            await post(self._client, self._settings.url, timeout=self._settings.timeout_s, headers=headers,
                       data=fields, what="SMS gateway")
