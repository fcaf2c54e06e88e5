"""Operations can see the platform: metrics move as complaints flow, one trace follows a complaint
through every service, and readiness reports a database or a broker that went away."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.kafka_io import consume, publish, wait_for
from lapor_shared.testing.platform import Platform
from lapor_shared.topics import COMPLAINTS, NOTIFICATIONS, SUBMISSIONS
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PIPELINE = {"intake", "routing", "followup", "notify"}


def get(port: int, path: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def metric(port: int, name: str, **labels: str) -> float:
    """The sum of a Prometheus sample over the series matching ``labels``."""
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    total = 0.0
    for line in get(port, "/metrics")[1].splitlines():
        if line.startswith(name + "{") and all(w in line for w in wanted):
            total += float(line.rsplit(" ", 1)[1])
    return total


def headers(record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C ``traceparent`` (``00-<trace id>-<span id>-<flags>``)."""
    return traceparent.split("-")[1] if traceparent else None


async def test_metrics_move_as_a_complaint_flows_and_one_trace_links_all_four_services(platform):
    ports = {name: platform.services[name].port for name in PIPELINE}
    before = {name: metric(port, "lapor_events_emitted_total") for name, port in ports.items()}
    complaint = submission()
    correlation = str(complaint.correlation_id)

    await publish(platform.bootstrap_servers, SUBMISSIONS.name, [complaint])
    records = await consume(
        platform.bootstrap_servers, topics=[COMPLAINTS.name, NOTIFICATIONS.name], timeout=120,
        until=lambda rs: {headers(r).get("producer") for r in rs
                          if headers(r).get("correlation_id") == correlation} >= PIPELINE,
    )

    mine = [headers(r) for r in records if headers(r).get("correlation_id") == correlation]
    assert {h["producer"] for h in mine} >= PIPELINE, "the complaint passed every service"
    traces = {trace_id(h.get("traceparent")) for h in mine}
    untraced = [(h["producer"], h["event_type"]) for h in mine if not h.get("traceparent")]
    assert not untraced, f"events without a trace context: {untraced}"
    assert len(traces) == 1, f"one trace from intake to notify, not {traces}"
    # each service's counter of emitted events went up, and FastStream's own middleware counts too
    for name, port in ports.items():
        assert await wait_for(lambda p=port, n=name: metric(p, "lapor_events_emitted_total") > before[n],
                              timeout=30), f"{name}'s emitted-events counter did not move"
    assert metric(ports["notify"], "lapor_events_emitted_total", event_type="notification.sent") >= 1
    assert metric(ports["notify"], "lapor_messages_processed_total") >= 1
    assert await wait_for(lambda: metric(ports["followup"], "lapor_complaints_by_status") >= 1, timeout=30), \
        "followup's gauge of complaints by status did not count the complaint (refreshed every 10 s)"
    assert metric(ports["routing"], "faststream_received_messages_total") >= 1


async def test_readiness_reports_a_stopped_database_and_recovers_without_a_restart(platform, infra):
    if infra.postgres is None:
        pytest.skip("needs the embedded PostgreSQL, which the test can stop")
    port = platform.services["followup"].port
    assert get(port, "/readyz")[0] == 200

    await asyncio.to_thread(infra.postgres.pg_ctl, "-m", "fast", "stop")
    try:
        assert await wait_for(lambda: get(port, "/readyz")[0] == 503, timeout=30), "still ready without a database"
        checks = json.loads(get(port, "/readyz")[1])
        assert checks["postgres"] is False and checks["kafka"] is True
        assert get(port, "/healthz")[0] == 200, "alive, only not ready: no restart is needed"
    finally:
        await asyncio.to_thread(infra.postgres.restart_after_stop)
    assert await wait_for(lambda: get(port, "/readyz")[0] == 200, timeout=60), "not ready again after PostgreSQL"
    assert platform.services["followup"].process.poll() is None, "the service kept running"


async def test_readiness_reports_a_stopped_broker(infra: Infrastructure, database_url, tmp_path):
    bootstrap, broker = await asyncio.to_thread(infra.new_kafka, tmp_path)
    if broker is None:
        pytest.skip("needs an embedded broker, which the test can stop")
    routing_only = Platform(bootstrap, database_url, tmp_path / "logs", quick_groups=True)
    service = await asyncio.to_thread(routing_only.start, ("routing",))
    try:
        port = service.services["routing"].port
        assert get(port, "/readyz")[0] == 200

        await asyncio.to_thread(broker.stop)

        assert await wait_for(lambda: get(port, "/readyz")[0] == 503, timeout=30), "still ready without a broker"
        checks = json.loads(get(port, "/readyz")[1])
        assert checks["kafka"] is False and checks["postgres"] is True
        assert get(port, "/healthz")[0] == 200
    finally:
        await asyncio.to_thread(service.stop)
