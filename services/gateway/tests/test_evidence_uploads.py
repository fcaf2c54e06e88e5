"""Files attached on every channel of the gateway: stored without their metadata before the submission
that names them is published, refused with a reason when hostile or too large, swept when abandoned."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from shared.tests.evidence.images import GPS_IFD, encoded, pattern
from tests.hostile.files import FILES, HOSTILE_FILE_NAME

from .conftest import OPEN311_KEY, complaint_body

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _published(a) -> list[dict]:
    return [json.loads(b)["payload"] for b in a.submissions]


async def test_a_photo_sent_with_the_complaint_is_stored_without_gps_and_named_by_the_event(adapters):
    photo = encoded(pattern(), "JPEG")
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", data={"complaint": json.dumps(complaint_body())},
                                     files=[("files", ("IMG_0001.JPG", photo, "image/jpeg"))])

        assert response.status_code == 201, response.text
        [submitted] = _published(a)
        [evidence] = submitted["evidence"]
        assert evidence["media_type"] == "image/jpeg" and "url" not in evidence
        stored = await a.evidence.uploads.store.get(f"evidence/{evidence['object_id']}")
        image = Image.open(io.BytesIO(stored))
        assert image.getexif().get_ifd(GPS_IFD) == {} and dict(image.getexif()) == {}
        assert image.size == Image.open(io.BytesIO(photo)).size
        assert not await a.evidence.uploads.store.exists(f"incoming/{evidence['object_id']}")


async def test_the_mobile_app_asks_for_a_slot_puts_the_photo_and_names_the_slot(adapters):
    async with adapters() as a:
        slot = (await a.http.post("/api/v1/uploads")).json()
        put = await a.http.put(slot["upload_url"], content=encoded(pattern(), "JPEG"),
                               headers={"content-type": "application/octet-stream"})
        response = await a.http.post("/api/v1/complaints", json=complaint_body(uploads=[slot["upload_id"]]))

        assert slot["limits"]["max_count"] >= 1 and put.status_code == 200, put.text
        offered = put.json()["offered_location"]
        assert offered["latitude"] == pytest.approx(-5.429167, abs=1e-5)
        assert response.status_code == 201, response.text
        [submitted] = _published(a)
        assert [e["object_id"] for e in submitted["evidence"]] == [put.json()["evidence"]["object_id"]]
        assert submitted["location"].get("latitude") is None  # offered, never used silently


async def test_a_client_cannot_name_stored_objects_itself(adapters):
    forged = {"object_id": "0" * 32 + ".jpg", "media_type": "image/jpeg", "size_bytes": 10, "sha256": "0" * 64}
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", json=complaint_body(evidence=[forged]))

        assert response.status_code == 201
        assert _published(a)[0]["evidence"] == []


@pytest.mark.parametrize("name", sorted(n for n, (_, code) in FILES.items() if code))
async def test_a_hostile_file_is_refused_with_its_reason_and_nothing_is_published(adapters, name):
    data, code = FILES[name]
    async with adapters(intake=False) as a:
        response = await a.http.post("/api/v1/complaints", data={"complaint": json.dumps(complaint_body())},
                                     files=[("files", (HOSTILE_FILE_NAME, data, "image/jpeg"))])

        assert response.status_code == 422, response.text
        assert [r["code"] for r in response.json()["reasons"]] == [code]
        assert a.submissions == []


async def test_a_file_name_with_separators_and_control_characters_is_never_used(adapters):
    async with adapters() as a:
        response = await a.http.post("/api/v1/complaints", data={"complaint": json.dumps(complaint_body())},
                                     files=[("files", (HOSTILE_FILE_NAME, encoded(pattern(), "PNG"), "text/html"))])

        assert response.status_code == 201, response.text
        [evidence] = _published(a)[0]["evidence"]
        assert evidence["media_type"] == "image/png"  # from the bytes, not the sent type or name
        keys = await a.evidence.uploads.store.list_older_than("evidence", _far_future())
        assert all("passwd" not in k and ".." not in k for k in keys)


async def test_an_upload_over_the_limit_is_refused_413_before_it_is_read_whole(adapters):
    async with adapters(evidence={"limits": {"max_file_bytes": 1000}}) as a:
        slot = (await a.http.post("/api/v1/uploads")).json()
        declared = await a.http.put(slot["upload_url"], content=b"\xff\xd8\xff" + b"0" * 5000)

        async def chunks():
            for _ in range(50):
                yield b"0" * 1000

        streamed = await a.http.put(slot["upload_url"], content=chunks())

        assert declared.status_code == 413 and streamed.status_code == 413, (declared.text, streamed.text)


async def test_too_many_files_are_refused_with_a_reason(adapters):
    photo = encoded(pattern(), "PNG")
    async with adapters(intake=False, evidence={"limits": {"max_count": 1}}) as a:
        response = await a.http.post("/api/v1/complaints", data={"complaint": json.dumps(complaint_body())},
                                     files=[("files", ("a.png", photo, "image/png")),
                                            ("files", ("b.png", photo, "image/png"))])

        assert response.status_code in (400, 422)
        assert a.submissions == []


async def test_open311_takes_a_media_file_beside_the_fields(adapters):
    async with adapters() as a:
        response = await a.http.post("/open311/v2/requests.json", data={
            "api_key": OPEN311_KEY, "service_code": "jalan", "lat": "-5.43", "long": "105.26",
            "description": "Jalan berlubang besar di depan pasar, berbahaya bagi pengendara motor.",
            "email": "warga@example.org"}, files=[("media", ("foto.jpg", encoded(pattern(), "JPEG"), "image/jpeg"))])

        assert response.status_code in (200, 201), response.text
        [submitted] = _published(a)
        assert [e["media_type"] for e in submitted["evidence"]] == ["image/jpeg"]


async def test_the_web_form_takes_files_without_javascript(adapters):
    async with adapters() as a:
        form = {"channel_message_id": "web-evidence-1", "report_type": "pengaduan", "title": "Jalan rusak parah",
                "description": "Jalan di depan pasar rusak parah sejak sebulan lalu.", "region_code": "18.71"}
        response = await a.http.post("/lapor", data=form,
                                     files=[("files", ("foto.png", encoded(pattern(), "PNG"), "image/png")),
                                            ("files", ("", b"", "application/octet-stream"))])  # no camera photo

        assert response.status_code == 303, response.text
        [submitted] = _published(a)
        assert [e["media_type"] for e in submitted["evidence"]] == ["image/png"]


async def test_the_sweep_task_deletes_uploads_no_submission_named(adapters):
    async with adapters(evidence={"orphan_age_s": 0.2, "sweep_interval_s": 0.1}) as a:
        slot = (await a.http.post("/api/v1/uploads")).json()
        put = await a.http.put(slot["upload_url"], content=encoded(pattern(), "PNG"))
        object_id = put.json()["evidence"]["object_id"]
        assert await a.evidence.uploads.store.exists(f"incoming/{object_id}")

        await a.until(lambda: _gone(a, f"incoming/{object_id}"), timeout=10)
        response = await a.http.post("/api/v1/complaints", json=complaint_body(uploads=[slot["upload_id"]]))

        assert response.status_code == 422
        assert response.json()["reasons"][0]["code"] == "evidence_unknown_upload"


async def _gone(a, key: str) -> bool:
    return not await a.evidence.uploads.store.exists(key)


def _far_future() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)



async def test_the_files_of_a_submission_intake_rejects_are_deleted_and_an_accepted_ones_kept(adapters):
    async with adapters(evidence={"orphan_age_s": 0.5, "sweep_interval_s": 0.2}) as a:
        rejected = await a.http.post("/api/v1/complaints", data={"complaint": json.dumps(complaint_body(
            description="x"))}, files=[("files", ("a.png", encoded(pattern(), "PNG"), "image/png"))])
        accepted = await a.http.post("/api/v1/complaints", data={"complaint": json.dumps(complaint_body())},
                                     files=[("files", ("b.png", encoded(pattern(32, 32), "PNG"), "image/png"))])
        assert rejected.status_code == 422 and accepted.status_code == 201, (rejected.text, accepted.text)
        gone_id, kept_id = (p["evidence"][0]["object_id"] for p in _published(a))

        await a.until(lambda: _gone(a, f"evidence/{gone_id}"), timeout=20)
        await a.until(lambda: _no_claims(a), timeout=20)

        assert await a.evidence.uploads.store.exists(f"evidence/{kept_id}")
        assert not await a.evidence.uploads.store.exists(f"evidence/{gone_id}.thumb.jpg")


async def _no_claims(a) -> bool:
    return await a.evidence.uploads.store.list_older_than("claims", _far_future()) == []


@pytest.mark.parametrize("asked", [True, False])
async def test_the_web_form_uses_a_photos_position_only_when_the_reporter_asks(adapters, asked):
    async with adapters(intake=False, wait_s=0) as a:
        form = {"channel_message_id": f"web-gps-{asked}", "report_type": "pengaduan", "title": "Jalan rusak parah",
                "description": "Jalan di depan pasar rusak parah sejak sebulan lalu.", "region_code": "18.71",
                **({"photo_location": "on"} if asked else {})}
        photo = ("foto.jpg", encoded(pattern(), "JPEG"), "image/jpeg")
        await a.http.post("/lapor", data=form, files=[("files", photo)])

        [submitted] = _published(a)
        point = (submitted["location"]["latitude"], submitted["location"]["longitude"])
        taken_at = (pytest.approx(-5.429167, abs=1e-5), pytest.approx(105.2625, abs=1e-5))
        assert point == (taken_at if asked else (None, None))
