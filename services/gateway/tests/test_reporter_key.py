"""The reporter's key at the gateway: shown once (the API's answer or poll, the web form's page, the SMS
reply), kept only as a verifier, forgotten in the SMS outbox once sent; the reporter's pages and API
count against the caller's rate limits."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from lapor_gateway.app import build
from lapor_gateway.settings import GatewaySettings
from lapor_shared import reporter_proof
from lapor_shared.settings import HttpSettings, RateLimit

from .conftest import SMS_SECRET, complaint_body, unique_phone

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

KEY_SHAPE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}")


async def test_the_api_shows_the_key_once_and_keeps_only_its_verifier(adapters):
    async with adapters() as a:
        key = str(uuid.uuid4())
        first = await a.http.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": key})
        again = await a.http.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": key})
        poll = await a.http.get(first.json()["poll_url"])
        number = first.json()["tracking_number"]
        [proof] = await a.sql("SELECT key_verifier FROM reporter_keys WHERE tracking_number = $1", number)
        left = await a.count("SELECT count(*) FROM answers WHERE reporter_key IS NOT NULL")

    reporter_key = first.json()["reporter_key"]
    assert first.status_code == 201 and reporter_proof.normalise(reporter_key) == reporter_key
    assert first.json()["tracking_url"] == f"/lacak?nomor={number}"
    assert "reporter_key" not in again.json() and "reporter_key" not in poll.json()
    assert proof["key_verifier"] == reporter_proof.verifier(reporter_key)
    assert left == 0


async def test_the_web_forms_page_shows_the_key_once_and_opens_the_tracking_page_without_a_link(adapters):
    async with adapters() as a:
        form = await a.http.get("/lapor")
        message_id = re.search(r'name="channel_message_id" value="([^"]+)"', form.text).group(1)
        sent = await a.http.post("/lapor", data={
            "channel_message_id": message_id, "title": "Sampah menumpuk di pasar", "region_code": "18.71",
            "description": "Sampah di Pasar Tugu tidak diangkut selama seminggu dan mulai berbau.",
        }, follow_redirects=True)
        reload = await a.http.get(str(sent.url))

    [shown] = set(KEY_SHAPE.findall(sent.text))
    assert "Kunci pelapor" in sent.text and "hanya ditampilkan sekali" in sent.text
    assert f'name="kunci" value="{shown}"' in sent.text and f"kunci={shown}" not in sent.text
    assert sent.headers["referrer-policy"] == "no-referrer"
    assert shown not in reload.text and "sudah ditampilkan sebelumnya" in reload.text


async def test_an_sms_complaints_reply_carries_the_key_until_the_provider_has_sent_it(adapters):
    async with adapters() as a:
        secret = {"X-Lapor-Sms-Secret": SMS_SECRET}
        answered = await a.http.post("/sms/inbound", headers=secret, data={
            "from": unique_phone(), "message_id": f"sms-{uuid.uuid4()}",
            "text": "#18.71 Lampu jalan di Jl. Kartini mati sudah tiga malam, rawan begal."})
        [reply] = (await a.http.get("/sms/outbox", headers=secret)).json()["messages"]
        await a.http.post(f"/sms/outbox/{reply['id']}/sent", headers=secret)
        [kept] = await a.sql("SELECT body, to_phone FROM sms_outbox WHERE id = $1", reply["id"])

    [key] = KEY_SHAPE.findall(reply["body"])
    assert answered.json()["tracking_number"] in reply["body"] and f"Kunci pelapor: {key}" in reply["body"]
    assert key not in kept["body"] and "[kunci]" in kept["body"] and kept["to_phone"] is None


async def test_the_tracking_page_and_the_reporters_api_count_against_the_callers_rate_limits():
    limited = HttpSettings(rate_lookup=RateLimit(per_minute=60, burst=1), rate_submit=RateLimit(per_minute=60, burst=1))
    app = build(GatewaySettings(http=limited)).asgi_app()  # not started: refused before any database
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        page = [await http.post("/lacak", data={"nomor": "LPR-12", "kunci": "x"}) for _ in range(2)]
        api = [await http.get("/api/v1/complaints/LPR-12/timeline") for _ in range(2)]
        act = [await http.post("/lacak/balas", data={"nomor": "LPR-12", "kunci": "x"}) for _ in range(2)]

    assert [r.status_code for r in page] == [400, 429]
    assert api[0].status_code == 429  # the same look-up bucket as the page
    assert [r.status_code for r in act] == [400, 429]
