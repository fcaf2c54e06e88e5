"""Intake takes a run of events at once (issue 17): a run of submissions in a few statements, a run of
placements in one, with the same outcome as one by one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import pytest

from lapor_intake import service
from lapor_intake.app import build
from lapor_intake.settings import IntakeSettings
from lapor_shared.consumer import Tx
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import (
    agency_ref,
    complaint_routed,
    complaint_submitted,
    routed_envelope,
    submitted_envelope,
)
from lapor_shared.testing.records import record
from lapor_shared.testing.service import ServiceHarness
from lapor_shared.testing.statements import CountingConnection
from lapor_shared.topics import SUBMISSION_RESULTS, SUBMISSIONS

from .conftest import WATCHED, IntakeHarness

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


# --- a run of submissions ------------------------------------------------------------------------------

def mixed_run() -> list[Any]:
    """One reporter three times (the second a near-duplicate of the first, the third over its limit of 2),
    another reporter, a channel message sent again, an anonymous reporter, a refused submission, and a
    submission without contact."""
    phone = ReporterContact(phone="0812-5555-0101")
    first = submitted_envelope(complaint_submitted(reporter=phone))
    other = submitted_envelope(complaint_submitted(reporter=ReporterContact(email="lain@contoh.id")))
    duplicate = submitted_envelope(complaint_submitted(reporter=ReporterContact(phone="+6281255550101")))
    again = submitted_envelope(first.payload)  # the same channel message, another event
    over = submitted_envelope(complaint_submitted(reporter=phone, title="Laporan ketiga"))
    anonymous = submitted_envelope(complaint_submitted(anonymous=True))
    refused = submitted_envelope(complaint_submitted(title=""))
    without_contact = submitted_envelope(complaint_submitted(reporter=None))
    return [first, other, duplicate, again, over, anonymous, refused, without_contact]


def channel_run() -> list[Any]:
    """Three reporters of one channel whose limit is 2: the third is refused by the two before it."""
    return [submitted_envelope() for _ in range(3)]


def resent_run() -> list[Any]:
    """A message without contact sent twice in a row, then two others, on a channel whose limit is 3: the
    re-sent one makes no complaint, so it leaves room for both others."""
    first = submitted_envelope(complaint_submitted(reporter=None))
    return [first, submitted_envelope(first.payload), submitted_envelope(), submitted_envelope()]


ACCEPTED, REJECTED = "submission.accepted", "complaint.rejected"
STORIES = {
    "mixed": (mixed_run, {"reporter_rate_limit": 2}, [ACCEPTED] * 3 + [REJECTED, ACCEPTED, REJECTED, ACCEPTED]),
    "channel": (channel_run, {"channel_rate_limit": 2}, [ACCEPTED, ACCEPTED, REJECTED]),
    "resent": (resent_run, {"channel_rate_limit": 3}, [ACCEPTED] * 3),
}


_GENERATED = {"complaint_id", "tracking_number", "reporter_ref", "reporter_key", "ciphertext", "key_ciphertext"}


def _payload(payload: dict[str, Any]) -> dict[str, Any]:
    same = {k: v for k, v in payload.items() if k not in _GENERATED}
    same["possible_duplicate_of"] = payload.get("possible_duplicate_of") is not None
    return same


async def accepted_state(h: IntakeHarness) -> dict[str, Any]:
    """What the run left: rows (ids replaced by the channel messages they belong to) and events in order."""
    await ServiceHarness.settle(h)
    return {
        "complaints": [tuple(r) for r in await h.sql(
            "SELECT c.channel, c.channel_message_id, c.title, c.region_code, c.anonymous, c.confidential,"
            " c.reporter_ref IS NOT NULL, c.text_fingerprint, d.channel_message_id, c.submission_event_id"
            " FROM complaints AS c LEFT JOIN complaints AS d ON d.complaint_id = c.possible_duplicate_of"
            " ORDER BY c.channel_message_id")],
        "reporters": [tuple(r) for r in await h.sql(
            "SELECT c.channel_message_id, r.name, r.phone, r.email, r.phone_hash, r.email_hash"
            " FROM reporters AS r LEFT JOIN complaints AS c USING (reporter_ref) ORDER BY 1")],
        "activity": [tuple(r) for r in await h.sql(
            "SELECT a.identity_hash, c.channel_message_id FROM reporter_activity AS a"
            " LEFT JOIN complaints AS c USING (complaint_id) ORDER BY 2, 1")],
        "channel_counts": [tuple(r) for r in await h.sql(
            "SELECT channel, sum(accepted) FROM channel_counts GROUP BY channel ORDER BY channel")],
        "rejections": [tuple(r) for r in await h.sql(
            "SELECT channel_message_id, reasons::text, times FROM rejections ORDER BY channel_message_id")],
        "events": {topic: [(m["event_type"], m.get("jurisdiction_code"), _payload(m["payload"]))
                           for m in h.messages(topic)] for topic in WATCHED},
    }


def counted_runs(monkeypatch: pytest.MonkeyPatch, statements: list[str], runs: list[int]) -> None:
    """Intakes built from now on count what their submission runs send, and the length of each run."""
    original = service.accept_submissions

    async def accept(txs: Sequence[Tx], **kwargs: Any) -> None:
        runs.append(len(txs))
        await counted(partial(original, **kwargs), statements)(txs)

    monkeypatch.setattr(service, "accept_submissions", accept)


@pytest.mark.parametrize("name", list(STORIES))
async def test_a_run_of_submissions_is_accepted_as_one_by_one(name, intake, infra, monkeypatch):
    make, settings, answers = STORIES[name]
    story = make()
    async with intake(**settings) as h:
        for event in story:
            await h.consumer().handle_batch([record(event, topic=SUBMISSIONS.name)])
        expected = await accepted_state(h)

    statements: list[str] = []
    runs: list[int] = []
    counted_runs(monkeypatch, statements, runs)
    app = build(IntakeSettings(database_url=await infra.new_database(), **settings))
    async with IntakeHarness(app.runtime) as batched:
        await batched.consumer().handle_batch([record(event, topic=SUBMISSIONS.name) for event in story])
        got = await accepted_state(batched)

    assert runs == [len(story)], "the run was taken at once, not one by one after a failure"
    assert got == expected
    assert [m[0] for m in expected["events"][SUBMISSION_RESULTS.name]] == answers


async def test_a_run_of_distinct_reporters_costs_the_same_few_statements_whatever_its_length(
    intake, monkeypatch,
):
    statements: list[str] = []
    runs: list[int] = []
    counted_runs(monkeypatch, statements, runs)
    counts = []
    async with intake() as h:
        for size in (2, 10):
            statements.clear()
            run = [submitted_envelope() for _ in range(size)]
            await h.consumer().handle_batch([record(event, topic=SUBMISSIONS.name) for event in run])
            counts.append(len(statements))
        stored = await h.sql("SELECT count(*) AS n FROM complaints")

    assert stored[0]["n"] == 12 and runs == [2, 10]
    assert counts == [4, 4], statements  # locks, admission reads, complaints, activity with reporters
