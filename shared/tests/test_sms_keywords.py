"""The SMS keywords, read as a reporter types them: any case, extra spaces, a number without its dashes;
a keyword text is always a command (never a complaint); a word before a number that is no keyword is an
unknown command."""

from __future__ import annotations

import pytest

from lapor_shared import tracking
from lapor_shared.sms_keywords import KEYWORDS, RATE, REOPEN, REPLY, STATUS, SmsCommand, UnknownCommand, parse

pytestmark = pytest.mark.unit

NUMBER = tracking.format_value(0x5A5A5A5A5A)


@pytest.mark.parametrize("typed", [
    f"BALAS {NUMBER} Terima kasih",
    f"balas {NUMBER.lower()} Terima kasih",
    f"  Balas   {NUMBER.replace('-', '')}    Terima kasih",
    f"BALAS: {NUMBER} Terima kasih",
    f"BALAS {' '.join(NUMBER.split('-'))} Terima kasih",
    f"BALAS {NUMBER[4:]} Terima kasih",
])
def test_a_reply_is_read_however_the_number_and_spaces_are_typed(typed):
    assert parse(typed) == SmsCommand(REPLY, NUMBER, text="Terima kasih")


def test_a_rating_takes_one_to_five_with_an_optional_comment():
    assert parse(f"NILAI {NUMBER} 4") == SmsCommand(RATE, NUMBER, rating=4)
    assert parse(f"nilai {NUMBER} 5/5 cepat sekali") == SmsCommand(RATE, NUMBER, text="cepat sekali", rating=5)
    assert parse(f"NILAI {NUMBER} 9").problem == "rating"
    assert parse(f"NILAI {NUMBER} bagus").problem == "rating"


def test_a_reply_or_reopen_without_text_and_any_keyword_without_a_number_is_a_malformed_command():
    assert parse(f"BALAS {NUMBER}").problem == "text"
    assert parse(f"BUKA {NUMBER}   ").problem == "text"
    assert parse(f"BUKA {NUMBER} belum selesai") == SmsCommand(REOPEN, NUMBER, text="belum selesai")
    assert parse("BALAS").problem == "tracking_number"
    assert parse("Buka puasa bersama dibatalkan camat").problem == "tracking_number"
    assert parse(f"CEK {NUMBER}") == SmsCommand(STATUS, NUMBER)
    assert parse(f"status {NUMBER}") == SmsCommand(STATUS, NUMBER)


def test_a_word_before_a_number_that_is_no_keyword_is_an_unknown_command_and_anything_else_a_complaint():
    assert parse(f"BATAL {NUMBER}") == UnknownCommand("BATAL")
    assert parse("#18.71 Lampu jalan mati di Jl. Kartini") is None
    assert parse("Lampu jalan LPR mati") is None
    assert parse("   ") is None


def test_every_keyword_and_alias_is_one_word_and_none_is_claimed_twice():
    words = [w for k in KEYWORDS for w in k.words]

    assert len(words) == len(set(words))
    assert all(w.isalpha() and w.isupper() for w in words)
