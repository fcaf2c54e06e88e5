"""An event's scope: every line logged in it names the event and its record, and carries the producer's trace."""

from __future__ import annotations

import logging

import pytest
import structlog
from structlog.testing import LogCapture

from lapor_shared import tracing
from lapor_shared.event_scope import EventScope
from lapor_shared.logging import merge_context
from lapor_shared.testing import factories
from lapor_shared.testing.records import record

pytestmark = pytest.mark.unit

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def lines() -> LogCapture:
    return LogCapture()


def _logger(capture: LogCapture) -> structlog.typing.FilteringBoundLogger:
    return structlog.wrap_logger(None, processors=[merge_context, capture],
                                 wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))


def test_a_line_logged_in_the_scope_names_the_event_its_record_and_the_producers_trace(lines):
    envelope = factories.routed_envelope()
    scope = EventScope(record(envelope, partition=4, offset=812, headers=[("traceparent", TRACEPARENT.encode())]),
                       envelope)

    with scope():
        _logger(lines).info("inside")
        current = tracing.current_trace_id()
    _logger(lines).info("after")

    inside, after = lines.entries
    assert inside["event_id"] == str(envelope.event_id) and inside["event_type"] == "complaint.routed"
    assert inside["complaint_id"] == str(envelope.complaint_id)
    assert (inside["topic"], inside["partition"], inside["offset"]) == ("lapor.complaints", 4, 812)
    assert inside["trace_id"] == current == TRACE_ID
    assert "event_id" not in after and tracing.current_trace_id() != TRACE_ID


def test_an_event_without_a_trace_starts_one_and_keeps_it_at_every_entry(lines):
    envelope = factories.routed_envelope()
    scope = EventScope(record(envelope, headers=[]), envelope)

    with scope():
        first = tracing.current_trace_id()
    with scope(), scope():  # entered again inside itself: the same trace, still current
        second = tracing.current_trace_id()
        _logger(lines).info("inside")

    assert first is not None and first == second == lines.entries[0]["trace_id"]


def test_the_handlers_span_carries_the_same_context(lines):
    envelope = factories.routed_envelope()
    scope = EventScope(record(envelope, headers=[("traceparent", TRACEPARENT.encode())]), envelope)

    with scope.span("notify-lifecycle"), scope():
        _logger(lines).info("handled")
        current = tracing.current_trace_id()

    [line] = lines.entries
    assert line["trace_id"] == current == TRACE_ID and line["event_id"] == str(envelope.event_id)
