"""The reporter's commands (reply, rate, reopen), published on ``lapor.commands.reporter`` once the
reporter proved who they are (``reporters.py``), then their outcome as followup decides it.

The command's row (``reporter_actions``) and its outbox row are written in one transaction, so a command
is published if and only if it is recorded; the outcome comes back on ``lapor.complaints``
(``timeline.py``) and wakes the waiting request like intake's answers do (``wakeups``). Each command's
id is derived from the client's own key for it (the form's nonce, the API's ``Idempotency-Key``, the
SMS message id): sending it twice publishes it once and answers with the same outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID, uuid5

from pydantic import ValidationError

from lapor_gateway import reporter_repository as rrepo
from lapor_gateway.contract import reason, reasons_of
from lapor_gateway.reporters import Reporter
from lapor_gateway.settings import AdapterSettings
from lapor_gateway.wakeups import AnswerBoard
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.commands import RateHandling, ReopenComplaint, ReplyToResponse
from lapor_shared.events.values import unsafe_link_reasons
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="gateway.reporter_actions")

Action = Literal["reply", "rate", "reopen"]
COMMANDS: dict[str, type[Payload]] = {"reply": ReplyToResponse, "rate": RateHandling, "reopen": ReopenComplaint}
_NAMESPACE = UUID("6f0c5b8e-2a51-4c1e-9d0b-1a7e3c2f4b60")
WAKE = "action"
"""The wake-up channel (``AnswerBoard``) of reporter commands, beside the channels' submissions."""


class ActionProblem(ValueError):
    """The request cannot become a command; ``reasons`` say why (ID and EN)."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(r["message_en"] for r in reasons))
        self.reasons = reasons


class ActionConflict(Exception):
    """The client's key for this command was already used for a different command."""


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    command_id: UUID
    command_type: str
    status: Literal["pending", "accepted", "rejected"]
    reasons: list[dict[str, Any]] = field(default_factory=list)


def build(action: str, fields: dict[str, Any]) -> Payload:
    """The command for ``action`` from what the reporter sent, or ``ActionProblem``."""
    command_type = COMMANDS.get(action)
    if command_type is None:
        raise ActionProblem([reason("unknown_action", "action", "Tindakan tidak dikenal.", "Unknown action.")])
    data = dict(fields)
    if action == "reopen" and not str(data.get("reason") or "").strip():
        raise ActionProblem([reason("reason_required", "reason", "Tuliskan alasan membuka kembali laporan.",
                                    "Say why the complaint should be reopened.")])
    for name in ("text", "reason", "comment"):
        if isinstance(data.get(name), str):
            data[name] = data[name].strip() or None
    try:
        command = command_type.model_validate(data)
    except ValidationError as exc:
        raise ActionProblem(reasons_of(exc)) from None
    if isinstance(command, ReplyToResponse) and (unsafe := unsafe_link_reasons(command.attachments)):
        raise ActionProblem([r.model_dump() for r in unsafe])
    return command


def command_id_for(source: str, complaint_id: UUID, client_key: str) -> UUID:
    return uuid5(_NAMESPACE, f"{source}:{complaint_id}:{client_key}")


def _fingerprint(command: Payload) -> str:
    content = {"type": command.event_type, **command.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ReporterActions:
    def __init__(self, runtime: Runtime, board: AnswerBoard, settings: AdapterSettings) -> None:
        self._runtime = runtime
        self._board = board
        self._settings = settings

    async def publish(
        self, reporter: Reporter, command: Payload, *, source: str, client_key: str, wait_s: float | None = None,
        reply_to: str | None = None, in_reply_to: str | None = None,
    ) -> ActionOutcome:
        """Record and publish ``command`` for ``reporter`` (once per client key), then wait up to ``wait_s``
        for its outcome."""
        command_id = command_id_for(source, reporter.complaint_id, client_key)
        fingerprint = _fingerprint(command)
        envelope = Envelope.new(command, producer=f"adapter-{source}", complaint_id=reporter.complaint_id,
                                tracking_number=reporter.tracking_number, event_id=command_id)
        async with self._runtime.http_pool.acquire() as conn, conn.transaction():
            inserted = await rrepo.insert_action(
                conn, command_id=command_id, complaint_id=reporter.complaint_id, command_type=command.event_type,
                source=source, fingerprint=fingerprint, reply_to=reply_to, in_reply_to=in_reply_to,
            )
            if inserted:
                await self._runtime.outbox.add(conn, envelope)
            else:
                known = await rrepo.action(conn, command_id)
                if known is None or known["fingerprint"] != fingerprint:
                    raise ActionConflict(str(command_id))
        if inserted:
            if self._runtime.relay is not None:
                self._runtime.relay.backlog_hint()
            log.info("reporter_command_published", command_type=command.event_type, source=source,
                     tracking_number=reporter.tracking_number)
        return await self.wait(command_id, wait_s)

    async def outcome(self, command_id: UUID, complaint_id: UUID | None = None) -> ActionOutcome | None:
        """The command's outcome as known now; None when there is no such command (of this complaint)."""
        row = await rrepo.action(self._runtime.http_pool, command_id)
        if row is None or (complaint_id is not None and row["complaint_id"] != complaint_id):
            return None
        reasons = [row["reason"]] if row["reason"] else []
        return ActionOutcome(row["command_id"], row["command_type"], row["outcome"], reasons)

    async def wait(self, command_id: UUID, wait_s: float | None = None) -> ActionOutcome:
        """The outcome, or the pending one once ``wait_s`` passed without it."""
        deadline = time.monotonic() + (self._settings.wait_s if wait_s is None else wait_s)
        with self._board.watch(WAKE, str(command_id)) as decided:
            while True:
                decided.clear()
                current = await self.outcome(command_id)
                if current is None:
                    raise LookupError(command_id)
                remaining = deadline - time.monotonic()
                if current.status != "pending" or remaining <= 0:
                    return current
                with contextlib.suppress(TimeoutError):  # woken by the outcome, else look again after recheck_s
                    await asyncio.wait_for(decided.wait(), timeout=min(remaining, self._settings.recheck_s))
