"""Submitting on behalf of a channel: publish ``complaint.submitted`` as any outside adapter would,
then wait a little for intake's answer.

Used by every HTTP channel (API, web form, Open311, SMS), so it reads and writes through public HTTP's
own pool (``Runtime.http_pool``). Idempotent per channel message: the same (channel,
channel_message_id) is published once and answered with the same outcome every time; re-using it for
different content is a conflict. The answer is the one the results consumer recorded in the gateway's
table; a request waits for it on the ``AnswerBoard``, which PostgreSQL's notification wakes on whichever
replica the request is (``wakeups``).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from datetime import UTC, datetime, timedelta

from lapor_gateway import reporter_repository as rrepo
from lapor_gateway import repository as repo
from lapor_gateway import service
from lapor_gateway.contract import Outcome, fingerprint
from lapor_gateway.settings import AdapterSettings
from lapor_gateway.wakeups import AnswerBoard
from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime
from lapor_shared.topics import SUBMISSIONS, key_of

log = get_logger(component="gateway.submissions")

REPUBLISH_AFTER = timedelta(seconds=30)
"""A submission still unanswered this long after it was first published is published again when the
client retries (intake ignores a channel message it already decided)."""


class IdempotencyConflict(Exception):
    """The channel message id was already used for a different submission."""


class PublishFailed(Exception):
    """The broker did not take the submission; nothing was recorded, the client may retry."""


class SubmissionGateway:
    def __init__(self, runtime: Runtime, board: AnswerBoard, settings: AdapterSettings) -> None:
        self._runtime = runtime
        self._board = board
        self._settings = settings

    async def submit(
        self, submission: ComplaintSubmitted, *, source: str, wait_s: float | None = None, reply_to: str | None = None
    ) -> Outcome:
        """Publish ``submission`` (once per channel message) and wait up to ``wait_s`` for the answer."""
        pool = self._runtime.http_pool
        channel, message_id = str(submission.channel), submission.channel_message_id
        content = fingerprint(submission)
        inserted = await self._insert(submission, source=source, fingerprint=content, reply_to=reply_to)
        if not inserted:
            known = await repo.get_submission(pool, channel, message_id)
            if known is None:  # forgotten after a failed publish, just now: treat as new
                return await self.submit(submission, source=source, wait_s=wait_s, reply_to=reply_to)
            if known["fingerprint"] != content:
                raise IdempotencyConflict(message_id)
            stale = known["published_at"] is None or known["published_at"] < datetime.now(UTC) - REPUBLISH_AFTER
            if known["outcome"] == "pending" and stale:
                await self._publish(submission, source)
                await repo.mark_published(pool, channel, message_id)
            return await self.wait(channel, message_id, wait_s)
        try:
            await self._publish(submission, source)
        except Exception as exc:
            await repo.forget_unpublished(pool, channel, message_id)
            log.warning("submission_publish_failed", channel=channel, error=repr(exc))
            raise PublishFailed(str(exc)) from exc
        await repo.mark_published(pool, channel, message_id)
        log.info("submission_published", channel=channel, source=source)
        return await self.wait(channel, message_id, wait_s)

    async def _insert(self, submission: ComplaintSubmitted, *, source: str, fingerprint: str,
                      reply_to: str | None) -> bool:
        async with self._runtime.http_pool.acquire() as conn, conn.transaction():
            return await service.record_submission(
                conn, channel=str(submission.channel), channel_message_id=submission.channel_message_id,
                source=source, poll_token=secrets.token_urlsafe(16), fingerprint=fingerprint, reply_to=reply_to,
                short_code=self._settings.sms_short_code,
            )

    async def _publish(self, submission: ComplaintSubmitted, source: str) -> None:
        envelope = Envelope.new(submission, producer=f"adapter-{source}")
        await self._runtime.broker.publish(
            encode(envelope), SUBMISSIONS.name, key=key_of(envelope, SUBMISSIONS.name), headers=headers_of(envelope),
        )

    async def outcome(self, channel: str, channel_message_id: str) -> Outcome | None:
        """The answer as the gateway knows it now (``pending`` until the results consumer recorded one)."""
        row = await repo.get_submission(self._runtime.http_pool, channel, channel_message_id)
        return Outcome.from_row(row) if row is not None else None

    async def take_reporter_key(self, outcome: Outcome) -> str | None:
        """The reporter's key of an accepted submission, the first time it is asked for; None after (it is
        shown once) and for any other outcome."""
        if outcome.status != "accepted":
            return None
        return await rrepo.take_reporter_key(self._runtime.http_pool, outcome.channel, outcome.channel_message_id)

    async def outcome_by_token(self, poll_token: str) -> Outcome | None:
        row = await repo.submission_by_token(self._runtime.http_pool, poll_token)
        if row is None:
            return None
        return await self.outcome(row["channel"], row["channel_message_id"])

    async def wait(self, channel: str, channel_message_id: str, wait_s: float | None = None) -> Outcome:
        """The answer, or the pending outcome once ``wait_s`` passed without one."""
        deadline = time.monotonic() + (self._settings.wait_s if wait_s is None else wait_s)
        with self._board.watch(channel, channel_message_id) as answered:
            while True:
                answered.clear()
                current = await self.outcome(channel, channel_message_id)
                if current is None:
                    raise LookupError(channel_message_id)
                remaining = deadline - time.monotonic()
                if current.status != "pending" or remaining <= 0:
                    return current
                # woken by the answer's notification, else read the table again after recheck_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(answered.wait(), timeout=min(remaining, self._settings.recheck_s))
