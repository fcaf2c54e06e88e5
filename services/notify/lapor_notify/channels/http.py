"""What SMS gateways and agency webhooks have in common: one POST, and how its outcome is classified."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from lapor_notify.channels.base import PermanentError, TransientError

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


async def post(
    client: httpx.AsyncClient, url: str, *, timeout: float, headers: Mapping[str, str],
    content: bytes | None = None, data: Mapping[str, Any] | None = None, what: str,
) -> httpx.Response:
    """POST and classify: 2xx returns; 408/409/425/429/5xx and network errors are transient; other
    4xx (and 3xx: we never follow a redirect with a signed body) are permanent."""
    try:
        response = await client.post(url, content=content, data=data, headers=dict(headers), timeout=timeout)
    except httpx.TimeoutException as exc:
        raise TransientError(f"{what} timed out") from exc
    except httpx.HTTPError as exc:
        raise TransientError(f"{what} unreachable: {type(exc).__name__}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    if status in RETRYABLE_STATUS or status >= 500:
        raise TransientError(f"{what} answered HTTP {status}")
    raise PermanentError(f"{what} refused with HTTP {status}")
