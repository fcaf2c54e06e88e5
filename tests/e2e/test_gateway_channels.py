"""The channel gateway over HTTP, as its own process, with intake answering behind Kafka."""

from __future__ import annotations

import uuid

import httpx
import pytest

from lapor_gateway.settings import AdapterSettings
from lapor_shared.testing.kafka_io import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_a_citizen_and_a_civic_app_file_complaints_over_http_and_find_them_again(platform):
    dev_key = next(iter(AdapterSettings().open311_clients()))
    base = f"http://127.0.0.1:{platform.services['gateway'].port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        complaint = {
            "title": "Jalan berlubang di Jalan Teuku Umar",
            "description": "Lubang besar di tengah jalan sudah dua minggu dan membahayakan pengendara motor.",
            "location": {"region_code": "18.71", "text": "Jl. Teuku Umar"},
            "category_hint": "jalan",
            "reporter": {"name": "Siti Aminah", "phone": "0812-3456-7890", "email": "siti@example.id"},
        }
        key = str(uuid.uuid4())

        async def accepted() -> httpx.Response | None:
            # re-posting with the same key is safe: the first answer may be 202 while the consumers join
            response = await http.post("/api/v1/complaints", json=complaint, headers={"Idempotency-Key": key})
            return response if response.status_code == 201 else None

        created = await wait_for(accepted, timeout=60, interval=0.5)
        assert created is not None, "intake never accepted the complaint"
        number = created.json()["tracking_number"]

        async def public_status() -> httpx.Response | None:
            # the public status is a projection of lapor.complaints: it follows the answer within moments
            response = await http.get(f"/api/v1/complaints/{number.lower().replace('-', '')}")
            return response if response.status_code == 200 else None

        status = await wait_for(public_status, timeout=30, interval=0.3)
        assert status is not None, "the accepted complaint never showed on its public status"
        assert status.json()["tracking_number"] == number
        assert "Siti" not in status.text and "3456" not in status.text

        posted = await http.post("/open311/v2/requests.json", data={
            "api_key": dev_key, "service_code": "kebersihan", "lat": "-5.3971", "long": "105.2668",
            "address_string": "Pasar Tugu, Bandar Lampung", "email": "budi@example.id", "first_name": "Budi",
            "description": "Sampah di Pasar Tugu tidak diangkut selama seminggu dan mulai berbau.",
            "attribute[region_code]": "18.71",
        })
        assert posted.status_code == 200, posted.text
        token = posted.json()[0]["token"]

        async def found_by_token() -> str | None:
            [answer] = (await http.get(f"/open311/v2/tokens/{token}.json")).json()
            return answer["service_request_id"]

        request_id = await wait_for(found_by_token, timeout=60, interval=0.5)
        assert request_id and request_id.startswith("LPR-")

        async def shown() -> dict | None:
            # like the public status, the request is a projection of lapor.complaints: it follows the token's
            # answer (intake's answer on lapor.submissions.results) within moments, never before its content
            [item] = (await http.get(f"/open311/v2/requests/{request_id}.json")).json()
            return item if "service_request_id" in item else None

        request = await wait_for(shown, timeout=30, interval=0.3)
        assert request is not None, "the accepted request never showed"
        assert request["service_request_id"] == request_id
        assert request["status"] == "open"
