"""Prometheus metrics every service exposes on ``/metrics``, besides FastStream's own.

Generic and domain metrics together: events emitted by type (complaints accepted, routed, deadlines
breached, escalations, notifications sent/failed … are all events), messages processed, duplicates
skipped, dead letters, outbox backlog and consumer lag per topic. A service adds its own gauges to the
same registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class Metrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = {"service": service}
        self.events_emitted = Counter(
            "lapor_events_emitted_total", "Events written to the outbox, by type", ["service", "event_type"],
            registry=self.registry,
        )
        self.messages_processed = Counter(
            "lapor_messages_processed_total", "Messages whose effect committed", ["service", "consumer"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "lapor_duplicates_skipped_total", "Redelivered messages recognised by the inbox", ["service", "consumer"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "lapor_dead_letters_total", "Messages sent to the dead-letter topic", ["service", "consumer"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "lapor_outbox_backlog", "Outbox rows not yet published", ["service"], registry=self.registry,
        ).labels(**labels)
        self.outbox_parked = Gauge(
            "lapor_outbox_parked", "Outbox rows the broker refused for good, set aside for an operator", ["service"],
            registry=self.registry,
        ).labels(**labels)
        self.outbox_rows_parked = Counter(
            "lapor_outbox_rows_parked", "Outbox rows parked since the start", ["service"], registry=self.registry,
        ).labels(**labels)
        self.consumer_lag = Gauge(
            "lapor_consumer_lag", "Messages not yet consumed, per consumer group and topic",
            ["service", "group", "topic"], registry=self.registry,
        )
        self.complaints_by_status = Gauge(
            "lapor_complaints_by_status", "Complaints in the service's store, by lifecycle status",
            ["service", "status"], registry=self.registry,
        )
        self.impersonation_refused = Counter(
            "lapor_commands_impersonation_refused_total",
            "Commands refused because they claimed another sender than the topic they came on (an agency"
            " naming another agency, an admin another scope) or reached outside the admin's scope, by kind",
            ["service", "kind"], registry=self.registry,
        )
        self.offset_gaps = Counter(
            "lapor_offset_gaps_held_back_total",
            "Batches whose records after a missing offset were held back until it came (lapor_shared.offset_gaps)",
            ["service", "consumer"], registry=self.registry,
        )
        self._statuses_seen: set[str] = set()
        self.service = service

    def statuses(self, counts: dict[str, int]) -> None:
        """Set the status gauge; a status that no complaint has any more drops to zero."""
        self._statuses_seen |= counts.keys()
        for status in self._statuses_seen:
            self.complaints_by_status.labels(self.service, status).set(counts.get(status, 0))

    def refused_impersonation(self, kind: str) -> None:
        self.impersonation_refused.labels(self.service, kind).inc()

    def emitted(self, event_type: str) -> None:
        self.events_emitted.labels(self.service, event_type).inc()

    def processed(self, consumer: str, n: int = 1) -> None:
        if n:
            self.messages_processed.labels(self.service, consumer).inc(n)

    def duplicate(self, consumer: str, n: int = 1) -> None:
        if n:
            self.duplicates.labels(self.service, consumer).inc(n)

    def gap_held_back(self, consumer: str) -> None:
        self.offset_gaps.labels(self.service, consumer).inc()

    def dead_letter(self, consumer: str, n: int = 1) -> None:
        if n:
            self.dead_letters.labels(self.service, consumer).inc(n)
