"""Settings parts every service composes into its own ``Settings`` (pydantic-settings).

Environment variables (prefix ``LAPOR_``) override the defaults. ``KAFKA_BOOTSTRAP_SERVERS`` and
``DATABASE_URL`` are accepted too, as most platforms set them under those names. When neither is set
the embedded launcher (``lapor_shared.infra``) provides both.
"""

from __future__ import annotations

import ssl
from typing import Any, ClassVar, Literal

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import AliasChoices, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
Environment = Literal["development", "production"]
DEV_CONTACT_KEYS = "dev:ZGV2LWtleS1kby1ub3QtdXNlLWluLXByb2R1Y3Rpb24="
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:19092"
    # Apache Kafka supports the idempotent producer; the embedded Tansu broker rejects it.
    enable_idempotence: bool = False
    client_id_prefix: str = "lapor"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    """CA bundle that signed the brokers' certificates (Strimzi: the cluster CA secret's ``ca.crt``);
    None trusts the system's CAs."""
    fetch_max_wait_ms: int = 20
    """How long the broker may hold a fetch that found nothing new. Apache Kafka answers a waiting fetch as
    soon as data arrives, so 500 (its default; set in deploy/) costs nothing there; the embedded Tansu holds
    it for up to about half the wait even when a record arrives (measured: p50 4.6 ms at 20, 124 ms at 500),
    so every hop would wait that long: keep it short for Tansu."""

    metadata_max_age_ms: int = 30_000
    """How old a pattern subscription's view of the cluster may grow before it asks again. A pattern
    subscription (the agency and admin command topics, the console's agency streams) sees a newly
    provisioned topic at the next refresh, then rebalances: an onboarded agency's commands are read within
    about this long plus a rebalance (~6 s measured on the embedded broker with 3 s). Each refresh of a
    pattern consumer lists every topic's metadata (about 10 ms of CPU for 640 topics, client and broker)."""
    named_metadata_max_age_ms: int = 300_000
    """The same for every other client (producers, admin clients, subscriptions that name their topics):
    aiokafka's default. They refresh at once anyway on an error or a topic they do not know yet, so only
    the idle platform's CPU depends on it (``LaporBroker``)."""

    session_timeout_ms: int = Field(6000, gt=0)
    """How long a consumer may stay silent before its group gives its partitions to the others (aiokafka's
    default 10 s): a crashed member is noticed sooner. The embedded Tansu also holds a new member's first
    JoinGroup for half of it (a static member's join and sync for 3 s each, whatever it is), so the
    end-to-end tests start their platform with 2 s (``lapor_shared.testing.platform.QUICK_GROUPS``)."""
    heartbeat_interval_ms: int = Field(2000, gt=0)
    """How often a consumer tells its group it is alive: a third of the session, Kafka's own rule (was 1.5 s:
    seventeen groups' heartbeats were an eighth of what an idle platform asked the broker, issue 17)."""

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> KafkaSettings:
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise ValueError(f"heartbeat_interval_ms ({self.heartbeat_interval_ms}) must be shorter than "
                             f"session_timeout_ms ({self.session_timeout_ms})")
        return self

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL_") and not (self.sasl_username and self.sasl_password):
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_username and sasl_password")
        return self

    def security(self) -> BaseSecurity | None:
        """The broker connection's TLS and SASL as FastStream's security object (None: plaintext)."""
        use_ssl = self.security_protocol in ("SSL", "SASL_SSL")
        context = ssl.create_default_context(cafile=self.ssl_cafile) if use_ssl else None
        if self.security_protocol.startswith("SASL_"):
            kind = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
            assert self.sasl_username and self.sasl_password
            return kind[self.sasl_mechanism](self.sasl_username, self.sasl_password.get_secret_value(),
                                             ssl_context=context, use_ssl=use_ssl)
        return BaseSecurity(ssl_context=context, use_ssl=True) if use_ssl else None

    def client_options(self) -> dict[str, Any]:
        """The same, as keyword arguments of a plain aiokafka producer, consumer or admin client."""
        from faststream.kafka.security import parse_security

        return parse_security(self.security())


