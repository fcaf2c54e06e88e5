"""Open311 beyond the basics: discovery, jurisdictions by Kemendagri code, the definition enforced on
POST, https-only media, the deadline as ``expected_datetime``; and a point entering by every channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest

from lapor_shared.events.lifecycle import DeadlineExtended, DeadlineSet

from .conftest import complaint_body
from .test_open311 import request_form, submit
from .test_web_form import filled, form_fields

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

BANDAR_LAMPUNG = {"lat": "-5.4292", "long": "105.2610"}  # Tugu Adipura, Kota Bandar Lampung (18.71)


async def view(a, number: str) -> dict:
    await a.until(lambda: a.view_status(number))
    [row] = await a.sql("SELECT region_code, latitude, longitude, expected_at, updated_at FROM complaint_view"
                        " WHERE tracking_number = $1", number)
    return dict(row)


async def number_of(a, created: dict) -> str:
    """The tracking number of a POST's answer, through its token when intake answered after the wait."""
    if "service_request_id" in created:
        return created["service_request_id"]

    async def answered() -> str | None:
        [item] = (await a.http.get(f"/open311/v2/tokens/{created['token']}.json")).json()
        return item.get("service_request_id")

    return await a.until(answered)


async def test_the_discovery_document_is_served_in_json_and_xml(adapters):
    async with adapters() as a:
        document = (await a.http.get("/open311/v2/discovery.json")).json()
        xml = ElementTree.fromstring((await a.http.get("/open311/v2/discovery.xml")).content)

        [endpoint] = document["endpoints"]
        assert endpoint["url"].endswith("/open311/v2")
        assert xml.tag == "discovery" and xml.findtext("endpoints/endpoint/specification")
        assert {f.text for f in xml.findall("endpoints/endpoint/formats/format")} == {"application/json", "text/xml"}


async def test_a_post_with_an_attribute_the_definition_does_not_declare_is_400(adapters):
    async with adapters() as a:
        unknown = await a.http.post("/open311/v2/requests.json", data=request_form(**{"attribute[warna]": "merah"}))
        bad_type = await a.http.post("/open311/v2/requests.json",
                                     data=request_form(**{"attribute[report_type]": "keluhan"}))

        assert unknown.status_code == 400 and "attribute[warna]" in unknown.json()[0]["description"]
        assert bad_type.status_code == 400 and "attribute[report_type]" in bad_type.json()[0]["description"]
        assert a.submissions == []


@pytest.mark.parametrize("url", ["http://foto.example.org/lubang.jpg", "https://user:pw@foto.example.org/x.jpg"])
async def test_a_media_url_that_is_not_plain_https_is_400_and_never_published(adapters, url):
    async with adapters() as a:
        response = await a.http.post("/open311/v2/requests.json", data=request_form(media_url=url))

        assert response.status_code == 400
        assert "https" in response.json()[0]["description"] or "kata sandi" in response.json()[0]["description"]
        assert a.submissions == []


async def test_a_kemendagri_jurisdiction_places_the_request_and_restricts_the_listing(adapters):
    async with adapters() as a:
        placed = await number_of(a, await submit(a, jurisdiction_id="18.71",
                                                 **{"attribute[region_code]": "", "lat": "", "long": ""}))
        elsewhere = await number_of(a, await submit(a, **{"attribute[region_code]": "31.71", "lat": "", "long": ""}))
        placed_row = await view(a, placed)
        await view(a, elsewhere)

        def listed(jurisdiction: str) -> set[str]:
            return {r["service_request_id"] for r in listings[jurisdiction]}

        listings = {j: (await a.http.get("/open311/v2/requests.json", params={"jurisdiction_id": j})).json()
                    for j in ("18.71", "18", "31.71", "lapor.go.id")}
        unknown = await a.http.get("/open311/v2/requests.json", params={"jurisdiction_id": "99.99"})
        post_unknown = await a.http.post("/open311/v2/requests.json", data=request_form(jurisdiction_id="99.99"))

        assert placed_row["region_code"] == "18.71"
        assert placed in listed("18.71") and placed in listed("18") and placed not in listed("31.71")
        assert elsewhere in listed("31.71") and elsewhere not in listed("18.71")
        assert listed("lapor.go.id") >= {placed, elsewhere}
        assert unknown.status_code == 404 and post_unknown.status_code == 404


