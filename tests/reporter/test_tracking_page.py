"""The reporter's tracking page over HTTP (plain forms, no JavaScript): the number and the key (or notify's
link) open the timeline, the deadline in the agency's local time and the actions open now; each action
shows its outcome; a wrong key and an unknown number get the same page (issue 15 "Reporter")."""

from __future__ import annotations

import re

import pytest

from lapor_shared import tracking
from lapor_shared.events.values import Attachment
from shared.tests.evidence.images import encoded, pattern

from .conftest import Filed, Loop

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

PHOTO = Attachment(url="https://dokumen.example.go.id/foto-perbaikan.jpg", media_type="image/jpeg", size_bytes=9_000)


def nonce(page: str, action: str) -> str:
    found = re.search(rf'action="/lacak/{action}[^"]*"[^>]*>.*?name="aksi" value="([0-9a-f]+)"', page, re.S)
    assert found, f"no {action} form on the page"
    return found.group(1)


def proof(filed: Filed, **fields: str) -> dict[str, str]:
    return {"nomor": filed.tracking_number, "kunci": filed.key, **fields}


async def test_the_reporter_opens_the_page_with_number_and_key_reads_the_response_and_replies(loop: Loop):
    filed = await loop.file()
    await loop.respond(filed, "Perbaikan dijadwalkan Senin depan.", attachments=[PHOTO])
    await loop.gateway_sees(filed, "responded")

    form = await loop.http.get("/lacak")
    page = await loop.http.post("/lacak", data={"nomor": filed.tracking_number.lower().replace("-", ""),
                                                "kunci": filed.key.lower()})

    assert form.status_code == 200 and 'name="nomor"' in form.text and 'name="kunci"' in form.text
    assert page.status_code == 200, page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert "Perbaikan dijadwalkan Senin depan." in page.text and str(PHOTO.url) in page.text
    assert "Tenggat saat ini" in page.text and "WIB" in page.text  # the deadline in the agency's local time
    assert "<script" not in page.text
    assert "Balas tindak lanjut" in page.text and "Nilai penanganan" not in page.text

    reply = proof(filed, aksi=nonce(page.text, "balas"), text="Terima kasih, saya tunggu hari Senin.")
    photo = [("files", ("../balasan\r\n.png", encoded(pattern(), "PNG"), "image/png"))]  # with a photo
    answered = await loop.http.post("/lacak/balas", data=reply, files=photo)
    tapped_twice = await loop.http.post("/lacak/balas", data=reply, files=photo)

    assert answered.status_code == 200 and "Balasan Anda telah diteruskan ke instansi." in answered.text
    assert "Terima kasih, saya tunggu hari Senin." in answered.text  # now in the timeline
    assert 'class="evidence"' in answered.text and "aud=reporter" in answered.text  # the photo, for the reporter
    assert "Balasan Anda telah diteruskan ke instansi." in tapped_twice.text
    assert await loop.pool.fetchval("SELECT count(*) FROM gateway.reporter_actions WHERE complaint_id = $1",
                                    filed.complaint_id) == 1
    await loop.followup_reaches(filed, "reporter_replied")

    english = await loop.http.post("/lacak?lang=en", data=proof(filed))
    assert "Follow your report" in english.text and "You replied to the follow-up" in english.text


async def test_once_closed_the_page_offers_rating_and_reopening_and_shows_a_refusal_with_its_reason(loop: Loop):
    filed = await loop.file()
    await loop.respond(filed, "Sudah selesai diperbaiki.")
    await loop.gateway_sees(filed, "responded")
    await loop.resolve(filed)
    await loop.gateway_sees(filed, "closed")

    page = await loop.http.post("/lacak", data=proof(filed))
    assert "Nilai penanganan" in page.text and "Buka kembali laporan" in page.text and "Balas tindak" not in page.text
    rated = await loop.http.post("/lacak/nilai", data=proof(filed, aksi=nonce(page.text, "nilai"), rating="5",
                                                            comment="Cepat dan rapi."))
    assert "Terima kasih, penilaian Anda tercatat." in rated.text
    assert "Nilai penanganan" not in rated.text  # rated once: no second form
    # a second rating, sent anyway (an old tab), is refused by followup and the page says why
    again = await loop.http.post("/lacak/nilai", data=proof(filed, aksi="f" * 32, rating="1"))
    assert "Permintaan Anda ditolak:" in again.text and "sudah Anda nilai" in again.text
    assert (await loop.followup(filed))["rating"] == 5

    reopened = await loop.http.post("/lacak/buka", data=proof(filed, aksi=nonce(rated.text, "buka"),
                                                              reason="Aspalnya sudah retak lagi."))
    assert "Laporan Anda dibuka kembali." in reopened.text
    await loop.followup_reaches(filed, "reopened")


async def test_a_wrong_key_and_an_unknown_number_get_the_same_page_and_publish_nothing(loop: Loop):
    filed = await loop.file()
    await loop.respond(filed, "Sudah kami periksa.")
    await loop.gateway_sees(filed, "responded")
    unknown = tracking.random_number()

    wrong_key = await loop.http.post("/lacak", data={"nomor": filed.tracking_number, "kunci": "ABCD-EFGH-JKMN-PQRS"})
    no_key = await loop.http.post("/lacak", data={"nomor": filed.tracking_number, "kunci": ""})
    no_number = await loop.http.post("/lacak", data={"nomor": unknown, "kunci": filed.key})
    forged = await loop.http.post("/lacak/balas", data={"nomor": filed.tracking_number, "kunci": "ABCD-EFGH-JKMN-PQRS",
                                                         "aksi": "a" * 32, "text": "Saya bukan pelapornya."})
    mistyped = await loop.http.post("/lacak", data={"nomor": "LPR-1234", "kunci": filed.key})

    same = {r.text.replace(filed.tracking_number, "N").replace(unknown, "N") for r in (wrong_key, no_key, no_number,
                                                                                         forged)}
    assert {r.status_code for r in (wrong_key, no_key, no_number, forged)} == {404} and len(same) == 1
    assert "Nomor pelacakan atau kunci pelapor tidak cocok." in wrong_key.text
    assert "Sudah kami periksa." not in wrong_key.text
    assert mistyped.status_code == 400  # what cannot be a number says so: it tells nothing about any complaint
    assert await loop.pool.fetchval("SELECT count(*) FROM gateway.reporter_actions WHERE complaint_id = $1",
                                    filed.complaint_id) == 0
    assert (await loop.followup(filed))["status"] == "responded"


async def test_notifys_link_with_the_key_opens_the_page_and_a_link_with_only_the_number_opens_the_form(loop: Loop):
    filed = await loop.file()
    await loop.gateway_sees(filed, "routed")

    linked = await loop.http.get("/lacak", params={"nomor": filed.tracking_number, "kunci": filed.key})
    number_only = await loop.http.get("/lacak", params={"nomor": filed.tracking_number})

    assert linked.status_code == 200 and "Riwayat" in linked.text and filed.tracking_number in linked.text
    assert linked.headers["referrer-policy"] == "no-referrer"
    assert number_only.status_code == 200 and f'value="{filed.tracking_number}"' in number_only.text
    assert "Riwayat" not in number_only.text
