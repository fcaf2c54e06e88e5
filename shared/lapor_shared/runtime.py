"""What every service process has: settings, broker, pool, outbox relay, health endpoints.

A service's ``app.py`` is its composition root: it builds a ``Runtime``, lets ``handlers.py`` attach
its subscribers (``register_handlers(runtime)``) and returns ``runtime.asgi_app()``. Nothing connects
at import time: the pools, the migrations and the relay start in the application's startup hook.

Every HTTP request reaches a service through ``asgi_app``, which puts the whole app (FastStream's own
routes, the service's routes and mounts) behind the HTTP guard (``http_guard``). Handlers of public
HTTP read through ``http_pool``, a small pool of its own with a statement timeout, so a flood of
look-ups cannot take the connections the consumers need (``pool``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification import AsyncAPI
from prometheus_client import make_asgi_app

from lapor_shared.consumer import Consumer, Handler
from lapor_shared.db import create_pool
from lapor_shared.events import Envelope, Payload
from lapor_shared.http_guard import HttpGuard
from lapor_shared.http_limits import PublicRoute
from lapor_shared.kafka import SUBSCRIBER_DEFAULTS, make_broker
from lapor_shared.logging import configure_logging, get_logger
from lapor_shared.metrics import Metrics
from lapor_shared.migrator import migrate
from lapor_shared.observe import Gauges, Observer
from lapor_shared.outbox import KafkaSender, Outbox, OutboxRelay, Sender
from lapor_shared.settings import PostgresSettings, ServiceSettings, UnsafeSettings
from lapor_shared.topics import JURISDICTION_PREFIX, destinations
from lapor_shared.tracing import setup_tracing

log = get_logger(component="runtime")

Hook = Callable[["Runtime"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subscription:
    consumer: str
    group_id: str
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Publication:
    """An event type a service declares it emits, and where it goes (``topics.destinations``)."""

    event_type: str
    topics: tuple[str, ...]
    """The fixed topics it is published on."""
    jurisdictions: bool
    """Also on the jurisdiction topic of its envelope's ``jurisdiction_code`` (any of them)."""


