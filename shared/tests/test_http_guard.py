"""The HTTP guard: what no endpoint should have to handle is refused before it, with a reason in both
languages, and nothing an endpoint raises reaches the client as a dropped connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest
import structlog
from structlog.testing import capture_logs

import lapor_shared.http_guard
from lapor_shared.http_guard import HttpGuard
from lapor_shared.http_limits import ClientAddress, LogOnce, PublicRoute, RateLimiter
from lapor_shared.settings import HttpSettings, RateLimit, ServiceSettings

pytestmark = [pytest.mark.unit, pytest.mark.timeout(30)]

LOOKUPS = [PublicRoute("lookup", "/status"), PublicRoute("login", "/login", ("POST",))]


class Echo:
    """An endpoint that answers 200 with the body it was given, or raises what it is told to."""

    def __init__(self, raises: BaseException | None = None) -> None:
        self.raises = raises
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.raises is not None:
            raise self.raises
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})


class Answer:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        start = next(m for m in messages if m["type"] == "http.response.start")
        self.status: int = start["status"]
        self.headers = {k.decode(): v.decode() for k, v in start["headers"]}
        self.body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def reason(self) -> dict[str, Any]:
        [reason] = self.json()["reasons"]
        assert reason["message_id"] and reason["message_en"] and reason["message_id"] != reason["message_en"]
        return reason


async def call(app: Any, method: str = "GET", path: str = "/status", *, query: bytes = b"",
               headers: Sequence[tuple[str, str]] = (), body: Sequence[bytes | float] = (),
               client: str = "10.0.0.1") -> Answer:
    """One request through ``app``; a float in ``body`` is a pause (seconds) before the next chunk."""
    chunks = list(body)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        while chunks and isinstance(pause := chunks[0], float):
            chunks.pop(0)
            await asyncio.sleep(pause)
        if not chunks:
            return {"type": "http.request", "body": b"", "more_body": False}
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers], "client": (client, 40000)}
    await app(scope, receive, send)
    return Answer(sent)


def guarded(endpoint: Any = None, **limits: Any) -> HttpGuard:
    return HttpGuard(endpoint or Echo(), HttpSettings(**limits), public=LOOKUPS)


async def test_a_body_declared_larger_than_its_limit_is_413_before_the_endpoint_reads_a_byte():
    endpoint = Echo()
    answer = await call(guarded(endpoint, max_form_bytes=1000), "POST", "/submit",
                        headers=[("content-type", "application/x-www-form-urlencoded"),
                                 ("content-length", "10000000")], body=[b"a=1"])

    assert answer.status == 413 and answer.reason["code"] == "too_large"
    assert answer.headers["connection"] == "close"
    assert endpoint.calls == 0


async def test_a_streamed_body_is_counted_and_refused_once_it_passes_the_limit():
    answer = await call(guarded(max_json_bytes=100), "POST", "/submit",
                        headers=[("content-type", "application/json")], body=[b"[" + b"1," * 40] * 5)

    assert answer.status == 413 and "100" in answer.reason["message_en"]


async def test_each_content_type_has_its_own_limit_and_an_unknown_one_is_415():
    app = guarded(max_json_bytes=50, max_form_bytes=5000)
    form = await call(app, "POST", "/submit", headers=[("content-type", "application/x-www-form-urlencoded")],
                      body=[b"a=" + b"x" * 1000])
    json_body = await call(app, "POST", "/submit", headers=[("content-type", "application/json")],
                           body=[b'"' + b"x" * 1000 + b'"'])
    xml = await call(app, "POST", "/submit", headers=[("content-type", "application/xml")], body=[b"<a/>"])

    assert form.status == 200 and json_body.status == 413
    assert xml.status == 415 and xml.reason["code"] == "unsupported_media_type"


async def test_a_body_still_arriving_after_the_deadline_is_408():
    endpoint = Echo()
    answer = await call(guarded(endpoint, body_timeout_s=0.2), "POST", "/submit",
                        headers=[("content-type", "application/json"), ("content-length", "100")],
                        body=[b'{"a":', 5.0, b"1}"])

    assert answer.status == 408 and answer.reason["code"] == "body_timeout"
    assert endpoint.calls == 0


@pytest.mark.parametrize(("query", "field"), [
    (b"tracking_number=LPR-%E2%80%AEABCD", "tracking_number"),
    (b"nomor=%00", "nomor"),
    (b"x%07y=1", "query"),
])
async def test_a_query_with_a_control_character_or_a_direction_override_is_400(query, field):
    answer = await call(guarded(), query=query)

    assert answer.status == 400
    assert answer.reason["code"] == "control_character" and answer.reason["field"] == field


async def test_a_query_or_form_that_is_not_utf8_is_400():
    app = guarded()
    query = await call(app, query=b"nomor=%FF%FE")
    form = await call(app, "POST", "/submit", headers=[("content-type", "application/x-www-form-urlencoded")],
                      body=[b"title=%C3%28"])

    assert (query.status, query.reason["code"]) == (400, "invalid_encoding")
    assert (form.status, form.reason["code"]) == (400, "invalid_encoding")


async def test_a_form_field_with_a_right_to_left_override_is_refused_and_names_the_field():
    answer = await call(guarded(), "POST", "/submit", headers=[("content-type", "application/x-www-form-urlencoded")],
                        body=[b"title=ok&description=Jalan%E2%80%AErusak"])

    assert answer.status == 400 and answer.reason["field"] == "description" and "U+202E" in answer.reason["message_en"]


async def test_tabs_and_line_breaks_in_a_form_are_fine():
    answer = await call(guarded(), "POST", "/submit", headers=[("content-type", "application/x-www-form-urlencoded")],
                        body=[b"description=baris+satu%0D%0Abaris%09dua"])

    assert answer.status == 200


async def test_a_url_longer_than_the_limit_is_414():
    answer = await call(guarded(max_url_bytes=100), query=b"tracking_number=" + b"A" * 200)

    assert answer.status == 414 and answer.reason["code"] == "url_too_long"


async def test_a_burst_beyond_the_bucket_is_429_with_retry_after_and_other_clients_are_not_affected():
    app = guarded(rate_lookup=RateLimit(per_minute=6, burst=3))
    answers = [await call(app, client="10.0.0.7") for _ in range(5)]
    neighbour = await call(app, client="10.0.0.8")
    elsewhere = await call(app, path="/not-public", client="10.0.0.7")

    assert [a.status for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3].reason["code"] == "rate_limited"
    assert answers[3].headers["retry-after"] == "10"  # one request every 10 s refills the bucket
    assert neighbour.status == 200 and elsewhere.status == 200


async def test_a_browser_gets_the_refusal_as_a_page_in_both_languages():
    answer = await call(guarded(max_url_bytes=100), query=b"x=" + b"A" * 200, headers=[("accept", "text/html")])

    assert answer.status == 414 and answer.headers["content-type"].startswith("text/html")
    page = answer.body.decode()
    assert "terlalu panjang" in page and "too long" in page


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    address = ClientAddress("10.1.0.0/16, 127.0.0.1")

    def scope(peer: str, forwarded: str) -> dict[str, Any]:
        return {"client": (peer, 1), "headers": [(b"x-forwarded-for", forwarded.encode())]}

    assert address(scope("10.1.2.3", "203.0.113.9, 10.1.9.9")) == "203.0.113.9"
    assert address(scope("203.0.113.50", "198.51.100.1")) == "203.0.113.50"  # not our proxy: ignored
    assert address(scope("127.0.0.1", "spoofed, 198.51.100.2")) == "198.51.100.2"  # the client's own hop
    assert ClientAddress("")(scope("10.1.2.3", "203.0.113.9")) == "10.1.2.3"


async def test_a_statement_timeout_in_an_endpoint_is_503_with_retry_after():
    endpoint = Echo(raises=asyncpg.QueryCanceledError("canceling statement due to statement timeout"))
    answer = await call(guarded(endpoint, retry_after_s=7))

    assert answer.status == 503 and answer.headers["retry-after"] == "7"
    assert answer.reason["code"] == "busy"


async def test_a_defect_in_an_endpoint_is_a_bilingual_500_and_is_logged(monkeypatch):
    monkeypatch.setattr(lapor_shared.http_guard, "log", structlog.get_logger(component="http_guard"))
    with capture_logs() as logs:
        answer = await call(guarded(Echo(raises=KeyError("oops"))))

    assert answer.status == 500 and answer.reason["code"] == "internal_error"
    assert [entry["event"] for entry in logs] == ["http_unhandled_error"]


async def test_a_flood_of_refusals_is_logged_once_per_client_and_window(monkeypatch):
    monkeypatch.setattr(lapor_shared.http_guard, "log", structlog.get_logger(component="http_guard"))
    app = guarded(rate_lookup=RateLimit(per_minute=1, burst=1))
    with capture_logs() as logs:
        for _ in range(50):
            await call(app, client="10.0.0.9")
        await call(app, client="10.0.0.10")
        await call(app, client="10.0.0.10")

    refused = [entry for entry in logs if entry["event"] == "http_refused"]
    assert [(e["client"], e["code"]) for e in refused] == [("10.0.0.9", "rate_limited"), ("10.0.0.10", "rate_limited")]


def test_a_bucket_refills_at_its_rate_and_never_beyond_its_burst():
    now = [0.0]
    limiter = RateLimiter(lambda kind: RateLimit(per_minute=60, burst=2), max_buckets=100, clock=lambda: now[0])

    assert [limiter.take("lookup", "a") for _ in range(3)] == [0, 0, 1]
    now[0] += 1.0
    assert limiter.take("lookup", "a") == 0
    now[0] += 3600.0
    assert [limiter.take("lookup", "a") for _ in range(3)] == [0, 0, 1]


def test_the_buckets_stay_bounded_under_a_flood_from_many_addresses():
    limiter = RateLimiter(lambda kind: RateLimit(per_minute=60, burst=1), max_buckets=100)
    for n in range(10_000):
        limiter.take("lookup", f"2001:db8::{n:x}")

    assert len(limiter) == 100


def test_log_once_lets_one_line_through_per_window_and_counts_the_rest():
    now = [0.0]
    once = LogOnce(60.0, clock=lambda: now[0])

    assert once(("a", "x")) == 0
    assert once(("a", "x")) is None and once(("a", "x")) is None
    assert once(("b", "x")) == 0
    now[0] += 61
    assert once(("a", "x")) == 2


def test_the_limits_come_from_the_environment_and_a_rate_may_be_set_in_part(monkeypatch):
    monkeypatch.setenv("LAPOR_HTTP__RATE_LOGIN__BURST", "3")
    monkeypatch.setenv("LAPOR_HTTP__BODY_TIMEOUT_S", "2.5")
    monkeypatch.setenv("LAPOR_HTTP__TRUSTED_PROXIES", "10.0.0.0/8")

    http = ServiceSettings().http

    assert http.rate_login == RateLimit(per_minute=10, burst=3)
    assert http.body_timeout_s == 2.5 and http.trusted_proxies == "10.0.0.0/8"
    with pytest.raises(ValueError, match="unknown rate kind"):
        PublicRoute("everything", "/")
