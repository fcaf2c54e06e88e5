"""Who sees a stored file: the public through a signed link for a non-rahasia complaint only, the
reporter on their own timeline; a link works until it expires and not once anything in it is changed."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from lapor_shared.events.lifecycle import ComplaintArchived, ComplaintResponded
from lapor_shared.testing.factories import reason
from shared.tests.evidence.images import GPS_IFD, encoded, pattern
from tests.hostile.files import pdf_with

from .conftest import complaint_body

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def _submit_with_photo(a, **overrides) -> dict:
    response = await a.http.post("/api/v1/complaints", data={"complaint": json.dumps(complaint_body(**overrides))},
                                 files=[("files", ("foto.jpg", encoded(pattern(400, 300), "JPEG"), "image/jpeg"))])
    assert response.status_code == 201, response.text
    return response.json()


async def _view_has_evidence(a, tracking_number: str) -> bool:
    return bool(await a.runtime.pool.fetchval(
        "SELECT jsonb_array_length(evidence) > 0 FROM complaint_view WHERE tracking_number = $1", tracking_number))


async def test_the_public_gets_a_working_signed_link_to_a_non_rahasia_complaints_photo(adapters):
    async with adapters() as a:
        accepted = await _submit_with_photo(a)
        number = accepted["tracking_number"]
        await a.until(lambda: _view_has_evidence(a, number))

        [item] = (await a.http.get(f"/api/v1/complaints/{number}")).json()["evidence"]
        photo = await a.http.get(item["url"])
        thumb = await a.http.get(item["thumbnail_url"])

        assert parse_qs(urlsplit(item["url"]).query)["aud"] == ["public"]
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        assert photo.headers["x-content-type-options"] == "nosniff"
        assert "no-store" in photo.headers["cache-control"]
        assert photo.headers["content-disposition"].startswith("inline; filename=\"bukti-")
        image = Image.open(io.BytesIO(photo.content))
        assert image.size == (400, 300) and image.getexif().get_ifd(GPS_IFD) == {}
        assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.content)).size) == 320


async def test_a_link_is_refused_once_expired_or_changed(adapters):
    async with adapters() as a:
        accepted = await _submit_with_photo(a)
        await a.until(lambda: _view_has_evidence(a, accepted["tracking_number"]))
        [item] = (await a.http.get(f"/api/v1/complaints/{accepted['tracking_number']}")).json()["evidence"]
        object_id = urlsplit(item["url"]).path.rsplit("/", 1)[1]
        signer = a.evidence.signer
        expired = signer.link(object_id, audience="public", now=datetime.now(UTC) - timedelta(seconds=signer.ttl_s + 1))
        other_audience = item["url"].replace("aud=public", "aud=reporter")
        other_object = item["url"].replace(object_id, "f" * 32 + ".jpg")

        assert (await a.http.get(item["url"].replace(object_id, "../../etc/passwd"))).status_code == 404
        for url in (expired, other_audience, other_object, item["url"].split("?")[0]):
            refused = await a.http.get(url)
            assert refused.status_code == 403, url
            assert refused.json()["reasons"][0]["code"] == "evidence_link_invalid"
        assert (await a.http.get(item["url"])).status_code == 200


async def test_a_rahasia_complaints_photo_gets_no_public_link_but_the_reporter_sees_it(adapters):
    async with adapters() as a:
        accepted = await _submit_with_photo(a, confidential=True)
        number, key = accepted["tracking_number"], accepted["reporter_key"]
        timeline = await a.until(lambda: _reporter_evidence(a, number, key))

        assert (await a.http.get(f"/api/v1/complaints/{number}")).status_code == 404
        assert not await _view_has_evidence(a, number)
        assert (await a.http.get(f"/open311/v2/requests/{number}.json")).json()[0].get("media_url") is None
        [item] = timeline
        assert parse_qs(urlsplit(item["url"]).query)["aud"] == ["reporter"]
        assert (await a.http.get(item["url"])).status_code == 200


async def test_the_tracking_page_shows_the_reporters_files_as_thumbnails(adapters):
    async with adapters() as a:
        accepted = await _submit_with_photo(a)
        number, key = accepted["tracking_number"], accepted["reporter_key"]
        await a.until(lambda: _reporter_evidence(a, number, key))

        page = await a.http.post("/lacak", data={"nomor": number, "kunci": key})

        assert page.status_code == 200, page.text
        assert 'class="evidence"' in page.text and "/bukti/" in page.text and "v=thumb" in page.text


async def _reporter_evidence(a, number: str, key: str) -> list:
    response = await a.http.get(f"/api/v1/complaints/{number}/timeline", headers={"authorization": f"Bearer {key}"})
    if response.status_code != 200:
        return []
    return [e for step in response.json()["timeline"] for e in step.get("evidence", [])]


async def test_an_archived_complaints_files_are_deleted_when_their_retention_ends(adapters):
    async with adapters(evidence={"archived_retention_s": 0.5, "sweep_interval_s": 0.2}) as a:
        accepted = await _submit_with_photo(a)
        number, key = accepted["tracking_number"], accepted["reporter_key"]
        [item] = await a.until(lambda: _reporter_evidence(a, number, key))
        object_id = urlsplit(item["url"]).path.rsplit("/", 1)[1]
        assert await a.evidence.uploads.store.exists(f"evidence/{object_id}")

        await a.lifecycle(ComplaintArchived(reason=reason(code="not_public_service"), by="admin-1"),
                          complaint_id=await a.complaint_id(number), tracking_number=number)
        # a sweep round that failed backs off before the next: room for that on a busy machine. The sweep
        # deletes the files first and then the references, so the references leaving is the end to wait for
        await a.until(lambda: _references_gone(a, number, key), timeout=45)

        assert not await a.evidence.uploads.store.exists(f"evidence/{object_id}")
        assert not await a.evidence.uploads.store.exists(f"evidence/{object_id}.thumb.jpg")
        assert not await _view_has_evidence(a, number)
        assert (await a.http.get(item["url"])).status_code == 404


async def _references_gone(a, number: str, key: str) -> bool:
    response = await a.http.get(f"/api/v1/complaints/{number}/timeline", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return not any(step.get("evidence") for step in response.json()["timeline"])


async def test_the_tracking_page_shows_the_agencys_response_files_with_working_links(adapters):
    async with adapters() as a:
        accepted = await _submit_with_photo(a)
        number, key = accepted["tracking_number"], accepted["reporter_key"]
        await a.until(lambda: _reporter_evidence(a, number, key))
        report = pdf_with(b"")  # what the officer console stores with the same helper and names in agency.respond
        stored = (await a.evidence.uploads.accept(report)).evidence
        await a.evidence.uploads.claim([stored])

        await a.lifecycle(ComplaintResponded(agency_id="umum.18.71", text="Laporan perbaikan terlampir.",
                                             evidence=[stored]),
                          complaint_id=await a.complaint_id(number), tracking_number=number)
        await a.until(lambda: _has_files(a, number, key, 2))
        page = await a.http.post("/lacak", data={"nomor": number, "kunci": key})
        [link] = [u.replace("&amp;", "&") for u in re.findall(r'href="([^"]*/bukti/[^"]+)"', page.text)
                  if stored.object_id in u]
        served = await a.http.get(link)

    assert "Laporan perbaikan terlampir." in page.text and parse_qs(urlsplit(link).query)["aud"] == ["reporter"]
    assert served.status_code == 200 and served.content == report
    assert served.headers["content-disposition"].startswith("attachment;")


async def _has_files(a, number: str, key: str, count: int) -> bool:
    return len(await _reporter_evidence(a, number, key)) >= count
