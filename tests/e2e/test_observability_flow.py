"""Operations can see the platform: metrics move as complaints flow, one trace follows a complaint
through every service, and readiness reports a database that went away."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

from lapor_shared.testing.kafka_io import consume, publish, wait_for
from lapor_shared.topics import COMPLAINTS, NOTIFICATIONS, SUBMISSIONS
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def get(port: int, path: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(text: str, name: str, **labels: str) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    for line in text.splitlines():
        if line.startswith(name + "{") and all(w in line for w in wanted):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_move_and_one_trace_links_every_service_for_a_complaint(platform):
    intake_port = platform.services["intake"].port
    before = metric(get(intake_port, "/metrics")[1], "lapor_events_emitted_total", event_type="complaint.accepted")
    complaint = submission()

    await publish(platform.bootstrap_servers, SUBMISSIONS.name, [complaint])

    correlation = str(complaint.correlation_id)
    records = await consume(
        platform.bootstrap_servers, topics=[COMPLAINTS.name, NOTIFICATIONS.name],
        until=lambda rs: {dict(r.headers)["producer"] for r in rs
                          if dict(r.headers)["correlation_id"].decode() == correlation}
        >= {b"intake", b"routing", b"followup", b"notify"},
        timeout=90,
    )
    mine = [dict(r.headers) for r in records if dict(r.headers)["correlation_id"].decode() == correlation]
    traces = {h[b"traceparent"].split(b"-")[1] if isinstance(h.get(b"traceparent"), bytes) else None for h in mine}
    assert {h["producer"] for h in mine} >= {b"intake", b"routing", b"followup", b"notify"}
    assert len(traces) == 1 and None not in traces, "every event of the complaint carries the same trace id"

    after = metric(get(intake_port, "/metrics")[1], "lapor_events_emitted_total", event_type="complaint.accepted")
    assert after >= before + 1
    status, text = get(platform.services["routing"].port, "/metrics")
    assert status == 200 and "faststream_received_messages_total" in text


async def test_readiness_reports_a_database_that_went_away_and_recovers(platform, infra):
    if infra.postgres is None:
        pytest.skip("needs the embedded PostgreSQL, which the test can stop")  # pragma: no cover
    port = platform.services["followup"].port
    assert get(port, "/readyz")[0] == 200

    await asyncio.to_thread(infra.postgres.pg_ctl, "-m", "fast", "stop")
    try:
        down = await wait_for(lambda: get(port, "/readyz")[0] == 503, timeout=30)
        status, body = get(port, "/readyz")
        assert down and json.loads(body)["postgres"] is False and json.loads(body)["kafka"] is True
        assert get(port, "/healthz")[0] == 200, "alive, only not ready: no restart needed"
    finally:
        await asyncio.to_thread(infra.postgres.restart_after_stop)
    assert await wait_for(lambda: get(port, "/readyz")[0] == 200, timeout=60)