class PostgresSettings(BaseModel):
    url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    pool_min_size: int = 1
    pool_max_size: int = 10


class DeliverySettings(BaseModel):
    """How the outbox relay and the consumers behave."""

    relay_batch_size: int = 500
    relay_poll_interval_s: float = 1.0
    """How often the relay looks without being told: a safety net, since a trigger NOTIFYs it at every
    commit that adds outbox rows (was 0.2 s, a query five times a second per idle service)."""
    relay_keep_published_s: float = 24 * 3600.0
    batch_max_records: int = 200
    batch_timeout_ms: int = 100
    """How long a batch subscriber's poll waits for records when there are none. A record is handed on the
    moment it is fetched, so this sets only how often an empty loop wakes (``lapor_shared.batch_poll``:
    FastStream's nap after an empty poll, which added to every hop's latency at light load, is gone). It
    was 10: a hundred empty wake-ups a second per busy subscription, about 0.8 % of a core each (measured,
    ``docs/performance.md``, issue 17 seventh steps)."""
    commit_interval_ms: int = 250
    """A consumer group's finished offsets go to the broker at most this often, in the background
    (``lapor_shared.commits``): a crash or a rebalance reads up to this much again (the inbox makes the
    repeats do nothing). 0 commits after every batch, in the consume loop."""
    offset_gap_wait_ms: int = 2000
    """How long a consumer holds a partition's records back at a missing offset, waiting for it, before it
    reads on (``lapor_shared.offset_gaps``: the embedded broker can hand out a record before the one before
    it is stored). 0 turns the check off."""
    idle_after_s: float = 5.0
    idle_fetch_max_wait_ms: int = 250
    idle_batch_timeout_ms: int = 200
    """A subscriber that has read nothing for ``idle_after_s`` lets the broker hold an empty fetch this long
    and its poll waits this long, until its next record (``lapor_shared.fetch_pace``): an idle platform
    stops asking 50 times a second per consumer group; the first record after a quiet spell pays for the
    fetch wait once per hop (the poll's wait delays no record). Waits equal to the busy ones turn pacing
    off."""
    loaded_records_per_s: float = 80.0
    loaded_fetch_max_wait_ms: int = 50
    loaded_fetch_min_bytes: int = 16384
    """A hop of the pipeline handed at least ``loaded_records_per_s`` over the last half second asks the broker
    to gather ``loaded_fetch_min_bytes`` (about eight events) for up to ``loaded_fetch_max_wait_ms`` before it
    answers, instead of the first record within ``fetch_max_wait_ms``; it asks for the first record again after
    half a second at less than three quarters of that rate (``lapor_shared.fetch_pace``). On the embedded Tansu
    a moderate load otherwise reaches each hop one or two records per fetch, each paying a fetch, a transaction,
    a relay round and a produce: at 100 complaints/s the half-load p50 was 286 ms with the gathered fetches
    against 413 without, the p99 616 against 805 (medians of six and five runs, issue 17, fifteenth steps). A
    light load (10 complaints/s: about 30 records a second at a hop that reads ``lapor.complaints``) keeps the
    short wait, since a fetch that gathers holds every record for its whole wait. ``inf`` (or a pace equal to
    the busy one) turns it off."""
    people_loaded_fetch_min_bytes: int = 65536
    """A subscription of ``Tempo.PEOPLE`` handed at least ``loaded_records_per_s`` too (a read model of
    ``lapor.complaints`` at a moderate load) asks the broker to gather this much within its busy wait
    (``people_busy_fetch_max_wait_ms``): nothing downstream waits for it, and each of its transactions then
    carries tens of records instead of a few. At 100 complaints/s the dashboard's, the gateway's and intake's
    CPU per complaint fell by 0.2 ms each, the half-load p99 was 433 and 473 ms against 504 and 537 (two
    pairs, issue 17, sixteenth steps). 1 turns it off."""
    quiet_after_s: float = 30.0
    quiet_fetch_max_wait_ms: int = 1000
    quiet_batch_timeout_ms: int = 1000
    """The waits of a hop of the pipeline that has read nothing for ``quiet_after_s`` (nobody filing for half
    a minute, at night): the first complaint after such a spell may wait up to 1 s at each hop (250 ms after
    a shorter spell); one fetch a second per such consumer group, three fewer than idle. Was 500 ms: 1 s took
    the idle platform from 12.0 % of a core to 10.1 % (medians of five interleaved runs each, issue 17,
    fourteenth steps). Equal to the idle waits: off."""
    people_busy_fetch_max_wait_ms: int = 400
    people_busy_batch_timeout_ms: int = 400
    """A busy subscription of ``Tempo.PEOPLE`` (commands people send, read models people look at): a
    fetch the broker may hold 400 ms instead of a pipeline hop's 20, since a person does not see a fifth of
    a second. On the embedded Tansu a fetch costs CPU whatever it finds, and it is answered only after
    about half its wait even when records arrive meanwhile, so the wait also sets how many records each of
    these subscriptions' transactions carries: at 10 complaints/s, 400 ms instead of 100 took the
    dashboard's statements per complaint from 11.7 to 3.7 and the gateway's from 21.8 to 14.0 (issue 17,
    thirteenth steps). Apache Kafka answers a fetch as soon as a record arrives, so there the wait costs
    nothing. Equal to the busy waits: off."""
    people_idle_fetch_max_wait_ms: int = 1000
    people_idle_batch_timeout_ms: int = 500
    """The same for a subscription of ``Tempo.PEOPLE`` (commands people send, read models people look at,
    ``lapor_shared.fetch_pace``): the first command after a quiet spell takes effect up to 1 s later;
    three fetches a second fewer per such consumer group while idle."""
    people_quiet_fetch_max_wait_ms: int = 2000
    people_quiet_batch_timeout_ms: int = 1000
    """A subscription of ``Tempo.PEOPLE`` that has read nothing for ``quiet_after_s`` (no officer, admin or
    reporter anywhere sent a command for half a minute): the first command after such a spell takes effect
    up to 2 s later; half the fetches of the idle pace, each naming up to 37 topics. Equal to the
    ``people_idle_*`` waits: off."""
    handler_max_attempts: int = 5
    """Tries of a handler that fails with an error of the message's own before it is dead-lettered."""
    max_message_bytes: int = 512 * 1024
    """A message value larger than this is dead-lettered unread (events are a few kilobytes)."""
    max_json_depth: int = 32
    """Brackets nested deeper than this are dead-lettered before the JSON parser sees them."""
    dead_letter_keep_s: float = 30 * 24 * 3600.0
    """How long a service keeps the originals of its dead letters for replay (the topic's retention)."""
    relay_max_attempts: int = 5
    """Rounds in which the broker refused one outbox row (while taking others) before it is parked."""
    retry_initial_backoff_s: float = 0.05
    retry_max_backoff_s: float = 5.0


