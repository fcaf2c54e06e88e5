"""The reporter's loop across the whole platform, each service its own process: a reporter files on the
web and another by SMS, the agency responds, one answers on the tracking page and the other by SMS, and
followup carries it out; a wrong key does nothing; the reporters' keys are on no topic but the channels'
answers (and, encrypted, the restricted contacts) and in no service's log file."""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from lapor_gateway.settings import AdapterSettings
from lapor_shared.events import Envelope
from lapor_shared.events.commands import RespondToComplaint
from lapor_shared.testing.kafka_io import publish, read_every_topic, wait_for
from lapor_shared.topics import CONTACTS, SUBMISSION_RESULTS, destinations

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SMS = {"X-Lapor-Sms-Secret": AdapterSettings().sms_webhook_secret}
KEY = re.compile(r"Kunci pelapor: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})")


class Followup:
    """Followup's own record of the complaints (its database), as an operator would read it."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def case(self, number: str) -> asyncpg.Record | None:
        return await self._conn.fetchrow("SELECT complaint_id, agency_id, status FROM followup.complaints"
                                         " WHERE tracking_number = $1", number)

    async def reaches(self, number: str, status: str) -> asyncpg.Record:
        async def reached() -> asyncpg.Record | None:
            row = await self.case(number)
            return row if row is not None and row["status"] == status else None

        row = await wait_for(reached, timeout=60, interval=0.3)
        assert row, f"{number} never reached {status!r}: {await self.case(number)}"
        return row


async def respond(bootstrap: str, followup: Followup, number: str, text: str) -> None:
    """The responsible agency's follow-up, published as its own system publishes it."""
    case = await followup.reaches(number, "routed")
    envelope = Envelope.new(RespondToComplaint(agency_id=case["agency_id"], text=text), producer="agency-app",
                            complaint_id=case["complaint_id"], tracking_number=number)
    for topic in destinations(envelope):
        await publish(bootstrap, topic, [envelope])
    await followup.reaches(number, "responded")


async def file_on_the_web(http: httpx.AsyncClient) -> dict[str, Any]:
    body = {"title": "Jalan berlubang di Jl. Teuku Umar",
            "description": "Lubang besar di tengah jalan sudah dua minggu dan membahayakan pengendara.",
            "location": {"region_code": "18.71"}, "category_hint": "jalan", "reporter": {"phone": "+6281377700011"}}
    idempotency = {"Idempotency-Key": str(uuid.uuid4())}

    async def accepted() -> dict[str, Any] | None:
        # re-posting with the same key is safe: the first answers may be 202 while the consumers join
        response = await http.post("/api/v1/complaints", json=body, headers=idempotency)
        return response.json() if response.status_code == 201 else None

    answer = await wait_for(accepted, timeout=90, interval=0.5)
    assert answer and answer.get("reporter_key"), f"intake never accepted the web complaint: {answer}"
    return answer


async def file_by_sms(http: httpx.AsyncClient, phone: str) -> tuple[str, str]:
    await http.post("/sms/inbound", headers=SMS, data={
        "from": phone, "message_id": f"e2e-{uuid.uuid4().hex}",
        "text": "#18.71 Lampu jalan di Jl. Kartini mati sudah tiga malam, rawan begal."})

    async def reply() -> tuple[str, str] | None:
        for message in (await http.get("/sms/outbox", headers=SMS)).json()["messages"]:
            key, number = KEY.search(message["body"]), re.search(r"LPR-[0-9A-Z]{4}-[0-9A-Z]{4}-\S{5}", message["body"])
            if message["to"] == phone and key and number:
                return number.group(0), key.group(1)
        return None

    found = await wait_for(reply, timeout=90, interval=0.5)
    assert found, "the SMS complaint was never answered"
    return found


async def test_the_reporters_answer_on_the_page_and_by_sms_and_their_keys_stay_out_of_topics_and_logs(platform):
    gateway = f"http://127.0.0.1:{platform.services['gateway'].port}"
    conn = await asyncpg.connect(platform.database_url)
    try:
        followup = Followup(conn)
        async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
            web = await file_on_the_web(http)
            web_number, web_key = web["tracking_number"], web["reporter_key"]
            phone = "+6281377700022"
            sms_number, sms_key = await file_by_sms(http, phone)
            for number in (web_number, sms_number):
                await respond(platform.bootstrap_servers, followup, number, "Perbaikan dijadwalkan besok.")

            forged = await http.post("/lacak/balas", data={"nomor": web_number, "kunci": "ABCD-EFGH-JKMN-PQRS",
                                                            "aksi": "0" * 32, "text": "Saya pelapornya."})
            stranger = await http.post("/sms/inbound", headers=SMS, data={
                "from": "+6281377700033", "message_id": f"e2e-{uuid.uuid4().hex}",
                "text": f"BALAS {sms_number} saya pelapornya"})
            assert forged.status_code == 404 and stranger.json()["status"] == "not_found_reply_queued"
            assert (await followup.case(web_number))["status"] == (await followup.case(sms_number))["status"] \
                == "responded"

            page = await http.post("/lacak", data={"nomor": web_number, "kunci": web_key})
            nonce = re.search(r'name="aksi" value="([0-9a-f]+)"', page.text).group(1)
            replied = await http.post("/lacak/balas", data={"nomor": web_number, "kunci": web_key, "aksi": nonce,
                                                             "text": "Terima kasih, saya tunggu."})
            assert replied.status_code == 200 and "Perbaikan dijadwalkan besok." in replied.text
            balas = await http.post("/sms/inbound", headers=SMS, data={
                "from": phone, "message_id": f"e2e-{uuid.uuid4().hex}",
                "text": f"balas {sms_number.replace('-', '').lower()} terima kasih"})
            assert balas.json()["status"] == "command_published"
            await followup.reaches(web_number, "reporter_replied")
            await followup.reaches(sms_number, "reporter_replied")
    finally:
        await conn.close()

    everything = await read_every_topic(platform.bootstrap_servers)
    for key in (web_key, sms_key):
        seen_on = {topic for topic, records in everything.items() if any(key.encode() in r for r in records)}
        assert seen_on == {SUBMISSION_RESULTS.name}  # not even on the restricted topic: there only encrypted
        assert everything[CONTACTS.name]  # the contacts were shared (encrypted)
        for name, service in platform.services.items():
            assert key not in service.log_path.read_text(errors="replace"), f"{name}'s log holds a reporter's key"