async def test_a_request_with_only_a_point_is_listed_under_the_regency_the_point_lies_in(adapters):
    async with adapters() as a:
        number = await number_of(a, await submit(a, address_string="", **BANDAR_LAMPUNG,
                                                 **{"attribute[region_code]": ""}))
        row = await view(a, number)
        listing = (await a.http.get("/open311/v2/requests.json", params={"jurisdiction_id": "18.71"})).json()
        [one] = (await a.http.get(f"/open311/v2/requests/{number}.json")).json()

        assert (row["latitude"], row["longitude"]) == (-5.4292, 105.261)
        assert row["region_code"] == "18.71"
        assert number in {r["service_request_id"] for r in listing}
        assert (one["lat"], one["long"]) == (-5.4292, 105.261)


async def test_expected_datetime_is_the_current_deadline_and_updated_datetime_the_last_event(adapters):
    async with adapters() as a:
        number = await number_of(a, await submit(a))
        before = await view(a, number)
        complaint_id = await a.complaint_id(number)
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
        later = due + timedelta(days=3)

        await a.lifecycle(DeadlineSet(stage="follow_up", agency_id="a-1", due_at=due, working_days=5,
                                      policy_version="v1"), complaint_id=complaint_id, tracking_number=number)
        await a.until(lambda: a.count("SELECT count(*) FROM complaint_view WHERE tracking_number = $1"
                                      " AND expected_at IS NOT NULL", number))
        [set_once] = (await a.http.get(f"/open311/v2/requests/{number}.json")).json()
        await a.lifecycle(DeadlineExtended(stage="follow_up", agency_id="a-1", due_at=later, reason="survei"),
                          complaint_id=complaint_id, tracking_number=number)
        await a.until(lambda: a.count("SELECT count(*) FROM complaint_view WHERE tracking_number = $1"
                                      " AND expected_at = $2", number, later))
        [extended] = (await a.http.get(f"/open311/v2/requests/{number}.json")).json()

        assert datetime.fromisoformat(set_once["expected_datetime"]) == due
        assert datetime.fromisoformat(extended["expected_datetime"]) == later
        assert datetime.fromisoformat(extended["updated_datetime"]) > before["updated_at"]


async def test_the_http_api_takes_a_point_and_the_view_keeps_it(adapters):
    async with adapters() as a:
        body = complaint_body(location={"latitude": -5.4292, "longitude": 105.261})
        response = await a.http.post("/api/v1/complaints", json=body)
        assert response.status_code == 201, response.text

        row = await view(a, response.json()["tracking_number"])

        assert (row["latitude"], row["longitude"], row["region_code"]) == (-5.4292, 105.261, "18.71")


async def test_the_web_form_sends_the_point_its_hidden_fields_carry(adapters):
    async with adapters() as a:
        message_id = form_fields((await a.http.get("/lapor")).text)["channel_message_id"]
        posted = await a.http.post("/lapor", data=filled(message_id, region_code="", location="",
                                                         latitude="-5.4292", longitude="105.2610"))
        broken = await a.http.post("/lapor", data=filled(f"{message_id}-b", latitude="utara", longitude="105"))
        assert posted.status_code == 303, posted.text

        number = await a.until(lambda: a.runtime.pool.fetchval(
            "SELECT tracking_number FROM intake.complaints WHERE channel_message_id = $1", message_id))
        row = await view(a, number)

        assert (row["latitude"], row["longitude"], row["region_code"]) == (-5.4292, 105.261, "18.71")
        assert broken.status_code == 422 and "Titik lokasi" in broken.text
