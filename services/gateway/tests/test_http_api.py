"""The HTTP API: submit, poll, look up, idempotently, without ever showing who reported."""

from __future__ import annotations

import json
import uuid

import pytest
import structlog
from structlog.processors import JSONRenderer
from structlog.testing import CapturingLogger

from lapor_gateway import open311, service, sms, submissions
from lapor_shared import tracking
from lapor_shared.events.lifecycle import ComplaintRouted
from lapor_shared.testing.factories import agency_ref, complaint_routed

from .conftest import complaint_body, unique_phone, valid_tracking_number

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_a_valid_complaint_is_answered_201_with_its_tracking_number(adapters):
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", json=complaint_body())

        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "accepted"
        assert tracking.normalise(body["tracking_number"]) == body["tracking_number"]
        assert response.headers["location"] == f"/api/v1/complaints/{body['tracking_number']}"
        assert await a.count("SELECT count(*) FROM intake.complaints WHERE tracking_number = $1",
                             body["tracking_number"]) == 1


async def test_the_gateway_publishes_a_keyed_complaint_submitted_like_any_outside_adapter(adapters):
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": "k-77"})

        assert response.status_code == 201
        [published] = [json.loads(b) for b in a.submissions]
        assert published["event_type"] == "complaint.submitted"
        assert published["payload"]["channel"] == "web"
        assert published["payload"]["channel_message_id"] == "k-77"
        assert published["producer"] == "adapter-api"


async def test_posting_again_with_the_same_idempotency_key_returns_the_same_answer_and_files_once(adapters):
    async with adapters() as a:
        body = complaint_body()
        key = str(uuid.uuid4())
        first = await a.http.post("/api/v1/complaints", json=body, headers={"Idempotency-Key": key})
        second = await a.http.post("/api/v1/complaints", json=body, headers={"Idempotency-Key": key})

        assert first.status_code == second.status_code == 201
        assert first.json()["tracking_number"] == second.json()["tracking_number"]
        assert await a.count("SELECT count(*) FROM intake.complaints WHERE channel_message_id = $1", key) == 1
        assert len(a.submissions) == 1


async def test_a_client_channel_message_id_is_an_idempotency_key_too(adapters):
    async with adapters() as a:
        body = complaint_body(channel="mobile", channel_message_id=f"app-{uuid.uuid4()}")
        first = await a.http.post("/api/v1/complaints", json=body)
        second = await a.http.post("/api/v1/complaints", json=body)

        assert first.json()["tracking_number"] == second.json()["tracking_number"]
        assert first.json()["channel"] == "mobile"


async def test_reusing_an_idempotency_key_for_another_complaint_is_a_409_conflict(adapters):
    async with adapters() as a:
        key = str(uuid.uuid4())
        await a.http.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": key})
        other = complaint_body(title="Lampu jalan mati di Jalan Kartini")
        response = await a.http.post("/api/v1/complaints", json=other, headers={"Idempotency-Key": key})

        assert response.status_code == 409
        assert response.json()["reasons"][0]["code"] == "idempotency_key_reused"


async def test_a_complaint_intake_refuses_is_422_with_reasons_in_both_languages(adapters):
    async with adapters() as a:
        body = complaint_body(description="pendek", location={"region_code": "99.99"})
        response = await a.http.post("/api/v1/complaints", json=body)

        assert response.status_code == 422
        answer = response.json()
        assert answer["status"] == "rejected"
        assert {"too_short", "unknown_region"} <= {r["code"] for r in answer["reasons"]}
        assert all(r["message_id"] and r["message_en"] for r in answer["reasons"])
        again = await a.http.get(answer["poll_url"])
        assert again.status_code == 200 and again.json()["status"] == "rejected"


async def test_a_body_that_is_not_a_json_object_is_400(adapters):
    async with adapters() as a:
        response = await a.http.post(
            "/api/v1/complaints", content=b"[1, 2", headers={"content-type": "application/json"}
        )

        assert response.status_code == 400
        assert response.json()["reasons"][0]["code"] == "not_json"
        assert a.submissions == []


async def test_a_malformed_field_is_422_before_anything_is_published(adapters):
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", json=complaint_body(location={"latitude": 123.0}))

        assert response.status_code == 422
        assert response.json()["reasons"][0]["field"] == "location.latitude"
        assert a.submissions == []


async def test_a_channel_other_than_web_or_mobile_is_refused(adapters):
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", json=complaint_body(channel="sms"))

        assert response.status_code == 422
        assert response.json()["reasons"][0]["code"] == "channel_not_allowed"


async def test_an_oversized_body_is_413(adapters):
    async with adapters(max_body_bytes=1000) as a:
        response = await a.http.post("/api/v1/complaints", json=complaint_body(description="x" * 2000))

        assert response.status_code == 413


async def test_an_answer_slower_than_the_wait_gives_202_and_a_poll_token_that_resolves(adapters):
    async with adapters(wait_s=0) as a:
        response = await a.http.post("/api/v1/complaints", json=complaint_body())

        assert response.status_code == 202
        pending = response.json()
        assert pending["status"] == "pending"
        assert response.headers["location"] == pending["poll_url"]

        async def answered():
            polled = await a.http.get(pending["poll_url"])
            return polled.json() if polled.json()["status"] != "pending" else None

        answer = await a.until(answered)
        assert answer["status"] == "accepted"
        assert answer["tracking_number"].startswith("LPR-")


