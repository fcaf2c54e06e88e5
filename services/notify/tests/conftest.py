"""Fixtures for notify's tests: a real SMTP server and an HTTP recorder, started per test. The harness and
the fake channels are in ``harness.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lapor_shared.testing.sinks import HttpRecorder, SmtpSink


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
