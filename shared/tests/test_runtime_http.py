"""What the runtime gives every service's HTTP: one app with the runtime's own paths and the service's
routes, a database pool of its own with a statement timeout, the guard in front of every route, the
shared answers to what a route raises, the app's lifespan as the runtime's life, and a deadline for
request headers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from faststream.kafka import TestKafkaBroker
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from lapor_shared.http_errors import Refusal
from lapor_shared.http_limits import PublicRoute
from lapor_shared.http_server import with_header_deadline
from lapor_shared.infra import free_port
from lapor_shared.outbox import BrokerSender
from lapor_shared.runtime import Runtime
from lapor_shared.settings import HttpSettings, ServiceSettings
from lapor_shared.testing.service import in_memory

from .conftest import SAMPLE_MIGRATIONS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def _plain(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


def runtime_with_slow_lookup(database_url: str, schema: str, **http: Any) -> tuple[Runtime[ServiceSettings], Any]:
    runtime = Runtime(ServiceSettings(service_name="probe", database_url=database_url, http=HttpSettings(**http)),
                      schema=schema, migrations=SAMPLE_MIGRATIONS)

    async def slow(request: Request) -> Response:
        await runtime.http_pool.fetchval("SELECT pg_sleep(2)")
        return PlainTextResponse("done")

    async def page(request: Request) -> Response:
        return PlainTextResponse(request.url.path)

    async def refuses(request: Request) -> Response:
        raise Refusal(409, "taken", "name", "Nama sudah dipakai.", "The name is taken.")

    async def broken(request: Request) -> Response:
        raise RuntimeError("a defect")

    routes = [Route("/slow", slow), Route("/pages/{rest:path}", page), Route("/refuses", refuses),
              Route("/broken", broken)]
    return runtime, runtime.asgi_app(routes, public=[PublicRoute("lookup", "/pages/")])


async def test_a_flood_of_slow_lookups_times_out_on_its_own_pool_and_the_consumers_pool_stays_free(
        database_url, schema):
    runtime, app = runtime_with_slow_lookup(database_url, schema, db_pool_max_size=2, db_statement_timeout_ms=300,
                                            retry_after_s=3)
    async with in_memory(runtime):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
            flood = [asyncio.create_task(client.get("/slow")) for _ in range(12)]
            await asyncio.sleep(0.1)
            started = time.monotonic()
            assert await runtime.pool.fetchval("SELECT 1") == 1
            consumer_wait = time.monotonic() - started
            answers = await asyncio.gather(*flood)
            assert await runtime.http_pool.fetchval("SHOW statement_timeout") == "300ms"

    assert consumer_wait < 0.25
    assert {a.status_code for a in answers} == {503}
    assert all(a.headers["retry-after"] == "3" and a.json()["reasons"][0]["code"] == "busy" for a in answers)


async def test_the_services_routes_are_behind_the_guard_beside_the_runtimes_own_paths(database_url, schema):
    runtime, app = runtime_with_slow_lookup(database_url, schema, max_url_bytes=100,
                                            rate_lookup={"per_minute": 60, "burst": 1})
    async with in_memory(runtime):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
            page = await client.get("/pages/a")
            limited = await client.get("/pages/a")
            too_long = await client.get("/slow", params={"q": "x" * 200})
            health = await client.get("/healthz")
            metrics = await client.get("/metrics")

    assert page.status_code == 200 and page.text == "/pages/a"
    assert limited.status_code == 429 and app.public == [PublicRoute("lookup", "/pages/")]
    assert too_long.status_code == 414
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert metrics.status_code == 200 and "lapor_" in metrics.text


async def test_what_a_route_raises_and_what_no_route_takes_is_answered_in_the_shared_shape(database_url, schema):
    _, app = runtime_with_slow_lookup(database_url, schema)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://probe") as client:
        refused = await client.get("/refuses")
        missing = await client.get("/nowhere")
        page = await client.get("/nowhere", headers={"accept": "text/html"})
        wrong_method = await client.delete("/healthz")
        broken = await client.get("/broken")

    assert refused.status_code == 409 and refused.json()["reasons"][0]["code"] == "taken"
    assert missing.status_code == 404 and missing.json()["reasons"][0]["code"] == "not_found"
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert wrong_method.status_code == 405 and wrong_method.json()["reasons"][0]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["allow"]
    assert broken.status_code == 500 and broken.json()["reasons"][0]["code"] == "internal_error"


async def test_the_apps_lifespan_is_the_runtimes_life_and_readiness_follows_it(database_url, schema):
    runtime, app = runtime_with_slow_lookup(database_url, schema)
    runtime.sender = BrokerSender(runtime.broker)
    sent: list[dict[str, Any]] = []
    steps: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with TestKafkaBroker(runtime.broker):
        await steps.put({"type": "lifespan.startup"})
        lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                           steps.get, send))
        while not sent:
            await asyncio.sleep(0.01)
        consuming, pool = runtime.consuming, runtime.pool
        await steps.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(lifespan, 10)

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert consuming and pool is not None
    assert not runtime.consuming and pool.is_closing()


@contextlib.asynccontextmanager
async def server(header_timeout_s: float) -> AsyncIterator[int]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await _plain(send, 200, b"ok")

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off",
                            http=with_header_deadline(header_timeout_s))
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        instance.should_exit = True
        await task


async def test_a_client_that_never_finishes_its_headers_is_answered_408_and_disconnected():
    async with server(header_timeout_s=0.5) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: probe\r\nX-Slow: ")
        await writer.drain()
        started = time.monotonic()
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        waited = time.monotonic() - started
        writer.close()

        silent_reader, silent_writer = await asyncio.open_connection("127.0.0.1", port)
        silent = await asyncio.wait_for(silent_reader.read(), timeout=5)
        silent_writer.close()

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: probe\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1.0)  # idle between requests is the keep-alive timeout's business
        writer.write(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        await writer.drain()
        both = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()

    assert answer.startswith(b"HTTP/1.1 408 ") and b'"header_timeout"' in answer
    assert 0.4 < waited < 2.0
    assert silent.startswith(b"HTTP/1.1 408 ")
    assert both.count(b"HTTP/1.1 200 OK") == 2


async def test_a_request_the_parser_cannot_read_is_a_bilingual_400():
    async with server(header_timeout_s=5) as port:
        answers = []
        for request in (b"GET /\xff\xfe HTTP/1.1\r\nHost: probe\r\n\r\n",
                        b"GET / HTTP/1.1\r\nHost: probe\r\nX-Big: " + b"a" * 20_000,  # a head over 16 kB
                        b"POST / HTTP/1.1\r\nHost: probe\r\nContent-Length: banyak\r\n\r\n"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            answers.append(await asyncio.wait_for(reader.read(), timeout=5))
            writer.close()

    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 ")
        reason = json.loads(body)["reasons"][0]
        assert reason["code"] == "unreadable_request" and "tidak dapat dibaca" in reason["message_id"]
