"""Intake's SQL for accepting submissions, a run of them at a time (issue 17): what the acceptance checks
read, the complaints, the reporters' activity and their contacts, one statement each for a whole run
(``service.accept_submissions`` cuts the run where one submission must see an earlier one's rows).

Every function runs inside the caller's transaction, the reporters' advisory locks held
(``repository.lock_identity``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lapor_shared.db import Conn

_SHARDS = 16
"""Rows a channel's window is counted in: each connection its own (backend pid modulo this), so concurrent
transactions of one channel never wait for one another's counter."""
_WINDOW_START = "to_timestamp(floor(extract(epoch FROM now()) / {window}) * {window})"
"""The start of the fixed window (of ``{window}`` seconds) that the transaction's time falls in."""


@dataclass(frozen=True, slots=True)
class Ask:
    """One submission's part of the admission read."""

    channel: str
    channel_message_id: str
    hashes: Sequence[bytes]
    """The reporter's identity hashes (none for a submission without contact details)."""
    text_fingerprint: str | None


@dataclass(frozen=True, slots=True)
class Admission:
    """What intake reads before it accepts a submission (the reporter's lock held)."""

    already_made: bool
    """This channel message already made a complaint."""
    reporter_recent: int
    """Accepted complaints of this reporter (any of its hashes) in the reporter window; 0 without hashes."""
    channel_recent: int
    """Accepted complaints of this channel in the sliding channel window (from the window counters)."""
    similar: UUID | None
    """The reporter's recent complaint whose text is most similar (pg_trgm), if at least the threshold."""


async def admissions(
    conn: Conn, asks: Sequence[Ask], *, reporter_window_s: int, channel_window_s: int, duplicate_window_s: int,
    similarity: float,
) -> list[Admission]:
    """Everything the acceptance checks read, for each of ``asks`` (in its order), in one round trip.

    The reporter count reads ``reporter_activity (identity_hash, accepted_at)``; the channel count reads
    the channel's counters of this window and the one before, the earlier one weighed by how much of it
    still lies within the sliding window (rounded up: a limit never lets through more than it says); the
    duplicate look-up reads the same activity index over its own window (``tools/bench_history.py``
    times it against a growing history). Each submission is read as if alone: one that must see another
    of the same run (the same reporter, the same channel message) has to be read after that one is written.

    Each part is read once for the whole run and joined to its submissions (the reporters' activity once per
    hash, the channel's counters once per channel), not once per submission: read per submission, a run of n
    submissions scanned the run's n hashes n times over (100 ms for a run of 80 at a burst, issue 17). The
    look-ups by hash and by channel message are LATERAL with ``OFFSET 0``, so that they stay index look-ups
    whatever the planner guesses of a run's length (joined plainly, a run of 100 was planned as a scan of every
    activity row and every complaint).
    """
    if not asks:
        return []
    owners = [i for i, ask in enumerate(asks) for _ in ask.hashes]
    hashes = [h for ask in asks for h in ask.hashes]
    rows = await conn.fetch(
        f"""
        WITH s AS (
            SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])
                AS s(ord, channel, channel_message_id, fingerprint)
        ), h AS (
            SELECT * FROM unnest($5::int[], $6::bytea[]) AS h(ord, identity_hash)
        ), activity AS (
            SELECT DISTINCT h.ord, a.complaint_id,
                   a.accepted_at >= now() - make_interval(secs => $7) AS in_reporter_window,
                   a.accepted_at >= now() - make_interval(secs => $9) AS in_duplicate_window
            FROM h CROSS JOIN LATERAL (
                SELECT a.complaint_id, a.accepted_at FROM reporter_activity AS a
                WHERE a.identity_hash = h.identity_hash
                  AND a.accepted_at >= now() - make_interval(secs => greatest($7::float8, $9::float8))
                OFFSET 0
            ) AS a
        ), reporter AS (
            SELECT ord, count(DISTINCT complaint_id) FILTER (WHERE in_reporter_window) AS recent
            FROM activity GROUP BY ord
        ), alike AS (
            SELECT DISTINCT ON (s.ord) s.ord, c.complaint_id
            FROM s JOIN activity AS a USING (ord) JOIN complaints AS c USING (complaint_id)
            WHERE a.in_duplicate_window AND s.fingerprint IS NOT NULL AND c.text_fingerprint IS NOT NULL
              AND similarity(c.text_fingerprint, s.fingerprint) >= $10
            ORDER BY s.ord, similarity(c.text_fingerprint, s.fingerprint) DESC, c.accepted_at DESC
        ), channel AS (
            SELECT ch.channel,
                   coalesce(sum(c.accepted) FILTER (WHERE c.window_start = w.start), 0)
                   + ceil(coalesce(sum(c.accepted) FILTER (WHERE c.window_start < w.start), 0)
                          * (1 - extract(epoch FROM now() - w.start) / $8))::bigint AS recent
            FROM (SELECT DISTINCT channel FROM s) AS ch
            CROSS JOIN (SELECT {_WINDOW_START.format(window="$8")} AS start) AS w
            LEFT JOIN channel_counts AS c
                ON c.channel = ch.channel AND c.window_start >= w.start - make_interval(secs => $8)
            GROUP BY ch.channel, w.start
        )
        SELECT
            s.ord,
            made.complaint_id IS NOT NULL AS already_made,
            coalesce(reporter.recent, 0) AS reporter_recent,
            channel.recent AS channel_recent,
            alike.complaint_id AS similar
        FROM s
        LEFT JOIN LATERAL (
            SELECT c.complaint_id FROM complaints AS c
            WHERE c.channel = s.channel AND c.channel_message_id = s.channel_message_id
            OFFSET 0
        ) AS made ON true
        LEFT JOIN reporter USING (ord)
        LEFT JOIN alike USING (ord)
        LEFT JOIN channel USING (channel)
        ORDER BY s.ord
        """,
        list(range(len(asks))), [a.channel for a in asks], [a.channel_message_id for a in asks],
        [a.text_fingerprint or None for a in asks], owners, hashes, float(reporter_window_s),
        float(channel_window_s), float(duplicate_window_s), similarity,
    )
    return [Admission(r["already_made"], int(r["reporter_recent"]), int(r["channel_recent"]), r["similar"])
            for r in rows]


