"""Intake takes a run of events at once (issue 17): a run of placements in one statement, with the same
outcome as one by one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest

from lapor_intake import service
from lapor_shared.consumer import Tx
from lapor_shared.testing.factories import agency_ref, complaint_routed, routed_envelope, submitted_envelope
from lapor_shared.testing.records import record
from lapor_shared.testing.statements import CountingConnection

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def counted(use_case: Callable[[Sequence[Tx]], Awaitable[None]], statements: list[str]) -> Callable[..., Any]:
    """A ``Batch`` use case with every statement it sends written down in ``statements``."""

    async def wrapped(txs: Sequence[Tx]) -> None:
        for tx in txs:
            tx.conn = CountingConnection(tx.conn, statements)  # type: ignore[assignment]
        await use_case(txs)

    return wrapped


def placement(result: dict[str, Any], code: str) -> Any:
    agency = agency_ref(agency_id=f"umum.{code}", jurisdiction_code=code)
    return routed_envelope(complaint_routed(agency=agency), complaint_id=result["complaint_id"],
                           tracking_number=result["tracking_number"])


async def test_a_run_of_placements_is_noted_in_one_statement_and_a_complaints_last_placement_wins(
    intake, monkeypatch,
):
    statements: list[str] = []
    monkeypatch.setattr(service, "note_jurisdictions", counted(service.note_jurisdictions, statements))
    first, second = submitted_envelope(), submitted_envelope()
    async with intake() as h:
        await h.submit(first, second)
        a, b = await h.answered(first, second)
        run = [placement(a, "18.71"), placement(b, "18"), placement(a, "19.01")]
        await h.consumer("intake.placements").handle_batch([record(e) for e in run])
        rows = await h.sql("SELECT complaint_id, jurisdiction_code FROM complaints")

    assert {str(r["complaint_id"]): r["jurisdiction_code"] for r in rows} == {
        a["complaint_id"]: "19.01", b["complaint_id"]: "18"}
    assert len(statements) == 1, statements
