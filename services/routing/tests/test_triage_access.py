"""The triage queue is the admins' alone: a bearer token bound to one scope (``lapor_shared.bearer``, the
mechanism of followup's work list) reads the complaints waiting inside that scope's subtree, nothing else
(issue 14: "routing's /triage is open")."""

from __future__ import annotations

import io

import asyncpg
import pytest

from lapor_routing.admin import run
from lapor_routing.app import build
from lapor_routing.settings import RoutingSettings
from lapor_shared.events import encode
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, location
from lapor_shared.topics import COMPLAINTS

from .test_http import admin, routing_over_http

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

IN_WEST_JAVA = location(region_code=None, text="Bandung", latitude=None, longitude=None)
NOWHERE = location(region_code=None, text="Jalan Merdeka No. 1", latitude=None, longitude=None)


async def sql(database_url: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(query)
    finally:
        await conn.close()


async def two_waiting(broker) -> tuple[str, str]:
    """One complaint waiting at West Java's triage desk (32), one at the nation's (ID)."""
    west_java = accepted_envelope(complaint_accepted(location=IN_WEST_JAVA, confidential=True))
    nowhere = accepted_envelope(complaint_accepted(location=NOWHERE))
    for accepted in (west_java, nowhere):
        await broker.publish(encode(accepted), topic=COMPLAINTS.name)
    return west_java.tracking_number, nowhere.tracking_number


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {w["tracking_number"] for w in response.json()["waiting"]}


async def test_without_a_good_token_the_triage_queue_is_401_with_the_reason_in_both_languages(database_url):
    async with routing_over_http(database_url) as (http, broker):
        await two_waiting(broker)
        answers = [await http.get("/triage"), await http.get("/triage", params={"jurisdiction": "99.99"}),
                   await http.get("/triage", headers={"authorization": "Bearer token-yang-ditebak"}),
                   await http.get("/triage", headers={"authorization": "Basic YWRtaW46YWRtaW4="})]

    assert {a.status_code for a in answers} == {401}  # an unknown code is not even looked at without a token
    for answer in answers:
        [why] = answer.json()["reasons"]
        assert why["code"] == "unauthorised"
        assert "Kredensial admin" in why["message_id"] and "admin credential" in why["message_en"]
        assert answer.headers["www-authenticate"] == 'Bearer realm="lapor-routing"'
        assert "waiting" not in answer.json()


async def test_an_admin_sees_only_the_triage_items_inside_its_scope(database_url):
    async with routing_over_http(database_url) as (http, broker):
        west_java, nowhere = await two_waiting(broker)

        assert numbers(await http.get("/triage", headers=admin("ID"))) == {west_java, nowhere}
        assert numbers(await http.get("/triage", headers=admin("32"))) == {west_java}
        assert numbers(await http.get("/triage", params={"jurisdiction": "32"}, headers=admin("32"))) == {west_java}
        assert numbers(await http.get("/triage", headers=admin("18"))) == set()
        assert (await http.get("/triage", headers=admin("32"))).json()["scope"] == "32"


async def test_a_jurisdiction_outside_the_tokens_scope_is_403_whatever_the_request_claims(database_url):
    async with routing_over_http(database_url) as (http, broker):
        await two_waiting(broker)
        answers = [await http.get("/triage", params={"jurisdiction": code}, headers=admin("18"))
                   for code in ("ID", "32", "19.71")]

    assert {a.status_code for a in answers} == {403}
    assert {a.json()["reasons"][0]["code"] for a in answers} == {"outside_scope"}
    assert all("waiting" not in a.json() for a in answers)


async def test_operators_issue_a_token_bound_to_a_scope_and_revoke_it(database_url):
    settings = RoutingSettings(database_url=database_url)
    async with routing_over_http(database_url) as (http, broker):
        west_java, _ = await two_waiting(broker)
        out = io.StringIO()
        await run(["token", "add", "32", "--label", "admin jabar"], settings, out)
        token = out.getvalue().strip()
        issued = {"authorization": f"Bearer {token}"}

        assert len(token) >= 32
        assert numbers(await http.get("/triage", headers=issued)) == {west_java}
        stored = await sql(database_url, "SELECT token_sha256, scope FROM routing.admin_credentials"
                                       " WHERE label = 'admin jabar'")
        assert stored[0]["scope"] == "32" and token not in stored[0]["token_sha256"]

        await run(["token", "revoke", "32"], settings, io.StringIO())
        assert (await http.get("/triage", headers=issued)).status_code == 401
        assert (await http.get("/triage", headers=admin("32"))).status_code == 401  # every token of the scope


def test_a_configured_token_for_a_scope_nobody_knows_stops_the_build():
    with pytest.raises(ValueError, match="unknown scope"):
        build(RoutingSettings(admin_tokens="99.99=" + "x" * 40))


def test_production_refuses_a_short_or_demo_admin_token_and_names_the_setting():
    weak = RoutingSettings(environment="production", admin_tokens="18=token-admin-lampung")
    strong = RoutingSettings(environment="production", admin_tokens="18=" + "k" * 43)

    assert weak.development_values() == ["LAPOR_ADMIN_TOKENS (token ≥ 32 karakter/characters)"]
    assert strong.development_values() == []