async def admission(
    conn: Conn, *, channel: str, channel_message_id: str, hashes: list[bytes], reporter_window_s: int,
    channel_window_s: int, duplicate_window_s: int, text_fingerprint: str | None, similarity: float,
) -> Admission:
    """``admissions`` for one submission."""
    [facts] = await admissions(
        conn, [Ask(channel, channel_message_id, hashes, text_fingerprint)], reporter_window_s=reporter_window_s,
        channel_window_s=channel_window_s, duplicate_window_s=duplicate_window_s, similarity=similarity,
    )
    return facts


@dataclass(frozen=True, slots=True)
class NewComplaint:
    """A complaint's row, but for its tracking number (drawn at insert: ``tracking.insert_numbered``)."""

    complaint_id: UUID
    channel: str
    channel_message_id: str
    report_type: str
    title: str
    region_code: str | None
    anonymous: bool
    confidential: bool
    reporter_ref: UUID | None
    submitted_at: datetime
    text_fingerprint: str | None
    possible_duplicate_of: UUID | None
    submission_event_id: UUID | None


async def insert_complaints(
    conn: Conn, rows: Sequence[NewComplaint], numbers: Sequence[str], *, channel_window_s: int,
) -> set[UUID]:
    """Store new complaints (each under its tracking number, ``numbers`` in the order of ``rows``) and count
    them in their channels' windows (``channel_counts``, this connection's shard), in one statement; the
    ids of those stored. One a UNIQUE constraint skipped is neither stored nor counted: its channel message
    already made a complaint, or (once in 2^60) its tracking number is taken (``tracking.insert_numbered``
    tells which).

    A concurrent transaction inserting the same channel message makes this wait for it; if it commits,
    this one skips that row (the UNIQUE constraint decides the race). Rows go in in channel-message order,
    so two transactions inserting some of the same messages wait for each other in one direction only.
    """
    if not rows:
        return set()
    rows, numbers = zip(*sorted(zip(rows, numbers, strict=True),
                                key=lambda pair: (pair[0].channel, pair[0].channel_message_id)), strict=True)
    made = await conn.fetch(
        f"""
        WITH made AS (
            INSERT INTO complaints (complaint_id, tracking_number, channel, channel_message_id, report_type,
                                    title, region_code, anonymous, confidential, reporter_ref, submitted_at,
                                    text_fingerprint, possible_duplicate_of, submission_event_id)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                 $7::text[], $8::bool[], $9::bool[], $10::uuid[], $11::timestamptz[],
                                 $12::text[], $13::uuid[], $14::uuid[])
            ON CONFLICT DO NOTHING
            RETURNING complaint_id, channel
        ), counted AS (
            INSERT INTO channel_counts (channel, window_start, shard, accepted)
            SELECT channel, {_WINDOW_START.format(window="$15")}, pg_backend_pid() % {_SHARDS}, count(*)
            FROM made GROUP BY channel
            ON CONFLICT (channel, window_start, shard)
            DO UPDATE SET accepted = channel_counts.accepted + EXCLUDED.accepted
        )
        SELECT complaint_id FROM made
        """,
        [r.complaint_id for r in rows], list(numbers), [r.channel for r in rows],
        [r.channel_message_id for r in rows], [r.report_type for r in rows], [r.title for r in rows],
        [r.region_code for r in rows], [r.anonymous for r in rows], [r.confidential for r in rows],
        [r.reporter_ref for r in rows], [r.submitted_at for r in rows], [r.text_fingerprint for r in rows],
        [r.possible_duplicate_of for r in rows], [r.submission_event_id for r in rows], float(channel_window_s),
    )
    return {r["complaint_id"] for r in made}


