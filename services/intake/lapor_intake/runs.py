"""Cutting a run of submissions into segments that can each be accepted set-based (issue 17).

A segment's submissions are read together (``admission.admissions``) and written together, so none of them
may need to see another's rows: within a segment no two share an identity hash (the same reporter: its rate
limit and its duplicate look-up read its earlier complaints) or a channel message (the second one of a
message finds the first one's complaint). A submission that would is the start of the next segment, read
after the earlier ones are written, as one by one. Submissions of one channel share a segment: the
channel's count adds those accepted earlier in the segment (``service.accept_submissions``), exactly what
its counter would have said.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from lapor_intake.contacts import Identity
from lapor_shared.consumer import Tx
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Reason, ReporterContact


@dataclass(eq=False)
class Candidate:
    """A submission that passed validation, with what its acceptance needs."""

    tx: Tx
    submission: ComplaintSubmitted
    contact: ReporterContact | None
    identity: Identity
    title: str
    description: str
    fingerprint: str
    complaint_id: UUID = field(default_factory=uuid4)
    reporter_ref: UUID | None = None
    similar: UUID | None = None

    @property
    def channel(self) -> str:
        return str(self.submission.channel)

    @property
    def message(self) -> tuple[str, str]:
        return self.channel, self.submission.channel_message_id

    @property
    def event_id(self) -> UUID:
        return self.tx.event.event_id


@dataclass(eq=False)
class Refused:
    """A submission that failed validation: rejected with these problems, as one by one."""

    tx: Tx
    channel: str
    channel_message_id: str
    problems: list[Reason]


def segments(items: Sequence[Candidate | Refused]) -> Iterator[list[Candidate] | Refused]:
    """The run in its order: segments of candidates that need not see one another's rows, and each refused
    submission on its own (the candidates before it are accepted first, so its answer comes after theirs).
    Not ``lapor_shared.runs.segments``: a candidate has several keys (its identity hashes and its message),
    any of which met again starts a segment, and a refused submission stands alone."""
    segment: list[Candidate] = []
    hashes: set[bytes] = set()
    messages: set[tuple[str, str]] = set()
    for item in items:
        if isinstance(item, Refused) or item.message in messages or hashes.intersection(item.identity.hashes):
            if segment:
                yield segment
            segment, hashes, messages = [], set(), set()
            if isinstance(item, Refused):
                yield item
                continue
        segment.append(item)
        hashes.update(item.identity.hashes)
        messages.add(item.message)
    if segment:
        yield segment
