"""Agencies bound to their identity, through the whole platform on a real broker, as a new user with a plain
Kafka client would try it (issue 14): Dinas Kesehatan cannot act on Dinas PU's complaint by naming Dinas PU
in its payload, while Dinas PU's own topic works; and a sibling agency of the same city, reading every topic
its Kafka grants allow, never sees a rahasia complaint's content, which the responsible agency's own stream
carries whole."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any
from uuid import UUID

import pytest

from lapor_shared.access import agency_grants, allows
from lapor_shared.events import Envelope
from lapor_shared.events.commands import AcknowledgeComplaint, RespondToComplaint
from lapor_shared.events.values import Location
from lapor_shared.testing.kafka_io import consume, publish, wait_for
from lapor_shared.topics import AGENCY_COMMANDS, COMPLAINTS, SUBMISSIONS, agency_stream, all_topics
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SECRET_TITLE = "Pungli di Puskesmas Kedaton"
SECRET_TEXT = "Petugas loket meminta uang Rp50.000 kepada pasien BPJS setiap pagi."
ANSWER = "Petugas loket tersebut telah diperiksa Inspektorat dan dibebastugaskan."


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


async def routed_of(bootstrap: str, sent: Envelope[Any]) -> dict[str, Any]:
    def found(records) -> list[dict[str, Any]]:
        bodies = [json.loads(r.value) for r in records if dict(r.headers).get("event_type") == b"complaint.routed"]
        return [b for b in bodies if b["correlation_id"] == str(sent.correlation_id)]

    records = await consume(bootstrap, topics=[COMPLAINTS.name], until=lambda rs: bool(found(rs)), timeout=60)
    [routed] = found(records)
    return routed


def command(payload: Any, routed: dict[str, Any], agency: str) -> Envelope[Any]:
    return Envelope.new(payload, producer=f"agency:{agency}", complaint_id=UUID(routed["complaint_id"]),
                        tracking_number=routed["tracking_number"])


async def test_agency_a_cannot_act_on_agency_bs_complaint_by_naming_b_and_bs_own_topic_works(platform):
    bootstrap = platform.bootstrap_servers
    sent = submission(location=Location(region_code="18.71"), category_hint="jalan")
    await publish(bootstrap, SUBMISSIONS.name, [sent])
    routed = await routed_of(bootstrap, sent)
    assert routed["payload"]["agency"]["agency_id"] == "pu.18.71"
    status_url = (f"http://127.0.0.1:{platform.services['followup'].port}/v1/status"
                  f"?tracking_number={routed['tracking_number']}")

    impostor = command(AcknowledgeComplaint(agency_id="pu.18.71"), routed, "dinkes.18.71")
    await publish(bootstrap, AGENCY_COMMANDS.topic("dinkes.18.71"), [impostor])  # Dinkes's own topic, naming PU

    def refusal(records) -> list[dict[str, Any]]:
        bodies = [json.loads(r.value) for r in records]
        return [b for b in bodies if b["event_type"] == "complaint.action_rejected"
                and b["payload"]["command_id"] == str(impostor.event_id)]

    records = await consume(bootstrap, topics=[COMPLAINTS.name], until=lambda rs: bool(refusal(rs)), timeout=60)
    assert [b["payload"]["reason"]["code"] for b in refusal(records)] == ["sender_mismatch"]
    code, body = await asyncio.to_thread(get_json, status_url)
    assert code == 200 and body["status"] == "routed"

    await publish(bootstrap, AGENCY_COMMANDS.topic("pu.18.71"),
                  [command(AcknowledgeComplaint(agency_id="pu.18.71"), routed, "pu.18.71")])

    async def acknowledged() -> bool:
        code, body = await asyncio.to_thread(get_json, status_url)
        return code == 200 and body["status"] == "acknowledged"

    assert await wait_for(acknowledged, timeout=30)


async def test_a_sibling_agency_reads_no_rahasia_content_from_any_topic_it_is_granted(platform):
    bootstrap = platform.bootstrap_servers
    sent = submission(location=Location(region_code="18.71"), category_hint="kesehatan", confidential=True,
                      title=SECRET_TITLE, description=SECRET_TEXT)
    await publish(bootstrap, SUBMISSIONS.name, [sent])
    routed = await routed_of(bootstrap, sent)
    assert routed["payload"]["agency"]["agency_id"] == "dinkes.18.71"
    await publish(bootstrap, AGENCY_COMMANDS.topic("dinkes.18.71"),
                  [command(RespondToComplaint(agency_id="dinkes.18.71", text=ANSWER), routed, "dinkes.18.71")])

    own = agency_stream("18.71", "dinkes.18.71")
    whole = await consume(bootstrap, topics=[own], timeout=60,
                          until=lambda rs: any(ANSWER.encode() in r.value for r in rs))
    assert any(SECRET_TEXT.encode() in r.value for r in whole), "the responsible agency reads its complaint whole"
    assert any(ANSWER.encode() in r.value for r in whole)

    granted = agency_grants("pu.18.71", "18.71")
    readable = sorted(t.name for t in all_topics() if allows(granted, "Read", t.name))
    assert readable == sorted([agency_stream("18.71", "pu.18.71"), "lapor.jurisdiction.ID.18.71"])
    def types_about_it(records) -> set[str]:
        bodies = (json.loads(r.value) for r in records)
        return {b["event_type"] for b in bodies if b["correlation_id"] == str(sent.correlation_id)}

    seen = await consume(bootstrap, topics=readable, timeout=30,
                         until=lambda rs: {"complaint.routed", "complaint.responded"} <= types_about_it(rs))
    assert {"complaint.routed", "complaint.responded"} <= types_about_it(seen), "the shared topic shows it happened"
    for record in seen:
        for secret in (SECRET_TITLE, SECRET_TEXT, ANSWER):
            assert secret.encode() not in record.value, (record.topic, secret)