async def already_made(conn: Conn, messages: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (channel, channel message id) already made a complaint."""
    rows = await conn.fetch(
        "SELECT c.channel, c.channel_message_id FROM complaints AS c"
        " JOIN unnest($1::text[], $2::text[]) AS m(channel, channel_message_id) USING (channel, channel_message_id)",
        [m[0] for m in messages], [m[1] for m in messages],
    )
    return {(r["channel"], r["channel_message_id"]) for r in rows}


@dataclass(frozen=True, slots=True)
class NewReporter:
    """A reporter's contact details (kept here and nowhere else) with the keyed hashes of its identity."""

    reporter_ref: UUID
    name: str | None
    phone: str | None
    email: str | None
    phone_hash: bytes | None
    email_hash: bytes | None


_RECORD_MADE = """
WITH activity AS (
    INSERT INTO reporter_activity (identity_hash, accepted_at, complaint_id)
    SELECT h, now(), c FROM unnest($1::bytea[], $2::uuid[]) AS a(h, c)
    ON CONFLICT DO NOTHING
)
INSERT INTO reporters (reporter_ref, name, phone, email, phone_hash, email_hash)
SELECT * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[])
"""


async def record_made(conn: Conn, hashes: Sequence[bytes], complaint_ids: Sequence[UUID],
                      reporters: Sequence[NewReporter]) -> None:
    """What the complaints just made leave behind, in one statement (a round trip fewer per batch, issue 17):
    each (identity hash, complaint) pair, accepted now, and the reporters' contact details."""
    if hashes or reporters:
        await conn.execute(
            _RECORD_MADE, list(hashes), list(complaint_ids),
            [r.reporter_ref for r in reporters], [r.name for r in reporters], [r.phone for r in reporters],
            [r.email for r in reporters], [r.phone_hash for r in reporters], [r.email_hash for r in reporters],
        )