class RateLimit(BaseModel):
    """A token bucket per client: ``burst`` requests at once, refilled at ``per_minute``."""

    per_minute: float = Field(gt=0)
    burst: int = Field(ge=1)


class HttpSettings(BaseModel):
    """Limits every service's HTTP surface enforces (``lapor_shared.http_guard``); ``LAPOR_HTTP__…``.

    The defaults are generous for people and their offices behind one address; tests and deployments
    may lower them (e.g. ``LAPOR_HTTP__RATE_LOGIN__BURST=5``). docs/operations.md lists what a client sees.
    """

    max_json_bytes: int = Field(default=512 * 1024, ge=1)
    """Largest JSON body (the JSON reader refuses more too)."""
    max_form_bytes: int = Field(default=256_000, ge=1)
    """Largest form body, URL-encoded or multipart; the routes that take files count their bodies against
    their own limit instead (``StreamedRoute``, docs/evidence.md)."""
    max_csv_bytes: int = Field(default=10_000_000, ge=1)
    """Largest CSV body (no endpoint takes a CSV upload today; the call-centre import is a command)."""
    max_other_bytes: int = Field(default=64_000, ge=0)
    """Largest body of any other content type (only sent to endpoints that then refuse it)."""
    drain_bytes: int = Field(default=16 * 1024 * 1024, ge=0)
    """A body refused for its size is still read and dropped up to this many bytes (within the body
    deadline), so that the client hears the 413 before the connection closes; a larger one is cut off."""
    max_url_bytes: int = Field(default=4096, ge=64)
    """Longest path plus query string (414 beyond)."""
    body_timeout_s: float = Field(default=30.0, gt=0)
    """A client must have sent its whole body this long after the request began (408 otherwise)."""
    header_timeout_s: float = Field(default=10.0, gt=0)
    """A client must have sent a request's line and headers this long after it connected or began it."""
    trusted_proxies: str = ""
    """Comma-separated addresses or networks of reverse proxies whose ``X-Forwarded-For`` is believed;
    empty: the connection's own address is the client."""
    rate_submit: RateLimit = RateLimit(per_minute=60, burst=30)
    """Complaint creation by people: the API's POST and the web form."""
    rate_lookup: RateLimit = RateLimit(per_minute=300, burst=100)
    """Status look-ups by tracking number or token, Open311 reads, notify's inbox, followup's read API."""
    rate_gateway: RateLimit = RateLimit(per_minute=1200, burst=300)
    """Servers that speak for many people from one address: the SMS webhook and Open311 creation."""
    rate_login: RateLimit = RateLimit(per_minute=10, burst=10)
    """Dashboard log-ins (password guessing)."""
    max_tracked_clients: int = Field(default=100_000, ge=100)
    """Rate-limit buckets kept in memory per process; the least recently seen are dropped first."""
    log_window_s: float = Field(default=60.0, ge=0)
    """A refusal is logged at most once per client, reason and window (with how many were not logged)."""
    db_pool_max_size: int = Field(default=4, ge=1)
    """Connections of the pool public HTTP handlers use (apart from the consumers' pool)."""
    db_statement_timeout_ms: int = Field(default=5000, ge=1)
    """PostgreSQL cancels a public HTTP query after this long (503 with Retry-After)."""
    retry_after_s: int = Field(default=5, ge=1)
    """Retry-After of a 503 when the database is busy or unreachable."""

    @model_validator(mode="before")
    @classmethod
    def _rates_may_be_given_in_part(cls, data: Any) -> Any:
        """``LAPOR_HTTP__RATE_LOGIN__BURST=3`` alone keeps the login's default ``per_minute``."""
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                if name.startswith("rate_") and isinstance(data.get(name), dict):
                    data = {**data, name: {**field.default.model_dump(), **data[name]}}
        return data

    def limit_for(self, kind: str) -> RateLimit:
        limit: RateLimit = getattr(self, f"rate_{kind}")
        return limit


