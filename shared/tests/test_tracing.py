"""Setting ``OTEL_EXPORTER_OTLP_ENDPOINT`` really exports: a service process that continues a message's
trace sends the span over OTLP/HTTP to that endpoint (here a small receiver run by the test), with the
service's name, the message's trace id and the producer's span as its parent."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider

from lapor_shared import tracing
from lapor_shared.tracing import continue_trace, tracer

pytestmark = pytest.mark.unit

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"

SERVICE_PROCESS = f"""
from lapor_shared.tracing import continue_trace, setup_tracing

setup_tracing("routing")
headers = {{"traceparent": "00-{TRACE_ID}-{PARENT_SPAN_ID}-01"}}
with continue_trace(headers, "process complaint.accepted", consumer="routing.complaints"):
    pass
"""
"""What a service does with a record (the runtime's setup, the consumer's span); the batch goes at exit."""


@dataclass
class Collector:
    """An OTLP/HTTP receiver: keeps every POST (path, content type, body) and answers 200."""

    posts: list[tuple[str, str, bytes]] = field(default_factory=list)
    port: int = 0


@pytest.fixture
def collector() -> Iterator[Collector]:
    found = Collector()

    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            found.posts.append((self.path, self.headers.get("Content-Type", ""), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receive)
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


def run_service_process(env: dict[str, str]) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    subprocess.run([sys.executable, "-c", SERVICE_PROCESS], env={**clean, **env}, check=True, timeout=60,
                   capture_output=True)


def exported_spans(collector: Collector) -> list[tuple[str, object]]:
    """(service.name, span) for every span the collector received."""
    spans = []
    for path, content_type, body in collector.posts:
        assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            names = [a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"]
            spans += [(names[0], span) for scope in resource_spans.scope_spans for span in scope.spans]
    return spans


def test_a_service_with_the_otlp_endpoint_set_exports_the_span_of_the_message_it_processed(collector):
    run_service_process({"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.port}"})

    ((service, span),) = exported_spans(collector)
    assert service == "lapor-routing"
    assert span.name == "process complaint.accepted"
    assert span.trace_id.hex() == TRACE_ID and span.parent_span_id.hex() == PARENT_SPAN_ID
    assert {a.key: a.value.string_value for a in span.attributes} == {"consumer": "routing.complaints"}


def test_the_tracer_is_made_once_per_tracer_provider(monkeypatch):
    first = tracer()
    assert tracer() is first  # not a new tracer for every message

    monkeypatch.setattr(trace, "get_tracer_provider", lambda: TracerProvider())
    assert tracer() is not first


def test_without_an_exporter_a_consumer_carries_the_producers_trace_on_and_makes_no_span(monkeypatch):
    monkeypatch.setattr(tracing, "_exporting", False)

    with continue_trace({"traceparent": f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"}, "process x") as span:
        carried = tracing.current_trace_headers()["traceparent"]
    with continue_trace({}, "process y") as untraced:
        started = tracing.current_trace_id()

    assert not span.is_recording() and carried.split("-")[1] == TRACE_ID
    assert not untraced.is_recording() and started is not None and started != TRACE_ID
