"""The agency examples in examples/agency/ work against a real Kafka-protocol broker: an agency reads its own
stream and writes its own command topic, commands routing and followup can decode; a monitoring level reads
the shared jurisdiction topics of its subtree."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from lapor_shared.events import decode
from lapor_shared.events.commands import AcknowledgeComplaint, ForwardComplaint, RespondToComplaint
from lapor_shared.testing.factories import agency_ref, complaint_routed, location, routed_envelope
from lapor_shared.testing.kafka_io import QUICK_SESSION, consume, publish
from lapor_shared.topics import AGENCY_COMMANDS, agency_stream, jurisdiction_topic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "agency"
QUICK_ARGS = ("--session-timeout-ms", str(QUICK_SESSION["session_timeout_ms"]))
"""The embedded broker holds a new member's join for half its session timeout (15 s with kafkajs's default)."""


def routed_to(agency_id: str, code: str, **fields):
    payload = complaint_routed(
        agency=agency_ref(agency_id=agency_id, name=agency_id, jurisdiction_code=code,
                          level="regency" if "." in code else "province"),
        location=location(region_code=code), **fields,
    )
    return routed_envelope(payload)


def load_python_example():
    spec = importlib.util.spec_from_file_location("consume_and_respond", EXAMPLES / "consume_and_respond.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_python_example_reads_its_own_stream_and_answers_on_its_own_command_topic(kafka_bootstrap):
    ours = [routed_to("dinkes.18.71", "18.71"), routed_to("dinkes.18.71", "18.71", anonymous=True)]
    neighbour = routed_to("dinsos.18.71", "18.71")
    await publish(kafka_bootstrap, agency_stream("18.71", "dinkes.18.71"), ours)
    await publish(kafka_bootstrap, agency_stream("18.71", "dinsos.18.71"), [neighbour])
    example = load_python_example()
    args = example.arguments().parse_args([
        "--agency", "dinkes.18.71", "--jurisdiction", "18.71", "--bootstrap", kafka_bootstrap,
        "--group", "example-test", "--officer", "petugas-9", "--max-messages", "2", *QUICK_ARGS,
    ])

    assert await asyncio.wait_for(example.run(args), 60) == 2

    records = await consume(kafka_bootstrap, topics=[AGENCY_COMMANDS.topic("dinkes.18.71")],
                            until=lambda rs: len(rs) >= 4)
    commands = [decode(r.value) for r in records]
    assert [type(c.payload) for c in commands] == [AcknowledgeComplaint, RespondToComplaint] * 2
    assert {c.complaint_id for c in commands} == {e.complaint_id for e in ours}
    for record, sent in zip(records, commands, strict=True):
        assert record.key == str(sent.complaint_id).encode()
        assert dict(record.headers)["event_type"] == sent.event_type.encode()
        original = next(e for e in ours if e.complaint_id == sent.complaint_id)
        assert sent.correlation_id == original.correlation_id and sent.causation_id == original.event_id


def test_the_python_examples_forward_command_is_a_valid_agency_forward():
    example = load_python_example()
    about = json.loads(routed_to("umum.18.71", "18.71").model_dump_json())

    sent = decode(json.dumps(example.command(
        "agency.forward", {"agency_id": "umum.18.71", "to_agency_id": "pu.18.71", "reason": "Bukan wewenang."},
        about=about, agency_id="umum.18.71",
    )))

    assert isinstance(sent.payload, ForwardComplaint)
    assert (sent.payload.agency_id, sent.payload.to_agency_id) == ("umum.18.71", "pu.18.71")
    assert str(sent.complaint_id) == about["complaint_id"] and str(sent.causation_id) == about["event_id"]


def _kafkajs_installed() -> bool:
    """Install the example's dependency (kafkajs, from the npm registry) on a fresh clone."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return False
    if not (EXAMPLES / "node_modules" / "kafkajs").is_dir():
        import subprocess

        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=EXAMPLES,
                       check=False, timeout=180, capture_output=True)
    return (EXAMPLES / "node_modules" / "kafkajs").is_dir()


@pytest.mark.skipif(not _kafkajs_installed(), reason="needs node, npm and the npm registry (npm install kafkajs)")
async def test_the_kafkajs_example_as_a_province_reads_every_shared_topic_of_the_province_and_no_stream(
        kafka_bootstrap):
    lampung = [routed_to("dinkes.18.71", "18.71"), routed_to("umum.18.01", "18.01")]
    neighbour = routed_to("umum.16.71", "16.71")
    for event in (*lampung, neighbour):
        await publish(kafka_bootstrap, jurisdiction_topic(event.jurisdiction_code), [event])
    await publish(kafka_bootstrap, agency_stream("18.71", "dinkes.18.71"), [lampung[0]])

    text = await run_kafkajs(kafka_bootstrap, "--level", "18", "--max-messages", "2")

    assert all(e.tracking_number in text for e in lampung), text
    assert neighbour.tracking_number not in text
    assert ".agency." not in text  # the overview, not the agencies' streams


@pytest.mark.skipif(not _kafkajs_installed(), reason="needs node, npm and the npm registry (npm install kafkajs)")
async def test_the_kafkajs_example_as_an_agency_acknowledges_from_its_stream_on_its_own_command_topic(
        kafka_bootstrap):
    ours = routed_to("dinkes.18.71", "18.71")
    await publish(kafka_bootstrap, agency_stream("18.71", "dinkes.18.71"), [ours])

    text = await run_kafkajs(kafka_bootstrap, "--agency", "dinkes.18.71", "--jurisdiction", "18.71",
                             "--max-messages", "1")

    assert ours.tracking_number in text
    records = await consume(kafka_bootstrap, topics=[AGENCY_COMMANDS.topic("dinkes.18.71")],
                            until=lambda rs: len(rs) >= 1)
    ack = decode(records[0].value)
    assert isinstance(ack.payload, AcknowledgeComplaint)
    assert ack.complaint_id == ours.complaint_id and ack.payload.agency_id == "dinkes.18.71"
    assert json.loads(records[0].value)["producer"] == "agency:dinkes.18.71"


async def run_kafkajs(bootstrap: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "node", "consume.js", *args, "--bootstrap", bootstrap, *QUICK_ARGS, cwd=EXAMPLES,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = output.decode()
    assert process.returncode == 0, text
    return text
