"""An event's scope: the trace its producer started, carried on, and the log context naming the event and its
record, both worked out once per event and entered as often as the consumer and the use case need them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace

from lapor_shared.events import Envelope
from lapor_shared.logging import log_scope
from lapor_shared.tracing import continue_trace, headers_to_carrier, trace_parent

__all__ = ["EventScope"]


class EventScope:
    """An event's trace and log context, the same each time it is entered (``Tx.scope``): the trace the
    producer started continues here, and every log line names the event and the record. Both are worked
    out once per event (the scope is entered several times per event) and entered without a generator."""

    __slots__ = ("_context", "_parent", "_trace", "envelope", "record")

    def __init__(self, record: Any, envelope: Envelope[Any]) -> None:
        self.record = record
        self.envelope = envelope
        self._parent: Any = None
        self._trace = 0
        self._context: dict[str, Any] | None = None

    def parent(self) -> Any:
        if self._parent is None:
            self._parent = trace_parent(headers_to_carrier(self.record.headers), always=True)
            self._trace = otel_trace.get_current_span(self._parent).get_span_context().trace_id
        return self._parent

    def context(self) -> dict[str, Any]:
        """What every line logged in the scope carries: the event, the record and the trace id."""
        if self._context is None:
            self.parent()
            self._context = {**_log_context(self.record, self.envelope), "trace_id": format(self._trace, "032x")}
        return self._context

    def __call__(self) -> _Entered:
        return _Entered(self)

    @contextmanager
    def span(self, consumer: str) -> Iterator[None]:
        """Around a handler: a consumer span of the event's trace (when spans are exported) and its log context."""
        with continue_trace({}, f"process {self.envelope.event_type}", parent=self.parent(), consumer=consumer,
                            event_id=self.envelope.event_id), log_scope(self.context()):
            yield


class _Entered:
    """An ``EventScope`` entered: its trace current (unless it already is) and its log context bound."""

    __slots__ = ("_log", "_scope", "_token")

    def __init__(self, scope: EventScope) -> None:
        self._scope = scope
        self._token: object = None
        self._log = log_scope(scope.context())

    def __enter__(self) -> None:
        if otel_trace.get_current_span().get_span_context().trace_id != self._scope._trace:
            self._token = otel_context.attach(self._scope.parent())
        self._log.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._log.__exit__(*exc)
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]
            self._token = None


def _log_context(record: Any, envelope: Envelope[Any]) -> dict[str, Any]:
    return {
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "correlation_id": str(envelope.correlation_id),
        "complaint_id": str(envelope.complaint_id) if envelope.complaint_id else None,
        "tracking_number": envelope.tracking_number,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
    }
