"""Hostile bodies to the adapters: every one is refused with a reason in both languages, nothing is
published, and the adapters read the database through public HTTP's own pool."""

from __future__ import annotations

import uuid

import pytest

from .conftest import OPEN311_KEY, SMS_SECRET, complaint_body

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

JSON = {"content-type": "application/json"}
VALID = complaint_body()
HOSTILE_JSON = {
    "a key given twice": (b'{"title": "Jalan rusak", "title": "Jembatan putus"}', 400, "duplicate_key"),
    "NaN as a coordinate": (b'{"location": {"latitude": NaN}}', 400, "invalid_number"),
    "a 5,000-digit integer": (b'{"incident_date": ' + b"9" * 5000 + b"}", 400, "invalid_number"),
    "nesting 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, 400, "too_deep"),
    "an escaped NUL in the title": (b'{"title": "Jalan\\u0000rusak"}', 400, "control_character"),
    "a right-to-left override": ('{"description": "Tagihan \u202e 000.01 Rp"}'.encode(), 400, "control_character"),
    "bytes that are not UTF-8": (b'{"title": "\xff\xfe"}', 400, "invalid_encoding"),
    "a string instead of an object": (b'"laporan"', 400, "not_json"),
}


@pytest.mark.parametrize("name", HOSTILE_JSON)
async def test_a_hostile_json_body_is_refused_with_its_reason_and_nothing_is_published(adapters, name):
    body, status, code = HOSTILE_JSON[name]
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", content=body, headers=JSON)

        assert response.status_code == status, response.text
        [reason] = response.json()["reasons"]
        assert reason["code"] == code and reason["message_id"] and reason["message_en"]
        assert a.submissions == []


async def test_a_multipart_form_with_a_direction_override_is_refused_by_every_form_endpoint(adapters):
    override = "Lampu jalan mati \u202egnalret"
    async with adapters() as a:
        web = await a.http.post("/lapor", files={"title": (None, override), "description": (None, "x" * 20)})
        open311 = await a.http.post("/open311/v2/requests.json", files={
            "api_key": (None, OPEN311_KEY), "service_code": (None, "jalan"), "description": (None, override)})
        sms = await a.http.post("/sms/inbound", headers={"X-Lapor-Sms-Secret": SMS_SECRET}, files={
            "from": (None, "6281234567890"), "text": (None, override), "message_id": (None, str(uuid.uuid4()))})

        assert web.status_code == 400 and "U+202E" in web.text
        assert open311.status_code == 400 and "U+202E" in open311.json()[0]["description"]
        assert sms.status_code == 400 and sms.json()["reasons"][0]["field"] == "text"
        assert a.submissions == []


async def test_open311_json_with_an_attribute_that_is_not_an_object_is_400_in_the_specs_format(adapters):
    async with adapters() as a:
        response = await a.http.post("/open311/v2/requests.json", headers=JSON, json={
            "api_key": OPEN311_KEY, "service_code": "jalan", "address_string": "Jl. Kartini",
            "description": "Lampu jalan mati sudah tiga malam.", "attribute": ["18.71"]})

        assert response.status_code == 400 and response.json()[0]["code"] == 400


async def test_a_control_character_in_the_idempotency_key_is_refused(adapters):
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", json=VALID, headers={"Idempotency-Key": b"kunci\x85"})

        assert response.status_code == 422 and response.json()["reasons"][0]["field"] == "Idempotency-Key"


async def test_complaint_creation_is_rate_limited_per_client_and_says_when_to_come_back(adapters):
    async with adapters(http={"rate_submit": {"per_minute": 2, "burst": 2}}, wait_s=0) as a:
        answers = [await a.http.post("/api/v1/complaints", json=complaint_body()) for _ in range(3)]
        lookup = await a.http.get("/api/v1/complaints/LPR-0000-00000")

        assert [r.status_code for r in answers[:2]] == [202, 202]
        assert answers[2].status_code == 429 and answers[2].headers["retry-after"] == "30"
        assert answers[2].json()["reasons"][0]["code"] == "rate_limited"
        assert lookup.status_code in (400, 404)  # look-ups have a bucket of their own
        assert len(a.submissions) == 2


async def test_the_status_page_answers_busy_when_the_public_pool_times_out(adapters):
    async with adapters(http={"db_statement_timeout_ms": 200}) as a:
        async with a.runtime.pool.acquire() as conn:  # a lock the look-up must wait for
            async with conn.transaction():
                await conn.execute("LOCK TABLE complaint_view IN ACCESS EXCLUSIVE MODE")
                api = await a.http.get("/api/v1/complaints/LPR-7Y17-M5MCV")
                page = await a.http.get("/lapor/status?nomor=LPR-7Y17-M5MCV", headers={"accept": "text/html"})
        after = await a.http.get("/api/v1/complaints/LPR-7Y17-M5MCV")

        assert api.status_code == 503 and api.headers["retry-after"] and api.json()["reasons"][0]["code"] == "busy"
        assert page.status_code == 503 and "sibuk" in page.text and "busy" in page.text
        assert after.status_code in (400, 404)  # the lock is gone: an answer again
        assert await a.runtime.pool.fetchval("SHOW statement_timeout") == "0"  # the consumers wait as needed
