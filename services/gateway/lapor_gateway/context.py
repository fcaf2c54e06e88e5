"""What the channels' HTTP routes share (``AdapterContext``: the runtime, the settings, the submission
gateway, the reporter's commands and the answer board; each channel's ``routes(ctx)`` binds it to its
endpoints), and reading a request's body within a limit."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from starlette.requests import Request

from lapor_gateway.evidence import GatewayEvidence
from lapor_gateway.reporter_actions import ReporterActions
from lapor_gateway.settings import AdapterSettings
from lapor_gateway.submissions import SubmissionGateway
from lapor_gateway.wakeups import AnswerBoard, AnswerListener
from lapor_shared.http_guard import check_fields
from lapor_shared.runtime import Runtime


@dataclass
class AdapterContext:
    runtime: Runtime
    settings: AdapterSettings
    board: AnswerBoard
    gateway: SubmissionGateway
    listener: AnswerListener
    actions: ReporterActions
    reporter_hash_key: str
    """``LAPOR_REPORTER_HASH_KEY``: an SMS sender's number is hashed with it to be compared with the reporter's."""
    evidence: GatewayEvidence
    """Files people attach: the store, the upload helper, the link signer (``evidence``)."""

    @property
    def pool(self) -> asyncpg.Pool:
        """Public HTTP's own pool (statement timeout), never the consumers'."""
        return self.runtime.http_pool


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or BodyTooLarge without reading more than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


async def read_form(request: Request, limit: int) -> tuple[bytes, Request]:
    """The body (at most ``limit`` bytes) and a request that replays it, so ``await .form()`` works."""
    body = await read_body(request, limit)

    async def replay() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    return body, Request(request.scope, replay)


async def form_fields(request: Request, limit: int) -> dict[str, str]:
    """The text fields of a form, URL-encoded or multipart (the last value of a repeated name).

    BodyTooLarge past ``limit``; ``Refusal`` (``lapor_shared.http_errors``) when a name or value holds a
    control character or a text-direction override (the guard checks URL-encoded forms before, a
    multipart form only parses here)."""
    _, replay = await read_form(request, limit)
    pairs = [(k, v) for k, v in (await replay.form()).multi_items() if isinstance(v, str)]
    refusal = check_fields(pairs, "body")
    if refusal is not None:
        raise refusal
    return dict(pairs)
