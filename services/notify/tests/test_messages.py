"""Templates, SMS segment limits and webhook signatures (pure logic)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lapor_notify import reporter_key, sms_text
from lapor_notify.channels.webhook import sign, verify
from lapor_notify.rendering import render, template_names
from lapor_shared import sms_keywords, tracking

pytestmark = [pytest.mark.unit]

TN = "LPR-7K3Q-9XW2-HM43A"
FACTS = {
    "tracking_number": TN, "title": "Jalan berlubang di depan SD Negeri 2", "agency_name": "Unit Pengaduan Kota",
    "anonymous": False, "confidential": False, "show_content": True, "status_url": f"https://lapor.test/{TN}",
    "sms_number": "1708", "from_agency_name": "Dinas A", "to_agency_name": "Pemerintah Provinsi Lampung",
    "reason": {"message_id": "Bukan wewenang kami.", "message_en": "Not our authority."},
    "response_text": "Jalan sudah ditambal pada 3 Maret.", "reply_text": "Terima kasih.", "stage": "follow_up",
    "escalation_level": 1, "closed_reason": "auto_close", "due_at": datetime(2026, 3, 6, 9, 0, tzinfo=UTC).isoformat(),
    "category": "jalan", "location_text": "Jl. Teuku Umar", "reopen_reason": "Masih berlubang",
    "items": [{"tracking_number": TN, "subject": "Laporan baru"}, {"tracking_number": "LPR-AAAA-BBBBB",
                                                                    "subject": "Laporan baru"}],
    "recipient_name": "Dinas Contoh", "period": "daily", "private": True, "reporter_key": reporter_key.SLOT,
}


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders_in_both_languages_with_the_tracking_number(name):
    message = render(name, ["id", "en"], FACTS, sms_segments=2)
    assert TN in message.subject and TN in message.body and TN in message.sms
    first, second = message.body.split("-" * 40)
    assert TN in first and TN in second
    assert sms_text.measure(message.sms).segments <= 2
    english_only = render(name, ["en"], FACTS, sms_segments=1)
    assert english_only.body != first.strip() and sms_text.measure(english_only.sms).segments == 1


@pytest.mark.parametrize("name", template_names())
def test_the_subject_and_the_sms_speak_the_leading_language_and_the_body_every_one(name):
    both = render(name, ["en", "id"], FACTS, sms_segments=3)
    english, indonesian = render(name, ["en"], FACTS, sms_segments=3), render(name, ["id"], FACTS, sms_segments=3)

    assert (both.subject, both.sms) == (english.subject, english.sms)
    assert both.body.split("-" * 40) == [english.body + "\n\n", "\n\n" + indonesian.body]


def test_the_rendered_set_covers_every_step_that_matters():
    assert set(template_names()) >= {
        "complaint_accepted.reporter", "complaint_routed.reporter", "complaint_responded.reporter",
        "complaint_escalated.reporter", "complaint_closed.reporter", "complaint_routed.officer",
        "complaint_deadline_warning.officer", "complaint_escalated.officer", "complaint_escalated.supervisor",
        "digest.officer",
    }


def test_confidential_content_is_left_out_when_asked():
    message = render("complaint_responded.reporter", ["id", "en"], {**FACTS, "show_content": False}, sms_segments=2)
    assert FACTS["response_text"] not in message.body and TN in message.body


def test_reporter_messages_say_how_to_reply_rate_or_reopen():
    assert "BALAS " + TN in render("complaint_responded.reporter", ["id"], FACTS, sms_segments=3).body
    closed = render("complaint_closed.reporter", ["id", "en"], FACTS, sms_segments=3)
    assert "BUKA " + TN in closed.body and "NILAI " + TN in closed.body and "reopen" in closed.body


VALID_TN = tracking.format_value(0x7A3F15C2D9)
"""A number whose check symbol holds (``TN`` is only a sample of the shape)."""
_ADVERTISED = re.compile(r"\b([A-Z]{3,})\s+" + re.escape(VALID_TN) + r"((?:\s+<[^>]+>)*)")


def _sample(placeholders: str) -> str:
    """``<1-5> <komentar>`` → ``4 contoh``: what a reporter types where a message shows a placeholder."""
    return " ".join("4" if p == "<1-5>" else "contoh" for p in re.findall(r"<[^>]+>", placeholders))


def test_every_sms_keyword_a_template_advertises_is_one_the_gateways_parser_handles():
    advertised: set[str] = set()
    for name in template_names():
        for lang in ("id", "en"):
            message = render(name, [lang], {**FACTS, "tracking_number": VALID_TN}, sms_segments=3)
            for text in (message.subject, message.body, message.sms):
                for word, placeholders in _ADVERTISED.findall(text):
                    advertised.add(word)
                    parsed = sms_keywords.parse(f"{word} {VALID_TN} {_sample(placeholders)}")
                    assert isinstance(parsed, sms_keywords.SmsCommand), f"{name}/{lang} advertises {word}"
                    assert parsed.problem is None, f"{name}/{lang}: '{word} {VALID_TN}{placeholders}' is not read"
                    assert parsed.tracking_number == VALID_TN

    assert advertised >= {"BALAS", "BUKA", "NILAI"}
    assert advertised <= {word for k in sms_keywords.KEYWORDS for word in k.words}


def test_the_first_message_holds_the_reporters_key_where_it_goes_and_only_there():
    message = render("complaint_accepted.reporter", ["id", "en"], FACTS, sms_segments=3)
    key = "AB12-CD34-EF56-GH78"

    assert reporter_key.SLOT in message.body and reporter_key.SLOT in message.sms
    assert key in reporter_key.fill(message.sms, key) and f"kunci={key}" in reporter_key.fill(message.body, key)
    for text in (reporter_key.without(message.body), reporter_key.without(message.sms)):
        assert "KUNCI-PELAPOR" not in text and TN in text
    assert sms_text.measure(reporter_key.fill(message.sms, key)).segments <= 3


@pytest.mark.parametrize(("text", "encoding", "segments"), [
    ("a" * 160, "gsm7", 1), ("a" * 161, "gsm7", 2), ("a" * 306, "gsm7", 2), ("a" * 307, "gsm7", 3),
    ("€" * 80, "gsm7", 1), ("€" * 81, "gsm7", 2), ("ą" * 70, "ucs2", 1), ("ą" * 71, "ucs2", 2),
    ("ą" * 134, "ucs2", 2), ("ą" * 135, "ucs2", 3), ("😀" * 35, "ucs2", 1), ("😀" * 36, "ucs2", 2),
])
def test_sms_segments_follow_gsm7_and_ucs2_limits(text, encoding, segments):
    measured = sms_text.measure(text)
    assert (measured.encoding, measured.segments) == (encoding, segments)


def test_an_escape_character_is_never_split_across_segments():
    # 152 plain septets then '€' (2 septets): the euro sign moves whole to the second segment
    assert sms_text.measure("a" * 152 + "€" + "a" * 152).segments == 3


@pytest.mark.parametrize("filler", ["kata ", "kąta ", "€ "])
def test_a_long_sms_is_cut_to_the_limit_and_keeps_the_tracking_number(filler):
    text = f"LAPOR! {TN} ditanggapi. " + filler * 400
    for limit in (1, 2, 3):
        fitted = sms_text.fit(text, max_segments=limit, keep=TN)
        assert sms_text.measure(fitted).segments <= limit
        assert TN in fitted and fitted.endswith("...")


def test_a_cut_that_would_drop_the_tracking_number_puts_it_in_front():
    fitted = sms_text.fit("x " * 400 + TN, max_segments=1, keep=TN)
    assert fitted.startswith(TN) and sms_text.measure(fitted).segments == 1


def test_webhook_signature_verifies_only_the_exact_body_within_the_tolerance():
    body, ts = b'{"tracking_number":"LPR-7K3Q-9XW2-HM43A"}', "1767225600"
    signature = sign("s3cret", ts, body)
    assert verify("s3cret", ts, body, signature, now=1767225600 + 10)
    assert not verify("s3cret", ts, body, signature, now=1767225600 + 3600)  # replayed an hour later
    assert not verify("s3cret", ts, body.replace(b"HM43A", b"HM43B"), signature, now=1767225600)
    assert not verify("s3cret", "not-a-number", body, signature)


def _measured_char_by_char(text: str) -> tuple[str, int, int]:
    """The definition: each character's units, packed greedily into segments."""
    gsm7 = all(c in sms_text.GSM7_BASIC or c in sms_text.GSM7_EXTENSION for c in text)
    sizes = [(2 if c in sms_text.GSM7_EXTENSION else 1) if gsm7 else (2 if ord(c) > 0xFFFF else 1) for c in text]
    encoding = "gsm7" if gsm7 else "ucs2"
    if sum(sizes) <= sms_text.SINGLE[encoding]:
        return encoding, sum(sizes), 1 if sizes else 0
    segments, used = 1, 0
    for size in sizes:
        if used + size > sms_text.MULTI[encoding]:
            segments, used = segments + 1, 0
        used += size
    return encoding, sum(sizes), segments


@given(st.text(st.sampled_from("aZ 0.€[{é\nµ😀ñ~|^ Ω…"), max_size=700))
def test_an_sms_is_measured_as_its_characters_packed_one_by_one(text):
    measured = sms_text.measure(text)

    assert (measured.encoding, measured.units, measured.segments) == _measured_char_by_char(text)
