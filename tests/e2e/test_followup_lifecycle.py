"""An agency drives a complaint through acknowledge → respond by publishing commands to the broker; the
reporter reads its status by tracking number over HTTP from the followup process."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import pytest

from lapor_shared.events import Envelope
from lapor_shared.events.commands import AcknowledgeComplaint, RespondToComplaint
from lapor_shared.testing.kafka_io import consume, publish, wait_for
from lapor_shared.topics import AGENCY_COMMANDS, COMPLAINTS, SUBMISSIONS
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


async def test_an_agency_acknowledges_and_responds_and_the_reporter_sees_it_by_tracking_number(platform):
    sent = submission()
    await publish(platform.bootstrap_servers, SUBMISSIONS.name, [sent])

    def deadline_of_this_complaint(records) -> bool:
        return any(dict(r.headers).get("event_type") == b"complaint.deadline_set"
                   and json.loads(r.value)["correlation_id"] == str(sent.correlation_id) for r in records)

    records = await consume(platform.bootstrap_servers, topics=[COMPLAINTS.name], until=deadline_of_this_complaint)
    deadline = next(json.loads(r.value) for r in records
                    if dict(r.headers).get("event_type") == b"complaint.deadline_set"
                    and json.loads(r.value)["correlation_id"] == str(sent.correlation_id))
    agency_id = deadline["payload"]["agency_id"]
    ids = {"complaint_id": deadline["complaint_id"], "tracking_number": deadline["tracking_number"]}
    assert deadline["producer"] == "followup" and deadline["payload"]["working_days"] == 5

    status_url = (f"http://127.0.0.1:{platform.services['followup'].port}/v1/status"
                  f"?tracking_number={ids['tracking_number']}")
    code, body = await asyncio.to_thread(get_json, status_url)
    assert code == 200 and body["status"] == "routed"

    commands = [
        Envelope.new(AcknowledgeComplaint(agency_id=agency_id, officer_ref="petugas-e2e"), producer="agency-app",
                     **ids),
        Envelope.new(RespondToComplaint(agency_id=agency_id, text="Lubang sudah ditambal pada hari ini.",
                                        internal_note="Catatan internal: pakai sisa aspal gudang."),
                     producer="agency-app", **ids),
    ]
    await publish(platform.bootstrap_servers, AGENCY_COMMANDS.topic(agency_id), commands)  # its own topic

    async def responded() -> Any:
        code, body = await asyncio.to_thread(get_json, status_url)
        return body if code == 200 and body["status"] == "responded" else None

    body = await wait_for(responded, timeout=30)
    assert body, "the complaint should reach 'responded' through the agency's commands"
    assert body["status_label"] == "Ditindaklanjuti oleh instansi"
    steps = [s["status"] for s in body["history"]]
    assert "acknowledged" in steps and steps[-1] == "responded"
    assert any(s.get("text") == "Lubang sudah ditambal pada hari ini." for s in body["history"])
    everything = json.dumps(body, ensure_ascii=False)
    assert "aspal gudang" not in everything and "petugas-e2e" not in everything
    assert "Siti" not in everything and "+62812" not in everything