class ServiceSettings(BaseSettings):
    """Base of every service's settings. A service subclasses it and sets its own defaults."""

    model_config = SettingsConfigDict(env_prefix="LAPOR_", env_nested_delimiter="__", extra="ignore")

    service_name: str = "lapor"
    environment: Environment = "production"
    """``LAPOR_ENVIRONMENT``. In ``production`` (the default) a service refuses to start while a secret
    has its built-in development value or demo accounts are on (``development_values``); ``make run``, the
    tests and the compose demo say ``development`` explicitly."""
    holds_contact_keys: ClassVar[bool] = False
    """Whether this service decrypts reporter contacts (intake and notify), so its key ring must be set."""
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices("LAPOR_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    kafka_enable_idempotence: bool = Field(
        default=False,
        validation_alias=AliasChoices("LAPOR_KAFKA_ENABLE_IDEMPOTENCE", "KAFKA_ENABLE_IDEMPOTENCE"),
    )
    kafka_fetch_max_wait_ms: int = KafkaSettings().fetch_max_wait_ms
    kafka_metadata_max_age_ms: int = KafkaSettings().metadata_max_age_ms
    """A pattern subscription's metadata refresh (``LAPOR_KAFKA_METADATA_MAX_AGE_MS``)."""
    kafka_named_metadata_max_age_ms: int = KafkaSettings().named_metadata_max_age_ms
    """Every other Kafka client's (``LAPOR_KAFKA_NAMED_METADATA_MAX_AGE_MS``)."""
    kafka_session_timeout_ms: int = KafkaSettings().session_timeout_ms
    """A consumer group member's session (``LAPOR_KAFKA_SESSION_TIMEOUT_MS``)."""
    kafka_heartbeat_interval_ms: int = KafkaSettings().heartbeat_interval_ms
    """Its heartbeat (``LAPOR_KAFKA_HEARTBEAT_INTERVAL_MS``), shorter than the session."""
    kafka_replication_factor: int = 1
    """Replicas of each topic the provisioner creates (``python -m lapor_shared.provision``): 3 on a cluster."""
    kafka_group_instance_id: str | None = None
    """Static group membership (KIP-345): a name this process keeps across restarts and no other live
    process shares (the supervisor's service-and-slot, a pod name). A restarted process then gets its
    partitions back at once instead of waiting for its dead predecessor's session to time out."""
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        validation_alias=AliasChoices("LAPOR_DATABASE_URL", "DATABASE_URL"),
    )
    db_pool_max_size: int = 10
    delivery: DeliverySettings = DeliverySettings()
    http: HttpSettings = HttpSettings()
    """HTTP limits (``LAPOR_HTTP__MAX_FORM_BYTES``, ``LAPOR_HTTP__RATE_LOOKUP__PER_MINUTE`` …)."""
    contact_keys: str = Field(
        default=DEV_CONTACT_KEYS,
        description="Key ring for reporter contacts, 'id:fernetkey[,…]'. Set in production; intake and notify only.",
    )

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.kafka_bootstrap_servers,
            enable_idempotence=self.kafka_enable_idempotence,
            client_id_prefix=f"lapor-{self.service_name}",
            fetch_max_wait_ms=self.kafka_fetch_max_wait_ms,
            metadata_max_age_ms=self.kafka_metadata_max_age_ms,
            named_metadata_max_age_ms=self.kafka_named_metadata_max_age_ms,
            session_timeout_ms=self.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.kafka_heartbeat_interval_ms,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
            ssl_cafile=self.kafka_ssl_cafile,
        )

    @property
    def postgres(self) -> PostgresSettings:
        return PostgresSettings(url=self.database_url, pool_max_size=self.db_pool_max_size)

    def development_values(self) -> list[str]:
        """The settings (as environment variables) still on a built-in development value, or enabling a
        demo account: what production refuses. A service extends the list with its own."""
        return ["LAPOR_CONTACT_KEYS"] if self.holds_contact_keys and self.contact_keys == DEV_CONTACT_KEYS else []

    def refuse_development_values_in_production(self) -> None:
        """Raise ``UnsafeSettings`` naming every development value, unless this is a development machine."""
        found = self.development_values()
        if self.environment == "production" and found:
            raise UnsafeSettings(self.service_name, found)


class UnsafeSettings(RuntimeError):
    """A service in production on a development secret or demo account; the message says what to set."""

    def __init__(self, service: str, names: list[str]) -> None:
        self.names = names
        listed = ", ".join(names)
        super().__init__(
            f"{service} menolak berjalan di produksi dengan nilai bawaan pengembangan: {listed}. Setel nilai "
            f"rahasia yang sebenarnya (atau matikan akun demo), atau LAPOR_ENVIRONMENT=development di mesin "
            f"pengembang. / {service} refuses to start in production on development values: {listed}. Set real "
            f"secrets (or turn the demo accounts off), or LAPOR_ENVIRONMENT=development on a developer machine."
        )
