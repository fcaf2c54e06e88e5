"""Fixtures for notify's tests: a real SMTP server and an HTTP recorder, started per test. The harness and
the fake channels are in ``harness.py``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from structlog.testing import LogCapture

from lapor_notify import (
    claiming,
    digest,
    housekeeping,
    liveness,
    outcomes,
    recipients,
    sending,
    service,
    worker,
)
from lapor_shared import consumer
from lapor_shared.logging import merge_context
from lapor_shared.testing.sinks import HttpRecorder, SmtpSink

NOTIFY_MODULES = (claiming, digest, housekeeping, liveness, outcomes, recipients, sending, service, worker, consumer)


@pytest.fixture
def notify_logs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every line notify's modules (and its consumers) log during the test, with the bound context.

    Fresh loggers replace the modules' own, which structlog may have cached with another test's
    configuration (``cache_logger_on_first_use``): ``structlog.testing.capture_logs`` would then see nothing.
    """
    capture = LogCapture()
    for module in NOTIFY_MODULES:
        monkeypatch.setattr(module, "log", structlog.wrap_logger(
            None, processors=[merge_context, capture],
            wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        ))
    return capture.entries


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    sink = await SmtpSink().start()
    try:
        yield sink
    finally:
        await sink.stop()


@pytest.fixture
async def http_recorder() -> AsyncIterator[HttpRecorder]:
    recorder = await HttpRecorder().start()
    try:
        yield recorder
    finally:
        await recorder.stop()
