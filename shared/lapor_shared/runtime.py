"""What every service process has: settings, broker, pool, outbox relay, health endpoints, one HTTP app.

Longer than ~300 lines on purpose: a process's whole life (subscribing, declaring, starting, serving,
stopping) is one object every service shares; its parts (consumer, relay, observer, guard) live elsewhere.

A service's ``app.py`` is its composition root: ``build(settings, **overrides)`` makes a ``Runtime``,
lets ``handlers.py`` attach its subscribers (``register_handlers(runtime, <use cases>)``) and returns
the service's parts as one typed dataclass, whose ``asgi_app()`` is ``runtime.asgi_app(http.routes(…))``.
Nothing connects at import time: the pools, the migrations, the relay and the broker start in the app's
lifespan (``running``).

Every HTTP request reaches a service through ``asgi_app``: one Starlette app with the runtime's own
paths and the service's routes, behind the HTTP guard (``http_guard``). FastStream's own ASGI app
(``AsgiFastStream``) is not used: it matches exact paths only and answers anything else with bare text,
so services mounted apps around it. What it gave is kept here: its lifecycle is ``running`` (our hooks,
then the broker; on the way out the broker first, as its ``on_shutdown``/``after_shutdown`` did) and its
AsyncAPI document is ``asyncapi()``. Handlers of public HTTP read through ``http_pool``, a small pool of
its own with a statement timeout, so a flood of look-ups cannot take the connections the consumers need
(``pool``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification import AsyncAPI
from faststream.specification.base import Specification
from prometheus_client.exposition import choose_encoder, gzip_accepted
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lapor_shared import heap, http_errors
from lapor_shared.commits import PacedCommits
from lapor_shared.consumer import Consumer, Use
from lapor_shared.db import create_pool
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.envelope import envelope_type
from lapor_shared.fetch_pace import FetchPace, Tempo, records_in
from lapor_shared.http_guard import HttpGuard
from lapor_shared.http_limits import PublicRoute, StreamedRoute
from lapor_shared.kafka import SUBSCRIBER_DEFAULTS, make_broker
from lapor_shared.logging import configure_logging, get_logger
from lapor_shared.metrics import Metrics
from lapor_shared.migrator import migrate
from lapor_shared.observe import Gauges, Observer
from lapor_shared.onboarding import Onboarding
from lapor_shared.outbox import KafkaSender, Outbox, OutboxRelay, Sender
from lapor_shared.settings import PostgresSettings, ServiceSettings, UnsafeSettings
from lapor_shared.topics import (
    AGENCY_SEGMENT,
    JURISDICTION_PREFIX,
    TRIAGE_SEGMENT,
    StreamFamily,
    TopicFamily,
    destinations,
    family_of,
    onboarded_family_topics,
    sender_kind,
)
from lapor_shared.tracing import setup_tracing

log = get_logger(component="runtime")

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
Hook = Callable[["Runtime[Any]"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subscription:
    consumer: str
    group_id: str
    topics: tuple[str, ...]
    """The topics named; empty for a subscription to a family."""
    family: TopicFamily | StreamFamily | None = None
    """A family of topics read by one pattern subscription (every agency's or admin scope's command topic,
    or every agency's stream: the ones onboarded later too)."""
    tempo: Tempo = Tempo.PIPELINE
    """How long a record may wait here after a quiet spell (``lapor_shared.fetch_pace``)."""

    def topics_now(self) -> tuple[str, ...]:
        """The topics read as things stand: the named ones, or the family's onboarded topics."""
        if self.family is None:
            return self.topics
        if isinstance(self.family, StreamFamily):
            return tuple(self.family.topics())
        return tuple(onboarded_family_topics(self.family))


_PROBE_AGENCY = "{agency_id}"
_PROBE = Onboarding({"x.18.71": "18.71"}, ("18",))
"""An onboarding for ``publishes``: an agency at 18.71 and a province's triage desk, so every kind of
jurisdiction topic an event may reach appears in the AsyncAPI document (as a template)."""


@dataclass(frozen=True, slots=True)
class Publication:
    """An event type a service declares it emits, and where it goes (``topics.destinations``)."""

    event_type: str
    topics: tuple[str, ...]
    """The fixed topics it is published on."""
    jurisdictions: bool
    """Also on the jurisdiction topic of its envelope's ``jurisdiction_code`` (any of them)."""
    family: str | None = None
    """A command sent on its sender's own topic: the family's prefix (``lapor.commands.agency.``); the
    officer console publishes for every onboarded agency whose officers it serves."""


RUNTIME_PATHS = ("/healthz", "/readyz", "/metrics")
"""The paths every service's app answers itself, beside the service's own routes (never public)."""


class Runtime(Generic[SettingsT]):
    """One service process; ``settings`` are the service's own (``Runtime[IntakeSettings]`` …)."""

    def __init__(self, settings: SettingsT, *, schema: str, migrations: str, version: str = "0.1.0") -> None:
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
            "session_timeout_ms": settings.kafka.session_timeout_ms,
            "heartbeat_interval_ms": settings.kafka.heartbeat_interval_ms,
        }
        """Options for every subscriber of this service (``SUBSCRIBER_DEFAULTS``, the fetch wait, the group's
        session and heartbeat)."""
        delivery = settings.delivery
        self.pace = FetchPace.from_settings(settings.kafka, delivery)
        """Long fetch waits for a subscriber with nothing to read, short ones when it is busy."""
        self.commits = PacedCommits(delivery.commit_interval_ms / 1000)
        """Every subscriber's finished offsets, committed in the background at most every
        ``commit_interval_ms`` (``lapor_shared.commits``)."""
        self.observer: Observer | None = None
        self.subscriptions: list[Subscription] = []
        """Every consumer attached with ``subscribe``: its name, consumer group and topics."""
        self.publications: list[Publication] = []
        """Every event type declared with ``publishes``, with its topics (the AsyncAPI document and the
        Kafka ACLs the deployment grants are derived from these)."""
        self._pool: asyncpg.Pool | None = None
        self._http_pool: asyncpg.Pool | None = None
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

    def consumer(self, name: str, handlers: Mapping[type[Payload], Use], **options: Any) -> Consumer:
        """A consumer whose transactions use this runtime's pool and outbox (``options``: see ``Consumer``)."""
        consumer = Consumer(
            name, lambda: self.pool, producer=self.name, handlers=handlers,
            settings=self.settings.delivery, outbox=self.outbox, metrics=self.metrics, **options,
        )
        self.consumers.append(consumer)
        return consumer

    def subscribe(
        self, consumer: Consumer, *topics: str, group_id: str, batch: bool = True,
        family: TopicFamily | StreamFamily | None = None, after: Callable[[], Awaitable[object]] | None = None,
        tempo: Tempo = Tempo.PIPELINE,
    ) -> None:
        """Attach ``consumer`` to ``topics`` (or to every topic of ``family``, by a pattern subscription) in
        consumer group ``group_id``.

        Batches (the default) are read with ``getmany`` and processed in one transaction; the offsets the
        consumer finished are committed at a pace (``self.commits``, ``lapor_shared.commits``), and an
        exception seeks back as NACK_ON_ERROR would.
        ``after()`` runs once the consumer has committed a message's effects (e.g. refresh a cache).
        A family's topic provisioned later is read from the next metadata refresh
        (``KafkaSettings.metadata_max_age_ms``) on. ``tempo``: ``Tempo.PEOPLE`` for commands people send
        and read models only people look at, which ask the broker less often when idle.
        """
        if bool(topics) == (family is not None):
            raise ValueError("subscribe to topics or to one family, not both nor neither")
        self.subscriptions.append(Subscription(consumer.name, group_id, topics, family, tempo))
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

        if family is not None:
            options["pattern"] = family.pattern
        options["ack_policy"] = AckPolicy.MANUAL  # committed by self.commits, after the effects
        subscriber = self.broker.subscriber(*topics, **options)
        self.pace.track(subscriber, tempo)

        context = self.broker.context

        @subscriber  # type: ignore[untyped-decorator]  # FastStream's is untyped
        async def deliver(body: Any) -> None:
            # the message from the context, not a ``msg: KafkaMessage`` parameter: FastStream's dependency
            # injection resolves a Context parameter in a worker thread, a thread hop per batch (issue 17)
            msg: KafkaMessage = context.get_local("message")
            self.pace.read(subscriber, records_in(msg.raw_message))
            try:
                finished = await consumer.handle(msg)
                if after is not None:
                    await after()
            except Exception:
                await msg.nack()  # as NACK_ON_ERROR did: seek back to the batch's first records, read them again
                raise
            await self.commits.finished(msg.consumer, finished)

    def publishes(self, *payload_types: type[Payload], jurisdiction: bool = True) -> None:
        """Declare the events this service emits (they leave via the outbox), for the AsyncAPI document and
        the Kafka ACLs. ``jurisdiction=False``: the service emits them without a ``jurisdiction_code``, so a
        lifecycle event goes to ``lapor.complaints`` only, never to a jurisdiction topic."""
        for payload_type in payload_types:
            kind = sender_kind(payload_type.event_type)
            if kind is not None:
                family = family_of(kind)
                self.publications.append(Publication(payload_type.event_type, (), False, f"{family.prefix}."))
                self.broker.publisher(
                    family.topic("{owner}"), title=f"{family.topic('{owner}')}:{payload_type.event_type}",
                    description=(payload_type.__doc__ or payload_type.event_type).strip().split("\n")[0],
                    schema=envelope_type(payload_type),
                )
                continue
            found: dict[str, None] = {}
            for code, agency_id in (("18.71", "x.18.71"), ("18", None)) if jurisdiction else ((None, None),):
                fields: dict[str, Any] = {  # only what ``destinations`` reads
                    "event_type": payload_type.event_type, "jurisdiction_code": code, "agency_id": agency_id,
                    "payload": payload_type.model_construct(), "complaint_id": None,
                }
                found.update(dict.fromkeys(destinations(Envelope.model_construct(**fields), _PROBE)))
            fixed = tuple(t for t in found if not t.startswith(JURISDICTION_PREFIX))
            self.publications.append(Publication(payload_type.event_type, fixed, len(fixed) < len(found)))
            for topic in dict.fromkeys(_template(t) for t in found):
                self.broker.publisher(
                    topic, title=f"{topic}:{payload_type.event_type}",
                    description=(payload_type.__doc__ or payload_type.event_type).strip().split("\n")[0],
                    schema=envelope_type(payload_type),
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
        self.outbox.served_by(self.relay)
        await self.relay.start()
        if self.sender is None:  # against a real broker: watch backlog and lag
            self.observer = Observer(self.metrics, self._pool, self.settings.kafka_bootstrap_servers,
                                     [(s.group_id, s.topics_now()) for s in self.subscriptions], gauges=self.gauges,
                                     client_options=self.settings.kafka.client_options(),
                                     client_id=f"{self.settings.kafka.client_id_prefix}-lag")
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

    async def ready(self) -> dict[str, bool]:
        """Readiness: every subscriber has joined its group, the broker answers and the database answers."""
        checks = {"consuming": self.consuming, "kafka": False, "postgres": False}
        with contextlib.suppress(Exception):
            checks["kafka"] = bool(await self.broker.ping(timeout=2.0))
        with contextlib.suppress(Exception):
            if self._pool is not None:
                checks["postgres"] = await asyncio.wait_for(self._pool.fetchval("SELECT true"), 2.0)
        return checks

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The service's life, the lifespan of its app: the pools, migrations, relay and ``on_started``
        hooks, then the broker and every subscriber (``consuming``); on the way out the subscribers stop
        first, so in-flight handlers finish with the pool and the relay can still publish what they
        committed, then the hooks, relay and pools (``stop``)."""
        await self.start()
        try:
            await self.broker.start()
            self.consuming = True
            self.pace.start()
            heap.started()  # a service process sets aside what start-up built (``lapor_shared.heap``)
            log.info("service_consuming")
            yield
        finally:
            self.consuming = False
            await self.pace.stop()
            await self.commits.flush()
            await self.broker.stop()
            await self.stop()

    def asyncapi(self) -> Specification:
        """The AsyncAPI document of what this service consumes and publishes (``tools/asyncapi_docs.py``)."""
        return AsyncAPI(self.broker, title=f"LAPOR! {self.name}", version=self.version).to_specification()

    def asgi_app(
        self, routes: Sequence[BaseRoute] = (), *, public: Sequence[PublicRoute] = (),
        exception_handlers: Mapping[Any, Any] | None = None, middleware: Sequence[Middleware] = (),
        streamed: Sequence[StreamedRoute] = (),
    ) -> HttpGuard:
        """The service's one HTTP app, behind the HTTP guard: a Starlette app with the runtime's own paths
        (``/healthz``, ``/readyz``, ``/metrics``) and the service's ``routes`` (its ``http.py``), whose
        lifespan is ``running``. ``public`` are the routes anyone may call, each counted against its rate
        limit; the shared ``http_errors.exception_handlers`` answer what a route raises, beside the
        service's own ``exception_handlers`` and ``middleware`` (the dashboard's pages). ``streamed`` are the
        upload routes whose body the guard counts instead of reading whole (``StreamedRoute``)."""
        app = Starlette(
            routes=[Route(RUNTIME_PATHS[0], self._healthz), Route(RUNTIME_PATHS[1], self._readyz),
                    Route(RUNTIME_PATHS[2], self._metrics), *routes],
            exception_handlers={**http_errors.exception_handlers(self.settings.http.retry_after_s),
                                **(exception_handlers or {})},
            middleware=middleware, lifespan=lambda _: self.running(),
        )
        return HttpGuard(app, self.settings.http, public=public, streamed=streamed)

    async def _healthz(self, request: Request) -> Response:
        return http_errors.json_response({"status": "ok"})

    async def _readyz(self, request: Request) -> Response:
        checks = await self.ready()
        ok = all(checks.values())
        return http_errors.json_response({"status": "ready" if ok else "not_ready", **checks}, 200 if ok else 503)

    async def _metrics(self, request: Request) -> Response:
        """Prometheus's text (or OpenMetrics when asked), compressed when the scraper takes gzip."""
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        body, headers = encoder(self.metrics.registry), {"content-type": content_type}
        if gzip_accepted(request.headers.get("accept-encoding", "")):
            body, headers["content-encoding"] = gzip.compress(body), "gzip"
        return Response(body, headers=headers)


