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
from lapor_shared.tracking import format_value, random_number

SAMPLE_NUMBERS = [format_value(v) for v in (0, 1, 37, 123_456, 2**60 - 1)] + [random_number() for _ in range(200)]
LEGACY_NUMBERS = [format_value(v, symbols=8) for v in (1, 37, 2**40 - 1, *random.Random(7).sample(range(2**40), 50))]


def _symbols(number: str) -> str:
    return number.replace("-", "")[len(tracking.PREFIX):]


def _typed(symbols: str) -> str:
    return f"{tracking.PREFIX}-{symbols[:4]}-{symbols[4:]}"


@pytest.mark.unit
def test_every_tracking_number_is_its_own_canonical_form_with_twelve_symbols_and_a_check():
    for number in SAMPLE_NUMBERS:
        assert tracking.normalise(number) == number
        assert len(_symbols(number)) == 13
        assert number.count("-") == 3


@pytest.mark.unit
def test_numbers_issued_in_the_old_forty_bit_format_stay_valid_in_their_own_form():
    for number in LEGACY_NUMBERS:
        assert tracking.normalise(number) == number
        assert tracking.normalise(_symbols(number).lower()) == number
        assert len(_symbols(number)) == 9


@pytest.mark.unit
def test_numbers_carry_sixty_random_bits_so_one_number_says_nothing_about_the_next():
    values = [_value(random_number()) for _ in range(4000)]

    assert len(set(values)) == len(values)
    assert max(values) < 2**60
    for bit in (0, 20, 40, 59):
        ones = sum(v >> bit & 1 for v in values)
        assert 1700 < ones < 2300, f"bit {bit} is set in {ones} of 4000 numbers"


@pytest.mark.unit
def test_a_number_is_issued_with_a_letter_or_digit_check_symbol_yet_one_written_with_a_crockford_sign_is_read():
    assert {random_number()[-1] for _ in range(2000)} <= set(tracking.ALPHABET + "U")
    signed = next(format_value(v) for v in range(1000) if format_value(v)[-1] in "*~$=")

    assert tracking.normalise(signed.lower()) == signed


def _value(number: str) -> int:
    value = 0
    for ch in _symbols(number)[:-1]:
        value = value * 32 + tracking.ALPHABET.index(ch)
    return value


@pytest.mark.unit
def test_a_single_mistyped_symbol_is_always_caught():
    for number in SAMPLE_NUMBERS[:40] + LEGACY_NUMBERS[:20]:
        symbols = _symbols(number)
        for position, original in enumerate(symbols):
            alphabet = tracking.CHECK_ALPHABET if position == len(symbols) - 1 else tracking.ALPHABET
            for typo in alphabet:
                if typo == original:
                    continue
                with pytest.raises(tracking.InvalidTrackingNumber):
                    tracking.normalise(_typed(symbols[:position] + typo + symbols[position + 1:]))


@pytest.mark.unit
def test_two_swapped_neighbours_are_always_caught():
    for number in SAMPLE_NUMBERS + LEGACY_NUMBERS:
        symbols = _symbols(number)
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
    number = format_value(424242)
    loose = number.lower().replace("-", " ").replace("0", "o").replace("1", "l")

    assert tracking.normalise(loose) == number
    assert tracking.normalise(_symbols(number)) == number


@pytest.mark.unit
def test_a_number_of_any_other_length_is_refused_with_the_expected_shape_in_both_languages():
    for typed in ("LPR-7K3Q-9XW2-HM4T", "LPR-7K3Q-9XW2-HM43AA", "LPR-7K3Q-9XW"):
        with pytest.raises(tracking.InvalidTrackingNumber) as caught:
            tracking.normalise(typed)
        assert "13" in caught.value.reason.message_id and "13" in caught.value.reason.message_en


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


@pytest.mark.integration
async def test_a_drawn_number_already_issued_is_drawn_again_and_a_repeated_channel_message_makes_no_complaint(
    database_url, monkeypatch,
):
    settings = IntakeSettings(database_url=database_url)
    ctx = service.Context.from_settings(settings)
    first, second = (submitted_envelope(complaint_submitted(reporter=None)) for _ in range(2))
    again = submitted_envelope(first.payload)  # the same channel message, sent once more
    draws = iter([format_value(7), format_value(7), format_value(8), format_value(9)])
    monkeypatch.setattr(tracking, "random_number", lambda: next(draws))
    runtime = build(settings).runtime
    async with in_memory(runtime):
        for envelope in (first, second, again):
            async with runtime.pool.acquire() as conn, conn.transaction():
                await service.accept_submission(Tx(conn, Outbox(), "intake", envelope), envelope, ctx=ctx)
        rows = await runtime.pool.fetch("SELECT tracking_number FROM complaints ORDER BY accepted_at")

    assert [r["tracking_number"] for r in rows] == [format_value(7), format_value(8)]
    assert next(draws) == format_value(9)  # the repeated message drew one number, found its complaint, stopped
