"""The citizen web form: a phone-sized page in Bahasa Indonesia (or English), one complaint per form."""

from __future__ import annotations

import re

import pytest

from .conftest import unique_email, unique_phone

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def filled(message_id: str, **overrides: str) -> dict[str, str]:
    fields = {
        "channel_message_id": message_id,
        "report_type": "pengaduan",
        "title": "Sampah menumpuk di pasar",
        "description": "Sampah di Pasar Tugu tidak diangkut selama seminggu dan mulai berbau.",
        "incident_date": "2025-02-20",
        "region_code": "18.71",
        "location": "Pasar Tugu",
        "category": "kebersihan",
        "name": "Budi",
        "phone": unique_phone().replace("+62", "0"),
        "email": unique_email(),
    }
    fields.update(overrides)
    return fields


async def test_the_form_is_in_bahasa_indonesia_fits_a_phone_and_offers_english(adapters):
    async with adapters() as a:
        response = await a.http.get("/lapor")
        english = await a.http.get("/lapor?lang=en")

        assert response.status_code == 200
        assert 'name="viewport"' in response.text
        assert "Kirim laporan" in response.text
        assert response.text.count("<script") == 2 and "navigator.geolocation" in response.text  # the point and
        assert "upload.addEventListener" in response.text  # the upload's progress, nothing else
        assert 'type="file"' in response.text and 'capture="environment"' in response.text
        assert 'id="use-my-location" hidden' in response.text  # shown by that script, never without it
        assert 'lang="id"' in response.text
        assert "Send report" in english.text and 'lang="en"' in english.text
        assert english.cookies.get("lang") == "en"
        assert 'value="18.71"' in response.text  # regencies and cities to choose from


async def test_posting_the_form_shows_the_tracking_number_page(adapters):
    async with adapters() as a:
        message_id = form_fields((await a.http.get("/lapor")).text)["channel_message_id"]

        posted = await a.http.post("/lapor", data=filled(message_id))
        assert posted.status_code == 303
        page = await a.http.get(posted.headers["location"])

        number = await a.runtime.pool.fetchval(
            "SELECT tracking_number FROM intake.complaints WHERE channel = 'web' AND channel_message_id = $1",
            message_id,
        )
        assert page.status_code == 200
        assert "Laporan Anda diterima" in page.text
        assert number and number in page.text


async def test_sending_the_same_form_twice_files_one_complaint(adapters):
    async with adapters() as a:
        message_id = form_fields((await a.http.get("/lapor")).text)["channel_message_id"]
        fields = filled(message_id)

        first = await a.http.post("/lapor", data=fields)
        second = await a.http.post("/lapor", data=fields)

        assert first.headers["location"] == second.headers["location"]
        assert await a.count("SELECT count(*) FROM intake.complaints WHERE channel_message_id = $1", message_id) == 1


async def test_a_rejected_form_comes_back_filled_in_with_the_reasons_and_a_new_id(adapters):
    async with adapters() as a:
        message_id = form_fields((await a.http.get("/lapor")).text)["channel_message_id"]

        response = await a.http.post("/lapor", data=filled(message_id, description="singkat"))

        assert response.status_code == 422
        assert "Laporan belum dapat diterima" in response.text
        assert "terlalu pendek" in response.text
        assert "Sampah menumpuk di pasar" in response.text  # what the citizen typed is kept
        assert form_fields(response.text)["channel_message_id"] != message_id


async def test_a_rejected_form_in_english_explains_in_english(adapters):
    async with adapters() as a:
        message_id = form_fields((await a.http.get("/lapor?lang=en")).text)["channel_message_id"]

        response = await a.http.post("/lapor?lang=en", data=filled(message_id, incident_date="kemarin"))

        assert response.status_code == 422
        assert "The incident date is not valid." in response.text


async def test_the_status_page_finds_a_complaint_by_its_number(adapters):
    async with adapters() as a:
        message_id = form_fields((await a.http.get("/lapor")).text)["channel_message_id"]
        await a.http.post("/lapor", data=filled(message_id))
        number = await a.runtime.pool.fetchval(
            "SELECT tracking_number FROM intake.complaints WHERE channel_message_id = $1", message_id
        )

        found = await a.http.get("/lapor/status", params={"nomor": number.lower()})
        mistyped = await a.http.get("/lapor/status", params={"nomor": "LPR-0000-0000Z"})

        assert found.status_code == 200 and number in found.text and "Sampah menumpuk di pasar" in found.text
        assert mistyped.status_code in (400, 404)


async def test_the_form_escapes_what_people_type(adapters):
    async with adapters() as a:
        message_id = form_fields((await a.http.get("/lapor")).text)["channel_message_id"]

        response = await a.http.post("/lapor", data=filled(message_id, title="<script>alert(1)</script>"))

        assert response.status_code == 422
        assert "<script>alert(1)</script>" not in response.text
        assert "&lt;script&gt;" in response.text
