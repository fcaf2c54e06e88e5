"""Open311 GeoReport v2 against the running platform: a civic app that sends only a point is routed to
an agency of the regency the point lies in, and an independent GeoReport v2 client (``georeport`` from
PyPI, not our code) reads discovery-advertised services, definitions and requests in JSON and XML.

``georeport`` 0.3.1 has no call for the discovery document or for POST requests; those two steps are
plain HTTP here, built from the spec's field names, and the rest of the walk goes through the library.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from georeport import GeoReport  # type: ignore[import-untyped]  # the library ships no type information

from lapor_gateway.settings import AdapterSettings
from lapor_shared.testing.kafka_io import consume, wait_for
from lapor_shared.topics import COMPLAINTS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TUGU_ADIPURA = {"lat": "-5.4292", "long": "105.2610"}  # the roundabout in the centre of Kota Bandar Lampung


async def _post_point_only(http: httpx.AsyncClient, key: str, description: str) -> str:
    """POST a request with a point and nothing else about the place; its tracking number."""
    posted = await http.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "jalan", **TUGU_ADIPURA, "description": description,
        "email": "warga@example.id",
    })
    assert posted.status_code == 200, posted.text
    [answer] = posted.json()
    if "service_request_id" in answer:
        return str(answer["service_request_id"])

    async def by_token() -> str | None:
        [item] = (await http.get(f"/open311/v2/tokens/{answer['token']}.json")).json()
        return item.get("service_request_id")

    number = await wait_for(by_token, timeout=60, interval=0.5)
    assert number, "intake never answered the Open311 request"
    return str(number)


async def test_an_open311_post_with_only_a_point_in_bandar_lampung_is_routed_to_an_agency_of_18_71(platform):
    key = next(iter(AdapterSettings().open311_clients()))
    base = f"http://127.0.0.1:{platform.services['gateway'].port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        number = await _post_point_only(
            http, key, "Lubang besar di bundaran Tugu Adipura, sudah dua minggu membahayakan pengendara.")

        def routed_ones(records: list) -> list[dict]:
            return [json.loads(r.value) for r in records
                    if dict(r.headers)["event_type"] == b"complaint.routed"
                    and json.loads(r.value).get("tracking_number") == number]

        records = await consume(platform.bootstrap_servers, topics=[COMPLAINTS.name],
                                until=lambda rs: bool(routed_ones(rs)), timeout=60)
        [routed] = routed_ones(records)

        async def agency_shown() -> str | None:
            [request] = (await http.get(f"/open311/v2/requests/{number}.json")).json()
            return request.get("agency_responsible")

        shown = await wait_for(agency_shown, timeout=60, interval=0.5)

    assert routed["payload"]["agency"]["jurisdiction_code"] == "18.71"
    assert routed["payload"]["location"]["region_code"] in (None, "18.71")
    assert shown == routed["payload"]["agency"]["name"]


async def test_an_independent_georeport_v2_client_walks_discovery_services_definition_post_and_get(platform):
    key = next(iter(AdapterSettings().open311_clients()))
    base = f"http://127.0.0.1:{platform.services['gateway'].port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        discovery = (await http.get("/open311/v2/discovery.json")).json()
        [endpoint] = [e for e in discovery["endpoints"] if e["specification"].endswith("GeoReport_v2")]
        root = endpoint["url"]
        as_json = GeoReport(root, jurisdiction="18.71", api_key=key)
        as_xml = GeoReport(root, jurisdiction="lapor.go.id", api_key=key, output_format="xml")

        services = await asyncio.to_thread(as_json.get_service_list)
        services_xml = await asyncio.to_thread(as_xml.get_service_list)
        with_metadata = next(s for s in services if s["metadata"] is True)
        definition = await asyncio.to_thread(as_json.get_service_definition, with_metadata["service_code"])
        definition_xml = await asyncio.to_thread(as_xml.get_service_definition, with_metadata["service_code"])

        number = await _post_point_only(http, key, "Lampu jalan di bundaran Tugu Adipura padam sejak sepekan lalu.")

        async def listed() -> list[dict] | None:
            found = await asyncio.to_thread(as_json.get_service_requests, service_request_id=number)
            return found or None

        [from_list] = await wait_for(listed, timeout=60, interval=0.5)
        one = await asyncio.to_thread(as_json.get_service_request, number)
        one_xml = await asyncio.to_thread(as_xml.get_service_request, number)
        in_jurisdiction = await asyncio.to_thread(as_json.get_service_requests)

    assert "text/xml" in endpoint["formats"] and "application/json" in endpoint["formats"]
    assert {s["service_code"] for s in services} == {s["service_code"] for s in services_xml}
    codes = {a["code"] for a in definition["attributes"]}
    assert {"region_code", "title", "anonim", "rahasia", "report_type"} <= codes
    assert {a["code"] for a in definition_xml["attributes"]["attribute"]} == codes
    assert from_list["service_request_id"] == one["service_request_id"] == one_xml["service_request_id"] == number
    assert float(one["lat"]) == float(one_xml["lat"]) == -5.4292
    assert number in {r["service_request_id"] for r in in_jurisdiction}