async def test_an_unknown_poll_token_is_404(adapters):
    async with adapters() as a:
        response = await a.http.get("/api/v1/submissions/no-such-token")

        assert response.status_code == 404


async def test_status_look_up_takes_the_number_as_people_type_it(adapters):
    async with adapters() as a:
        number = (await a.http.post("/api/v1/complaints", json=complaint_body())).json()["tracking_number"]
        typed = number.replace("-", "").lower()

        response = await a.http.get(f"/api/v1/complaints/{typed}")

        assert response.status_code == 200
        status = response.json()
        assert status["tracking_number"] == number
        assert status["status"] == "diterima"
        assert status["title"] == "Jalan berlubang di depan sekolah"
        assert status["status_label"]["id"] and status["status_label"]["en"]


async def test_status_follows_the_lifecycle_on_the_complaint_stream(adapters):
    async with adapters() as a:
        answer = (await a.http.post("/api/v1/complaints", json=complaint_body())).json()
        complaint_id = await a.complaint_id(answer["tracking_number"])
        await a.until(lambda: a.view_status(answer["tracking_number"]))
        routed = complaint_routed(agency=agency_ref(name="Dinas PU Kota Bandar Lampung"))
        await a.lifecycle(routed, complaint_id=complaint_id, tracking_number=answer["tracking_number"])

        status = (await a.http.get(answer["status_url"])).json()

        assert isinstance(routed, ComplaintRouted)
        assert status["status"] == "didisposisikan"
        assert status["agency"] == "Dinas PU Kota Bandar Lampung"
        assert status["category"] == "infrastruktur"  # routing's category ("jalan" is an alias of it)


async def test_a_mistyped_tracking_number_is_400_and_an_unknown_one_404(adapters):
    async with adapters() as a:
        number = (await a.http.post("/api/v1/complaints", json=complaint_body())).json()["tracking_number"]
        body, check = number[:-1], number[-1]
        wrong_check = "0" if check != "0" else "1"

        mistyped = await a.http.get(f"/api/v1/complaints/{body}{wrong_check}")
        unknown = await a.http.get(f"/api/v1/complaints/{tracking.format_value(987_654_321)}")

        assert mistyped.status_code == 400
        assert mistyped.json()["reasons"][0]["code"] == "invalid_tracking_number"
        assert unknown.status_code == 404


async def test_the_public_status_of_a_rahasia_complaint_is_the_answer_an_unknown_number_gets(adapters):
    async with adapters() as a:
        secret = "RAHASIA-ISI-7731"
        body = complaint_body(confidential=True, title=f"Pungli {secret}",
                              description=f"Petugas meminta uang tambahan {secret} di loket pelayanan.")
        number = (await a.http.post("/api/v1/complaints", json=body)).json()["tracking_number"]
        before_view = await a.http.get(f"/api/v1/complaints/{number}")
        await a.until(lambda: a.view_status(number))
        after_view = await a.http.get(f"/api/v1/complaints/{number}")
        unknown = await a.http.get(f"/api/v1/complaints/{valid_tracking_number()}")

        for response in (before_view, after_view):
            assert (response.status_code, response.content) == (unknown.status_code, unknown.content)
            assert response.status_code == 404 and secret not in response.text


async def test_no_answer_nor_log_line_ever_contains_the_reporter_of_an_anonim_complaint(adapters, monkeypatch):
    captured = CapturingLogger()
    for module in (submissions, service, open311, sms):
        monkeypatch.setattr(module, "log", structlog.wrap_logger(captured, processors=[JSONRenderer()]))
    async with adapters(wait_s=0) as a:
        marker = "Penanda Unik 5519"
        phone = unique_phone()
        reporter = {"name": marker, "phone": phone, "email": "penanda5519@example.org"}
        body = complaint_body(anonymous=True, reporter=reporter)
        responses = [await a.http.post("/api/v1/complaints", json=body)]
        token = responses[0].json()["poll_token"]
        number = (await a.until(lambda: _tracking_number(a, token)))
        await a.until(lambda: a.view_status(number))
        responses.append(await a.http.get(f"/api/v1/submissions/{token}"))
        responses.append(await a.http.get(f"/api/v1/complaints/{number}"))

        logs = "\n".join(str(call.args) for call in captured.calls)
        for text in [r.text for r in responses] + [logs]:
            for needle in (marker, phone, phone[3:], "penanda5519"):
                assert needle not in text
        assert "reporter" not in responses[-1].json()
        assert "submission_published" in logs and "submission_answered" in logs  # the gateway's lines, captured


async def _tracking_number(a, token: str) -> str | None:
    return (await a.http.get(f"/api/v1/submissions/{token}")).json().get("tracking_number")


async def test_categories_are_listed_for_clients(adapters):
    async with adapters() as a:
        response = await a.http.get("/api/v1/categories")

        assert response.status_code == 200
        assert "infrastruktur" in {c["code"] for c in response.json()}
        assert "jalan" in next(c["aliases"] for c in response.json() if c["code"] == "infrastruktur")
