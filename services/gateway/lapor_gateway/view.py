"""The ``gateway.view`` consumer's use case: a run of ``lapor.complaints`` events applied to the public
view (``projection``) and the reporter's view (``timeline``) with a few set-based statements, not a few
per event (issue 17).

The run is taken in rounds: round k holds each complaint's k-th event of the run, so a round names every
complaint at most once and its rows take one statement per kind of row (``projection.ViewChanges``, and
one per shape of ``reporter_repository.CaseChange``). One complaint's events keep their order, round
after round; different complaints' rows are different rows, so taking them in another order changes
nothing: the result is the one the events would give one at a time (``tests/test_view_batch.py``). The
rounds are as many as the most events one complaint has in the run, whatever the number of complaints.

The reporter's less common events (a response, a hold, a reopening, the outcomes of reporter commands…)
read the case or wake a waiting request: each still takes its own statements, in its round.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lapor_gateway import projection
from lapor_gateway import reporter_repository as rrepo
from lapor_gateway.timeline import Timeline
from lapor_shared.consumer import Tx


class View:
    """``handle`` is the ``Batch`` use case of ``gateway.view``."""

    def __init__(self, reporter: Timeline) -> None:
        self._changes = reporter.changes
        self._handlers = reporter.handlers

    @property
    def event_types(self) -> set[type[Any]]:
        return {*projection.CHANGES, *self._changes, *self._handlers}

    async def handle(self, txs: Sequence[Tx]) -> None:
        for round_ in rounds(txs):
            await self._apply(round_)

    async def _apply(self, txs: Sequence[Tx]) -> None:
        public = projection.ViewChanges()
        cases: list[rrepo.CaseChange] = []
        for tx in txs:
            envelope = tx.event
            type_ = type(envelope.payload)
            if (change := projection.CHANGES.get(type_)) is not None:
                change(public, envelope)
            if (case := self._changes.get(type_)) is not None:
                if envelope.complaint_id is not None:  # every lifecycle event has one; skip a malformed one
                    cases.append(case(envelope))
            elif (handler := self._handlers.get(type_)) is not None:
                with tx.scope():
                    await handler(tx, envelope)
        if txs:
            conn = txs[0].conn
            await public.apply(conn)
            await rrepo.change_cases(conn, cases)


def rounds(txs: Sequence[Tx]) -> list[list[Tx]]:
    """``txs`` in rounds: the k-th round holds each complaint's k-th event, in the run's order (an event
    naming no complaint is a round 0 of its own). Not ``lapor_shared.runs.segments``: a round gathers
    events from the whole run, so there are as many rounds as one complaint's most events, where
    consecutive segments would start one more at every repeat."""
    seen: dict[Any, int] = {}
    out: list[list[Tx]] = []
    for index, tx in enumerate(txs):
        complaint_id = tx.event.complaint_id
        key = complaint_id if complaint_id is not None else ("none", index)
        k = seen.get(key, 0)
        seen[key] = k + 1
        if k == len(out):
            out.append([])
        out[k].append(tx)
    return out
