"""Tracking numbers: typable, self-checking, unique under concurrency (finding a complaint by a loosely
typed number is the gateway's: services/gateway/tests/test_http_api.py)."""

from __future__ import annotations

import asyncio
import random

import pytest

from lapor_intake import service, tracking
from lapor_intake.app import build
from lapor_intake.settings import IntakeSettings
from lapor_shared.consumer import Tx
from lapor_shared.outbox import Outbox
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.testing.service import in_memory

SAMPLE_VALUES = [1, 2, 3, 37, 1_000, 123_456, 2**40 - 1, *random.Random(7).sample(range(1, 2**40), 200)]


def _symbols(number: str) -> str:
    return number.replace("-", "")[len(tracking.PREFIX):]


def _typed(symbols: str) -> str:
    return f"{tracking.PREFIX}-{symbols[:4]}-{symbols[4:]}"


@pytest.mark.unit
def test_every_tracking_number_is_its_own_canonical_form():
    for value in SAMPLE_VALUES:
        number = tracking.encode(value)
        assert tracking.normalise(number) == number
        assert len(_symbols(number)) == 9


@pytest.mark.unit
def test_consecutive_complaints_do_not_get_look_alike_numbers():
    a, b = _symbols(tracking.encode(1000)), _symbols(tracking.encode(1001))

    assert sum(x == y for x, y in zip(a, b, strict=True)) < 6


@pytest.mark.unit
def test_a_single_mistyped_symbol_is_always_caught():
    for value in SAMPLE_VALUES:
        symbols = _symbols(tracking.encode(value))
        for position, original in enumerate(symbols):
            alphabet = tracking.CHECK_ALPHABET if position == 8 else tracking.ALPHABET
            for typo in alphabet:
                if typo == original:
                    continue
                with pytest.raises(tracking.InvalidTrackingNumber):
                    tracking.normalise(_typed(symbols[:position] + typo + symbols[position + 1:]))


@pytest.mark.unit
def test_two_swapped_neighbours_are_always_caught():
    for value in SAMPLE_VALUES:
        symbols = _symbols(tracking.encode(value))
        for i in range(len(symbols) - 1):
            if symbols[i] == symbols[i + 1]:
                continue
            swapped = symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2:]
            with pytest.raises(tracking.InvalidTrackingNumber) as caught:
                tracking.normalise(_typed(swapped))
            assert caught.value.reason.code == "invalid_tracking_number"
            assert caught.value.reason.message_id and caught.value.reason.message_en


@pytest.mark.unit
def test_case_dashes_spaces_and_look_alike_letters_are_forgiven():
    number = tracking.encode(424242)
    loose = number.lower().replace("-", " ").replace("0", "o").replace("1", "l")

    assert tracking.normalise(loose) == number
    assert tracking.normalise(_symbols(number)) == number


@pytest.mark.integration
@pytest.mark.timeout(180)
async def test_five_hundred_acceptances_over_eight_connections_get_unique_valid_numbers(database_url):
    settings = IntakeSettings(database_url=database_url, db_pool_max_size=10)
    ctx = service.Context.from_settings(settings)
    queue: asyncio.Queue = asyncio.Queue()
    for _ in range(500):
        queue.put_nowait(submitted_envelope(complaint_submitted(reporter=None)))
    runtime = build(settings).runtime
    async with in_memory(runtime):
        pool = runtime.pool

        async def worker() -> None:
            async with pool.acquire() as conn:
                while not queue.empty():
                    envelope = queue.get_nowait()
                    async with conn.transaction():
                        await service.accept_submission(Tx(conn, Outbox(), "intake", envelope), envelope,
                                                        ctx=ctx)

        await asyncio.gather(*(worker() for _ in range(8)))
        numbers = [r["tracking_number"] for r in await pool.fetch("SELECT tracking_number FROM complaints")]

    assert len(numbers) == 500
    assert len(set(numbers)) == 500
    assert all(tracking.normalise(n) == n for n in numbers)
