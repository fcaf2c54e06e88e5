"""SMS ``BALAS``, ``BUKA``, ``NILAI`` and ``CEK`` through the 1708 webhook, round trip to followup's state:
the sender's number is the proof; another number, an unknown keyword or a malformed text gets a short
reply and publishes nothing; a keyword text never becomes a complaint (issue 15 "Reporter", SMS)."""

from __future__ import annotations

import re
import uuid

import pytest

from lapor_shared import tracking

from .conftest import Filed, Loop, unique_phone

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


async def file_by_sms(loop: Loop, phone: str, text: str) -> tuple[Filed, str]:
    """A complaint filed by SMS, and the reply that answered it."""
    message_id = f"sms-{uuid.uuid4().hex}"
    filed = await loop.sms(phone, text, message_id)
    assert filed.status_code == 200 and filed.json()["status"] == "accepted", filed.text
    number = filed.json()["tracking_number"]
    reply = await loop.sms_reply(phone, "accepted", message_id)
    key = re.search(r"Kunci pelapor: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})", reply)
    assert key, reply
    complaint_id = await loop.pool.fetchval("SELECT complaint_id FROM gateway.reporter_keys WHERE tracking_number = $1",
                                            number)
    return Filed(number, key.group(1), complaint_id, phone), reply


async def command(loop: Loop, phone: str, text: str) -> tuple[dict, str]:
    message_id = f"sms-{uuid.uuid4().hex}"
    answer = await loop.sms(phone, text, message_id)
    assert answer.status_code == 200, answer.text
    return answer.json(), message_id


async def test_balas_nilai_and_buka_from_the_reporters_phone_reach_followup_and_are_answered(loop: Loop):
    phone = "0" + unique_phone()[3:]  # as the handset sends it: 0813…
    filed, accepted = await file_by_sms(loop, phone, "#18.71 Jalan berlubang di depan pasar Tugu sudah dua minggu.")
    assert filed.tracking_number in accepted
    await loop.respond(filed, "Lubang akan ditambal besok pagi.")
    await loop.gateway_sees(filed, "responded")

    sloppy = filed.tracking_number.lower().replace("-", "")
    answer, message_id = await command(loop, phone, f"  balas   {sloppy}   Terima kasih, saya tunggu.  ")
    assert answer["status"] == "command_published" and answer["action"] == "reporter.reply"
    await loop.followup_reaches(filed, "reporter_replied")
    assert "balasan Anda diteruskan ke instansi" in await loop.sms_reply(phone, "action", message_id)

    await loop.respond(filed, "Sudah ditambal.")
    await loop.gateway_sees(filed, "responded")
    await loop.resolve(filed)
    await loop.gateway_sees(filed, "closed")
    answer, message_id = await command(loop, phone, f"NILAI {filed.tracking_number} 5 mantap, cepat sekali")
    assert answer["action"] == "reporter.rate"
    assert "terima kasih atas penilaian Anda" in await loop.sms_reply(phone, "action", message_id)
    assert (await loop.followup(filed))["rating"] == 5
    [rated] = [s for s in (await loop.timeline(filed)).json()["timeline"] if s["kind"] == "rated"]
    assert rated["message"] == "mantap, cepat sekali"

    answer, message_id = await command(loop, phone, f"Buka {filed.tracking_number} masih berlubang setelah hujan")
    assert answer["action"] == "reporter.reopen"
    await loop.followup_reaches(filed, "reopened")
    assert "laporan dibuka kembali" in await loop.sms_reply(phone, "action", message_id)

    answer, message_id = await command(loop, phone, f"cek {filed.tracking_number}")
    assert "Dibuka kembali" in await loop.sms_reply(phone, "status", message_id)


async def test_a_refused_sms_command_is_answered_with_followups_reason(loop: Loop):
    phone = unique_phone()
    filed, _ = await file_by_sms(loop, phone, "#18.71 Lampu jalan di Jl. Kartini mati sudah tiga malam.")
    await loop.gateway_sees(filed, "routed")

    _, message_id = await command(loop, phone, f"BALAS {filed.tracking_number} Ada kabar?")  # nothing to reply to

    reply = await loop.sms_reply(phone, "action", message_id)
    assert filed.tracking_number in reply and "menanggapi tindak lanjut" in reply
    assert (await loop.followup(filed))["status"] == "routed"


async def test_a_command_from_another_number_publishes_nothing_and_reads_as_an_unknown_number(loop: Loop):
    owner, stranger = unique_phone(), unique_phone()
    filed, _ = await file_by_sms(loop, owner, "#18.71 Sampah menumpuk di TPS Way Halim tidak diangkut.")
    await loop.respond(filed, "Truk sampah dijadwalkan hari ini.")
    await loop.gateway_sees(filed, "responded")
    unknown = tracking.random_number()

    replies = []
    for text in (f"BALAS {filed.tracking_number} saya pelapornya", f"NILAI {filed.tracking_number} 1",
                 f"BUKA {filed.tracking_number} iseng", f"BALAS {unknown} saya pelapornya"):
        answer, message_id = await command(loop, stranger, text)
        replies.append((answer["status"], (await loop.sms_reply(stranger, "help", message_id)).replace(unknown, "N")
                        .replace(filed.tracking_number, "N")))

    assert len(set(replies)) == 1 and replies[0][0] == "not_found_reply_queued"
    assert "tidak ditemukan untuk nomor HP ini" in replies[0][1]
    assert await loop.pool.fetchval("SELECT count(*) FROM gateway.reporter_actions WHERE complaint_id = $1",
                                    filed.complaint_id) == 0
    assert (await loop.followup(filed))["status"] == "responded"


async def test_a_keyword_text_never_becomes_a_complaint_and_a_malformed_one_gets_help(loop: Loop):
    phone = unique_phone()
    number = tracking.random_number()
    texts = [f"BATAL {number}", "balas", "Buka puasa bersama di kantor camat dibatalkan tanpa kabar.",
             f"NILAI {number} 9", f"BALAS {number}", "CEK LPR-12"]

    answers = [await command(loop, phone, text) for text in texts]

    for (answer, message_id), text in zip(answers, texts, strict=True):
        assert answer["status"] == "help_reply_queued", text
        reply = await loop.sms_reply(phone, "help", message_id)
        assert "BALAS <nomor> <isi balasan>" in reply and "Laporan baru" in reply
        assert await loop.pool.fetchval("SELECT count(*) FROM gateway.submissions WHERE channel_message_id = $1",
                                        message_id) == 0
    submitted = await loop.everything_on("lapor.submissions")
    assert not [m for _, m in answers if m.encode() in submitted]


async def test_cek_of_a_rahasia_complaint_answers_its_reporter_and_tells_anyone_else_it_is_unknown(loop: Loop):
    owner, stranger = unique_phone(), unique_phone()
    filed = await loop.file(confidential=True, reporter={"phone": owner})
    await loop.gateway_sees(filed, "routed")
    unknown = tracking.random_number()

    _, mine = await command(loop, owner, f"CEK {filed.tracking_number}")
    _, theirs = await command(loop, stranger, f"CEK {filed.tracking_number}")
    _, nobodys = await command(loop, stranger, f"CEK {unknown}")

    assert "Diteruskan ke instansi yang berwenang" in await loop.sms_reply(owner, "status", mine)
    hidden = (await loop.sms_reply(stranger, "status", theirs)).replace(filed.tracking_number, "N")
    assert hidden == (await loop.sms_reply(stranger, "status", nobodys)).replace(unknown, "N")
    assert "tidak ditemukan" in hidden