class Runtime:
    def __init__(self, settings: ServiceSettings, *, schema: str, migrations: str, version: str = "0.1.0") -> None:
        self.settings = settings
        self.name = settings.service_name
        self.schema = schema
        self.migrations = migrations
        self.version = version
        self.metrics = Metrics(self.name)
        self.broker: KafkaBroker = make_broker(
            settings.kafka, client_id=f"lapor-{self.name}",
            middlewares=[KafkaPrometheusMiddleware(registry=self.metrics.registry, app_name=f"lapor-{self.name}")],
        )
        self.outbox = Outbox()
        self.subscriber_defaults: dict[str, Any] = {
            **SUBSCRIBER_DEFAULTS, "fetch_max_wait_ms": settings.kafka.fetch_max_wait_ms,
        }
        """Options for every subscriber of this service (``SUBSCRIBER_DEFAULTS`` and the fetch wait)."""
        self.observer: Observer | None = None
        self.subscriptions: list[Subscription] = []
        """Every consumer attached with ``subscribe``: its name, consumer group and topics."""
        self.publications: list[Publication] = []
        """Every event type declared with ``publishes``, with its topics (the AsyncAPI document and the
        Kafka ACLs the deployment grants are derived from these)."""
        self._pool: asyncpg.Pool | None = None
        self._http_pool: asyncpg.Pool | None = None
        self.public_routes: list[PublicRoute] = []
        """Routes anyone may call, each with its rate-limit kind (attached by the service's wiring)."""
        self.relay: OutboxRelay | None = None
        self.sender: Sender | None = None
        """Where the outbox goes; None means Kafka (tests set a BrokerSender for in-memory runs)."""
        self.consumers: list[Consumer] = []
        self.on_started: list[Hook] = []
        self.on_stopping: list[Hook] = []
        self.consuming = False
        """True from the moment every subscriber has started (joined its group) until shutdown begins."""
        self.gauges: list[Gauges] = []
        """The service's own metrics read from its store by the observer (e.g. complaints by status)."""

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database pool exists only after startup")
        return self._pool

    @property
    def http_pool(self) -> asyncpg.Pool:
        """The pool of public HTTP handlers: few connections, each statement cut off after
        ``http.db_statement_timeout_ms``; the consumers never wait for it."""
        if self._http_pool is None:
            raise RuntimeError("the HTTP database pool exists only after startup")
        return self._http_pool

    def consumer(self, name: str, handlers: Mapping[type[Payload], Handler], **options: Any) -> Consumer:
        """A consumer whose transactions use this runtime's pool and outbox (``options``: see ``Consumer``)."""
        consumer = Consumer(
            name, lambda: self.pool, producer=self.name, handlers=handlers,
            settings=self.settings.delivery, outbox=self.outbox, metrics=self.metrics, **options,
        )
        self.consumers.append(consumer)
        return consumer

    def subscribe(
        self, consumer: Consumer, *topics: str, group_id: str, batch: bool = True,
        after: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Attach ``consumer`` to ``topics`` in consumer group ``group_id``.

        Batches (the default) are read with ``getmany`` and processed in one transaction with one
        offset commit; the ack policy is NACK_ON_ERROR either way (see ``lapor_shared.kafka``).
        ``after()`` runs once the consumer has committed a message's effects (e.g. refresh a cache).
        """
        self.subscriptions.append(Subscription(consumer.name, group_id, topics))
        handled = ", ".join(sorted(t.event_type for t in consumer.handled_types)) or "its events"
        options: dict[str, Any] = dict(
            self.subscriber_defaults, group_id=group_id, title=consumer.name,
            description=f"Consumer group {group_id}; handles {handled} (envelopes: docs/events/).",
        )
        if self.settings.kafka_group_instance_id:
            options["group_instance_id"] = f"{self.settings.kafka_group_instance_id}.{group_id}"
        if batch:
            options.update(batch=True, max_records=self.settings.delivery.batch_max_records,
                           batch_timeout_ms=self.settings.delivery.batch_timeout_ms)

        @self.broker.subscriber(*topics, **options)
        async def deliver(body: Any, msg: KafkaMessage) -> None:
            await consumer.handle(msg)
            if after is not None:
                await after()

    def publishes(self, *payload_types: type[Payload], jurisdiction: bool = True) -> None:
        """Declare the events this service emits (they leave via the outbox), for the AsyncAPI document and
        the Kafka ACLs. ``jurisdiction=False``: the service emits them without a ``jurisdiction_code``, so a
        lifecycle event goes to ``lapor.complaints`` only, never to a jurisdiction topic."""
        for payload_type in payload_types:
            probe = Envelope.model_construct(event_type=payload_type.event_type,
                                             jurisdiction_code="18.71" if jurisdiction else None,
                                             payload=payload_type.model_construct(),
                                             complaint_id=None)
            topics = destinations(probe)
            fixed = tuple(t for t in topics if not t.startswith(JURISDICTION_PREFIX))
            self.publications.append(Publication(payload_type.event_type, fixed, len(fixed) < len(topics)))
            for topic in topics:
                if topic.startswith(JURISDICTION_PREFIX):
                    topic = f"{JURISDICTION_PREFIX}.ID.{{province}}.{{regency}}"
                self.broker.publisher(
                    topic, title=f"{topic}:{payload_type.event_type}",
                    description=(payload_type.__doc__ or payload_type.event_type).strip().split("\n")[0],
                    schema=Envelope[payload_type],  # type: ignore[valid-type]
                )

    async def start(self) -> None:
        self.settings.refuse_development_values_in_production()
        self._pool = await create_pool(self.settings.postgres, schema=self.schema)
        await migrate(self._pool, schema=self.schema, package=self.migrations)
        http = self.settings.http
        self._http_pool = await create_pool(
            PostgresSettings(url=self.settings.database_url, pool_min_size=0, pool_max_size=http.db_pool_max_size),
            schema=self.schema, statement_timeout_ms=http.db_statement_timeout_ms, purpose="http",
        )
        self.relay = OutboxRelay(
            self._pool, schema=self.schema, sender=self.sender or KafkaSender(self.settings.kafka),
            settings=self.settings.delivery, on_parked=self.metrics.outbox_rows_parked.inc,
        )
        await self.relay.start()
        if self.sender is None:  # against a real broker: watch backlog and lag
            self.observer = Observer(self.metrics, self._pool, self.settings.kafka_bootstrap_servers,
                                     [(s.group_id, s.topics) for s in self.subscriptions], gauges=self.gauges,
                                     client_options=self.settings.kafka.client_options())
            self.observer.start()
        for hook in self.on_started:
            await hook(self)
        log.info("service_started", http=f"http://{self.settings.http_host}:{self.settings.http_port}")

    async def stop(self) -> None:
        for hook in self.on_stopping:
            await hook(self)
        if self.observer is not None:
            await self.observer.stop()
        if self.relay is not None:
            await self.relay.stop()
        for pool in (self._http_pool, self._pool):
            if pool is not None:
                await pool.close()
        log.info("service_stopped")

    async def _consuming_now(self) -> None:
        self.consuming = True
        log.info("service_consuming")

    async def _not_consuming(self) -> None:
        self.consuming = False

    async def ready(self) -> dict[str, bool]:
        """Readiness: every subscriber has joined its group, the broker answers and the database answers."""
        checks = {"consuming": self.consuming, "kafka": False, "postgres": False}
        try:
            checks["kafka"] = bool(await self.broker.ping(timeout=2.0))
        except Exception:
            pass
        try:
            if self._pool is not None:
                checks["postgres"] = await asyncio.wait_for(self._pool.fetchval("SELECT true"), 2.0)
        except Exception:
            pass
        return checks

    def asgi_app(self, *, title: str, routes: Sequence[tuple[str, Any]] = (),
                 mounts: Sequence[tuple[str, Any]] = ()) -> HttpGuard:
        """The service's whole HTTP app behind the guard: FastStream's app (the lifespan, ``/healthz``,
        ``/readyz``, ``/metrics``, ``/asyncapi``) with ``routes`` (exact paths), and ``mounts`` (ASGI apps
        that take every request whose path starts with their prefix, except the runtime's own paths).
        Rate limits apply to ``public_routes``."""
        app: Any = self._faststream_app(title, routes)
        if mounts:
            app = Mounts(app, mounts)
        return HttpGuard(app, self.settings.http, public=self.public_routes)

    def _faststream_app(self, title: str, routes: Sequence[tuple[str, Any]]) -> AsgiFastStream:
        configure_logging(self.name, fmt=self.settings.log_format, level=self.settings.log_level)
        setup_tracing(self.name)

        @get(include_in_schema=False)
        async def healthz(scope: Any) -> AsgiResponse:
            return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})

        @get(include_in_schema=False)
        async def readyz(scope: Any) -> AsgiResponse:
            checks = await self.ready()
            import json

            ok = all(checks.values())
            body = json.dumps({"status": "ready" if ok else "not_ready", **checks}).encode()
            return AsgiResponse(body, 200 if ok else 503, headers={"content-type": "application/json"})

        return AsgiFastStream(
            self.broker,
            asgi_routes=[
                ("/healthz", healthz), ("/readyz", readyz), ("/metrics", make_asgi_app(self.metrics.registry)),
                *routes,
            ],
            specification=AsyncAPI(title=title, version=self.version),
            on_startup=[self.start],
            after_startup=[self._consuming_now],
            on_shutdown=[self._not_consuming],
            # after the broker stopped consuming: in-flight handlers have finished with the pool,
            # and the relay can still publish what they committed
            after_shutdown=[self.stop],
        )


RUNTIME_PATHS = ("/healthz", "/readyz", "/metrics", "/asyncapi")
"""Paths FastStream's app answers itself, whatever is mounted."""


class Mounts:
    """Sends an HTTP request whose path starts with a mount's prefix to that mount's app, and everything
    else (the runtime's own paths, the lifespan) to the service app."""

    def __init__(self, app: Any, mounts: Sequence[tuple[str, Any]]) -> None:
        self.app = app
        self.mounts = list(mounts)

    def __getattr__(self, name: str) -> Any:  # the wrapped app's own API (broker, schema, lifespan_context …)
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(RUNTIME_PATHS):
            for prefix, mounted in self.mounts:
                if scope["path"].startswith(prefix):
                    await mounted(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def serve(app_factory: Callable[[], Any], settings: ServiceSettings) -> None:
    """Run a service under uvicorn (graceful on SIGTERM/SIGINT), with a deadline for request headers.
    In production, a development secret or demo account ends the process here with the setting to set."""
    import uvicorn

    try:
        settings.refuse_development_values_in_production()
    except UnsafeSettings as refused:
        log.error("service_refused_to_start", settings=refused.names)
        raise SystemExit(str(refused)) from None

    from lapor_shared.http_server import with_header_deadline

    uvicorn.run(
        app_factory(), host=settings.http_host, port=settings.http_port, log_config=None,
        lifespan="on", timeout_graceful_shutdown=8, http=with_header_deadline(settings.http.header_timeout_s),
    )
