"""The inbox: which messages a consumer has processed, recorded in the same transaction as the effect.

Each row also keeps a digest of the envelope it recorded. A message whose event id is already in the
inbox is a redelivery when its digest matches, and a *conflict* when it does not: someone reused an
event id for another body, which is dead-lettered rather than silently skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lapor_shared.db import Conn
from lapor_shared.events import Envelope, encode


def digest_of(envelope: Envelope[Any]) -> bytes:
    """16 bytes of SHA-256 over the canonical encoding (whitespace and unknown fields do not count)."""
    return hashlib.sha256(encode(envelope)).digest()[:16]


@dataclass
class Claims:
    """What ``claim_many`` found: ids recorded now, and ids recorded before with another digest."""

    fresh: set[str] = field(default_factory=set)
    conflicts: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class InboxRows:
    """The message ids a consumer's batch took effect for (each once, with its digest or None), to be
    recorded by the statement that writes the batch's outbox rows (``Outbox.add_many``): the claim last,
    not first, one round trip fewer per batch (issue 17)."""

    consumer: str
    message_ids: Sequence[str]
    digests: Sequence[bytes | None]


def recording(first: int) -> str:
    """The statement that records a consumer's message ids with their digests (those recorded before are
    left as they were) and returns the ids recorded now; its parameters, numbered from ``first``: the
    consumer, the ids, the digests. ``Outbox.add_many`` makes it part of its own statement."""
    return (f"INSERT INTO inbox (consumer, message_id, digest) SELECT ${first}, m, d"
            f" FROM unnest(${first + 1}::text[], ${first + 2}::bytea[]) AS t (m, d)"
            " ON CONFLICT DO NOTHING RETURNING message_id")


_RECORD = recording(1)
_RECORD_COUNTED = f"WITH claimed AS ({_RECORD}) SELECT count(*) FROM claimed"


async def record_all(conn: Conn, rows: InboxRows) -> bool:
    """Record every id of ``rows``; False when any was recorded before (the caller rolls back)."""
    recorded = await conn.fetchval(_RECORD_COUNTED, rows.consumer, list(rows.message_ids), list(rows.digests))
    return bool(recorded == len(rows.message_ids))


async def claim_many(
    conn: Conn, consumer: str, message_ids: Sequence[str], digests: Sequence[bytes | None] | None = None,
) -> Claims:
    """Record many message ids at once (with their digests, when known)."""
    digests = list(digests) if digests is not None else [None] * len(message_ids)
    rows = await conn.fetch(_RECORD, consumer, list(message_ids), digests)
    claims = Claims(fresh={r["message_id"] for r in rows})
    seen = {m: d for m, d in zip(message_ids, digests, strict=True) if m not in claims.fresh and d is not None}
    if seen:  # only on redelivery: did the earlier body say the same?
        before = await conn.fetch(
            "SELECT message_id, digest FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])",
            consumer, list(seen),
        )
        claims.conflicts = {
            r["message_id"] for r in before if r["digest"] is not None and bytes(r["digest"]) != seen[r["message_id"]]
        }
    return claims


async def claim(conn: Conn, consumer: str, message_id: str, digest: bytes | None = None) -> bool:
    """Record ``message_id`` as processed by ``consumer``; False when it already was."""
    return message_id in (await claim_many(conn, consumer, [message_id], [digest])).fresh
