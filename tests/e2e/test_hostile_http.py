"""The hostile HTTP corpus against every public endpoint of every service, each running as its own
process: every request is refused with a 4xx and a reason, none gets a 5xx or no answer, bursts get
429 with Retry-After, a flood is logged once, and every service is still ready afterwards."""

from __future__ import annotations

import asyncio
import itertools
import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.platform import Platform
from tests.hostile.http_client import Answer, send
from tests.hostile.http_corpus import CORPUS, ENDPOINTS, Endpoint, Hostile, targets

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

LIMITS = {
    "LAPOR_HTTP__TRUSTED_PROXIES": "127.0.0.1",  # the corpus gives each request its own X-Forwarded-For
    "LAPOR_HTTP__BODY_TIMEOUT_S": "1",
    "LAPOR_HTTP__HEADER_TIMEOUT_S": "2",
    "LAPOR_HTTP__RATE_LOOKUP__BURST": "20",
    "LAPOR_HTTP__RATE_LOOKUP__PER_MINUTE": "60",
    "LAPOR_HTTP__RATE_LOGIN__BURST": "5",
    "LAPOR_HTTP__LOG_WINDOW_S": "600",
}
BURSTS = {"lookup_burst", "login_brute_force"}


@pytest.fixture
def guarded_platform(infra: Infrastructure, kafka_bootstrap: str, database_url: str, tmp_path) -> Iterator[Platform]:
    running = Platform(kafka_bootstrap, database_url, tmp_path / "logs", extra_env=LIMITS, quick_groups=True).start()
    try:
        yield running
    finally:
        running.stop()


def ready(port: int) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return response.status
    except OSError as exc:
        return getattr(exc, "code", 0)


def refused_lines(log: Path, client: str) -> list[dict]:
    lines = []
    for text in log.read_text(errors="replace").splitlines():
        if '"http_refused"' in text:
            entry = json.loads(text)
            if entry.get("client") == client:
                lines.append(entry)
    return lines


async def test_every_public_endpoint_refuses_the_hostile_corpus_with_a_reason_and_never_a_5xx(guarded_platform):
    platform = guarded_platform
    addresses = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))
    pairs = [(hostile, endpoint, next(addresses)) for hostile in CORPUS for endpoint in targets(hostile)]
    at_once = asyncio.Semaphore(8)

    async def attack(hostile: Hostile, endpoint: Endpoint, client: str) -> list[Answer]:
        async with at_once:
            return await send(endpoint, hostile, port=platform.services[endpoint.service].port, client=client)

    results = await asyncio.gather(*(attack(*pair) for pair in pairs))

    wrong = []
    for (hostile, endpoint, _), answers in zip(pairs, results, strict=True):
        for n, answer in enumerate(answers):
            expected = answer.status in hostile.expect and (answer.status != 429 or hostile.name in BURSTS)
            if not expected or answer.reason() is None:
                wrong.append(f"{hostile.name} → {endpoint.name} #{n}: {answer.status} {answer.error or ''}"
                             f" {answer.body[:160]!r}")
    assert not wrong, "\n".join(wrong)
    assert all(targets(h) for h in CORPUS) and len(CORPUS) >= 20
    hit = {endpoint.name for hostile, endpoint, _ in pairs}
    assert hit == {e.name for e in ENDPOINTS}  # every endpoint got its share

    by_name = {(h.name, e.name): (answers, client) for (h, e, client), answers in zip(pairs, results, strict=True)}
    for endpoint in ("gateway_api_status", "followup_status", "notify_inbox", "gateway_open311_request"):
        answers, _ = by_name[("lookup_burst", endpoint)]
        statuses = Counter(a.status for a in answers)
        assert statuses[429] >= 20, (endpoint, statuses)  # a bucket of 20 refilled at 1/s, then refused
        limited = next(a for a in answers if a.status == 429)
        assert int(limited.headers["retry-after"]) >= 1
    logins, login_client = by_name[("login_brute_force", "dashboard_login")]
    assert [a.status for a in logins] == [401] * 5 + [429] * 5

    # a flood from one address is one log line per reason and window, not one per request
    _, burst_client = by_name[("lookup_burst", "followup_status")]
    flood = refused_lines(platform.services["followup"].log_path, burst_client)
    assert [(e["code"], e["status"]) for e in flood] == [("rate_limited", 429)]
    assert [e["code"] for e in refused_lines(platform.services["dashboard"].log_path, login_client)] == [
        "rate_limited"]

    for name, service in platform.services.items():
        assert await asyncio.to_thread(ready, service.port) == 200, f"{name} is not ready after the corpus"