def _template(topic: str) -> str:
    """A jurisdiction topic of the probe as the AsyncAPI document names it."""
    if not topic.startswith(JURISDICTION_PREFIX):
        return topic
    if f".{AGENCY_SEGMENT}." in topic:
        return f"{JURISDICTION_PREFIX}.ID.{{province}}.{{regency}}.{AGENCY_SEGMENT}.{_PROBE_AGENCY}"
    if topic.endswith(f".{TRIAGE_SEGMENT}"):
        return f"{JURISDICTION_PREFIX}.ID.{{province}}.{TRIAGE_SEGMENT}"
    return f"{JURISDICTION_PREFIX}.ID.{{province}}.{{regency}}"


def serve(app_factory: Callable[[], Any], settings: ServiceSettings) -> None:
    """Run a service process: its logging and tracing configured, then its app under uvicorn (graceful on
    SIGTERM/SIGINT), with a deadline for request headers. Building an app configures nothing global, so
    tests build as many as they like. In production, a development secret or demo account ends the
    process here, before anything connects, with the settings to set."""
    import uvicorn

    from lapor_shared.http_server import with_header_deadline
    from lapor_shared.quiet_server import QuietServer

    configure_logging(settings.service_name, fmt=settings.log_format, level=settings.log_level)
    try:
        settings.refuse_development_values_in_production()
    except UnsafeSettings as refused:
        log.error("service_refused_to_start", settings=refused.names)
        raise SystemExit(str(refused)) from None
    setup_tracing(settings.service_name)
    heap.freeze_when_started()
    QuietServer(uvicorn.Config(
        app_factory(), host=settings.http_host, port=settings.http_port, log_config=None,
        lifespan="on", timeout_graceful_shutdown=8, http=with_header_deadline(settings.http.header_timeout_s),
    )).run()
