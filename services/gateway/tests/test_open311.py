"""Open311 GeoReport v2: civic apps submit unchanged; the public listing keeps rahasia content and every
reporter out."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

import pytest

from lapor_shared import reporter_proof
from lapor_shared.events.lifecycle import ComplaintClosed
from lapor_shared.events.values import Channel
from lapor_shared.testing.factories import complaint_accepted, submission_accepted, submission_accepted_envelope

from .conftest import OPEN311_KEY, unique_email, unique_phone, valid_tracking_number

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def request_form(**overrides: str) -> dict[str, str]:
    """What a civic app (FixMyStreet and the like) posts to requests.json, form-encoded."""
    fields = {
        "api_key": OPEN311_KEY,
        "service_code": "jalan",
        "lat": "-5.4292",
        "long": "105.2610",
        "address_string": "Jl. Teuku Umar No. 12, Bandar Lampung",
        "description": "Lubang besar di tengah jalan, sudah dua minggu, motor sering jatuh di sini.",
        "email": unique_email(),
        "first_name": "Siti",
        "last_name": "Aminah",
        "phone": unique_phone(),
        "media_url": "https://foto.example.org/lubang/123",
        "attribute[region_code]": "18.71",
    }
    fields.update(overrides)
    return fields


async def submit(a, **overrides: str) -> dict:
    response = await a.http.post("/open311/v2/requests.json", data=request_form(**overrides))
    assert response.status_code == 200, response.text
    [created] = response.json()
    return created


async def test_services_lists_our_categories_in_json_and_xml(adapters):
    async with adapters() as a:
        services = (await a.http.get("/open311/v2/services.json")).json()
        xml = await a.http.get("/open311/v2/services.xml")

        assert {"infrastruktur", "kesehatan", "umum"} <= {s["service_code"] for s in services}
        assert all({"service_name", "metadata", "type", "group"} <= s.keys() for s in services)
        root = ElementTree.fromstring(xml.content)
        assert root.tag == "services"
        assert {e.findtext("service_code") for e in root.findall("service")} >= {"infrastruktur"}


async def test_a_service_definition_exists_for_each_service_and_unknown_codes_are_404(adapters):
    async with adapters() as a:
        known = await a.http.get("/open311/v2/services/kesehatan.json")
        alias = await a.http.get("/open311/v2/services/jalan.json")
        unknown = await a.http.get("/open311/v2/services/teleportasi.json")

        assert known.json()["service_code"] == "kesehatan"
        assert {"region_code", "rahasia"} <= {attribute["code"] for attribute in known.json()["attributes"]}
        assert alias.json()["service_code"] == "infrastruktur"
        assert unknown.status_code == 404
        assert unknown.json()[0]["code"] == 404


async def test_a_civic_app_posting_the_spec_form_gets_a_service_request_id(adapters):
    async with adapters() as a:
        created = await submit(a)

        number = created["service_request_id"]
        assert number.startswith("LPR-")
        published = await a.sql(
            "SELECT channel, region_code FROM intake.complaints WHERE tracking_number = $1", number
        )
        assert [tuple(r) for r in published] == [("open311", "18.71")]


async def test_the_request_is_found_by_its_id_and_by_its_token(adapters):
    async with adapters() as a:
        created = await submit(a)
        number, token = created["service_request_id"], created["token"]
        await a.until(lambda: a.view_status(number))

        [request] = (await a.http.get(f"/open311/v2/requests/{number}.json")).json()
        [by_token] = (await a.http.get(f"/open311/v2/tokens/{token}.json")).json()

        assert request["service_request_id"] == number
        assert request["status"] == "open"
        assert request["service_code"] == "infrastruktur"  # "jalan" is one of its aliases
        assert request["address"] == "Jl. Teuku Umar No. 12, Bandar Lampung"
        assert (request["lat"], request["long"]) == (-5.4292, 105.2610)
        assert request["media_url"] == "https://foto.example.org/lubang/123"
        assert by_token == {"service_request_id": number, "token": token}  # the key went with the POST's answer


async def test_a_request_accepted_moments_ago_shows_once_the_complaint_stream_says_it_is_not_rahasia(adapters):
    async with adapters(intake=False, wait_s=0) as a:
        token = (await submit(a, **{"attribute[request_id]": "app-7"}))["token"]
        number, complaint_id = valid_tracking_number(), uuid.uuid4()
        await a.answer(submission_accepted_envelope(submission_accepted(
            channel=Channel.OPEN311, channel_message_id="civic-app:app-7", tracking_number=number,
            complaint_id=complaint_id)))  # the channel's answer carries no content: rahasia or not is unknown

        [by_token] = (await a.http.get(f"/open311/v2/tokens/{token}.json")).json()
        before = await a.http.get(f"/open311/v2/requests/{number}.json")
        unknown = await a.http.get(f"/open311/v2/requests/{valid_tracking_number()}.json")
        await a.lifecycle(complaint_accepted(channel=Channel.OPEN311, channel_message_id="civic-app:app-7"),
                          complaint_id=complaint_id, tracking_number=number)
        await a.until(lambda: a.view_status(number))
        response = await a.http.get(f"/open311/v2/requests/{number}.json")
        status = await a.http.get(f"/api/v1/complaints/{number}")

        assert by_token["service_request_id"] == number
        assert (before.status_code, before.text) == (unknown.status_code, unknown.text) == (404, unknown.text)
        assert response.status_code == 200, response.text
        assert response.json()[0]["service_request_id"] == number
        assert response.json()[0]["status"] == "open"
        assert status.status_code == 200 and status.json()["status"] == "diterima"


async def test_a_request_is_closed_when_the_complaint_is_closed(adapters):
    async with adapters() as a:
        number = (await submit(a))["service_request_id"]
        await a.until(lambda: a.view_status(number))
        complaint_id = await a.complaint_id(number)

        await a.lifecycle(ComplaintClosed(reason="resolved", by="agency"), complaint_id=complaint_id,
                          tracking_number=number)
        [request] = (await a.http.get(f"/open311/v2/requests/{number}.json")).json()
        closed = (await a.http.get("/open311/v2/requests.json", params={"status": "closed"})).json()

        assert request["status"] == "closed"
        assert "selesai" in request["status_notes"].lower()
        assert [r["service_request_id"] for r in closed] == [number]


async def test_a_bad_api_key_is_403_in_the_spec_error_format(adapters):
    async with adapters() as a:
        response = await a.http.post("/open311/v2/requests.json", data=request_form(api_key="wrong"))
        missing = await a.http.post("/open311/v2/requests.json", data={k: v for k, v in request_form().items()
                                                                      if k != "api_key"})

        assert response.status_code == missing.status_code == 403
        assert response.json() == [{"code": 403, "description": "api_key tidak valid. / Invalid api_key."}]
        assert a.submissions == []


@pytest.mark.parametrize(("overrides", "drop"), [
    ({"service_code": "teleportasi"}, ()),
    ({}, ("service_code",)),
    ({}, ("lat", "long", "address_string")),
    ({"lat": "utara"}, ()),
])
async def test_a_request_missing_what_the_spec_requires_is_400(adapters, overrides, drop):
    async with adapters() as a:
        fields = {k: v for k, v in request_form(**overrides).items() if k not in drop}

        response = await a.http.post("/open311/v2/requests.json", data=fields)

        assert response.status_code == 400
        assert response.json()[0]["code"] == 400 and response.json()[0]["description"]
        assert a.submissions == []


async def test_a_request_intake_refuses_is_400_with_its_reasons(adapters):
    async with adapters() as a:
        response = await a.http.post("/open311/v2/requests.json", data=request_form(description="rusak"))

        assert response.status_code == 400
        assert any("terlalu pendek" in e["description"] for e in response.json())


async def test_errors_are_xml_when_xml_is_asked_for(adapters):
    async with adapters() as a:
        response = await a.http.post("/open311/v2/requests.xml", data=request_form(api_key="wrong"))

        root = ElementTree.fromstring(response.content)
        assert response.status_code == 403
        assert root.tag == "errors" and root.find("error").findtext("code") == "403"


async def test_an_unknown_request_or_token_is_404(adapters):
    async with adapters() as a:
        assert (await a.http.get("/open311/v2/requests/LPR-0000-0000Z.json")).status_code == 404
        assert (await a.http.get("/open311/v2/tokens/nothing-here.json")).status_code == 404


async def test_the_listing_never_shows_a_rahasia_complaint_nor_any_reporter(adapters):
    async with adapters() as a:
        marker = "Rahasia7402"
        name_marker, email = "Penanda9105", f"penanda9105-{uuid.uuid4().hex[:6]}@example.org"
        phone = unique_phone()
        public = await submit(a)
        secret = await submit(a, description=f"Kepala dinas meminta setoran {marker} dari pedagang pasar.",
                              **{"attribute[rahasia]": "ya"})
        anonymous = await submit(a, first_name=name_marker, email=email, phone=phone,
                                 **{"attribute[anonim]": "ya"})
        numbers = [c["service_request_id"] for c in (public, secret, anonymous)]
        for number in numbers:
            await a.until(lambda n=number: a.view_status(n))

        listing = await a.http.get("/open311/v2/requests.json")
        listing_xml = await a.http.get("/open311/v2/requests.xml")
        secret_one = await a.http.get(f"/open311/v2/requests/{numbers[1]}.json")
        anonymous_one = await a.http.get(f"/open311/v2/requests/{numbers[2]}.json")

        listed = {r["service_request_id"] for r in listing.json()}
        assert numbers[0] in listed and numbers[2] in listed
        assert numbers[1] not in listed
        assert numbers[1] not in listing_xml.text
        unknown_one = await a.http.get(f"/open311/v2/requests/{valid_tracking_number()}.json")
        assert (secret_one.status_code, secret_one.content) == (unknown_one.status_code, unknown_one.content)
        assert secret_one.status_code == 404
        for response in (listing, listing_xml, secret_one, anonymous_one):
            for needle in (marker, name_marker, email, phone, phone[3:]):
                assert needle not in response.text


async def test_the_listing_filters_by_service_code_and_date(adapters):
    async with adapters() as a:
        road = (await submit(a))["service_request_id"]
        clinic = "Puskesmas tutup pada jam pelayanan tanpa pemberitahuan."
        health = (await submit(a, service_code="kesehatan", description=clinic))["service_request_id"]
        for number in (road, health):
            await a.until(lambda n=number: a.view_status(n))

        only_health = (await a.http.get("/open311/v2/requests.json", params={"service_code": "kesehatan"})).json()
        future = (await a.http.get("/open311/v2/requests.json", params={"start_date": "2999-01-01T00:00:00Z"})).json()
        bad = await a.http.get("/open311/v2/requests.json", params={"start_date": "kemarin"})

        assert [r["service_request_id"] for r in only_health] == [health]
        assert future == []
        assert bad.status_code == 400


async def test_a_json_post_with_an_idempotency_key_files_once(adapters):
    async with adapters() as a:
        fields = request_form()
        body = {k: v for k, v in fields.items() if not k.startswith("attribute[")}
        body["attribute"] = {"region_code": "18.71", "request_id": "app-42"}

        first = await a.http.post("/open311/v2/requests.json", json=body)
        second = await a.http.post("/open311/v2/requests.json", json=body)

        assert first.json()[0]["service_request_id"] == second.json()[0]["service_request_id"]
        assert await a.count(
            "SELECT count(*) FROM intake.complaints WHERE channel_message_id = 'civic-app:app-42'") == 1


async def test_a_civic_app_gets_the_reporters_key_once_in_the_answer_or_the_token_poll(adapters):
    async with adapters() as a:
        created = await submit(a)
        number = created["service_request_id"]
        [proof] = await a.sql("SELECT key_verifier FROM reporter_keys WHERE tracking_number = $1", number)
        [poll] = (await a.http.get(f"/open311/v2/tokens/{created['token']}.json")).json()

    key = created["reporter_key"]
    assert reporter_proof.normalise(key) == key and proof["key_verifier"] == reporter_proof.verifier(key)
    assert key in created["service_notice"] and number in created["service_notice"]
    assert "reporter_key" not in poll and key not in str(poll)


async def test_when_intake_answers_late_the_token_poll_carries_the_key_once(adapters):
    async with adapters(intake=False, wait_s=0) as a:
        created = await submit(a, **{"attribute[request_id]": "app-9"})
        number = valid_tracking_number()
        answer = submission_accepted(channel=Channel.OPEN311, channel_message_id="civic-app:app-9",
                                     tracking_number=number)
        await a.answer(submission_accepted_envelope(answer))
        first = await a.http.get(f"/open311/v2/tokens/{created['token']}.xml")
        [again] = (await a.http.get(f"/open311/v2/tokens/{created['token']}.json")).json()

    assert "reporter_key" not in created
    assert f"<reporter_key>{answer.reporter_key}</reporter_key>" in first.text
    assert first.headers["cache-control"] == "no-store"
    assert again == {"service_request_id": number, "token": created["token"]}
