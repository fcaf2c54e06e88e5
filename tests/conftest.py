"""Cross-service tests: fixtures that start every service as a process on real infrastructure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Channel, Location, ReporterContact
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.platform import Platform


def submission(**overrides) -> Envelope[ComplaintSubmitted]:
    """A valid submission as a channel adapter would publish it; any field can be overridden."""
    fields = dict(
        channel=Channel.WEB,
        channel_message_id=f"web-{uuid.uuid4().hex}",
        report_type="pengaduan",
        title="Jalan berlubang di Jalan Teuku Umar",
        description="Lubang besar di tengah jalan sudah dua minggu dan membahayakan pengendara motor.",
        location=Location(region_code="18.71"),
        reporter=ReporterContact(name="Siti Aminah", phone="+6281234567890", email="siti@example.id"),
        submitted_at=datetime.now(UTC),
    )
    fields.update(overrides)
    return Envelope.new(ComplaintSubmitted(**fields), producer="test-adapter")


@pytest.fixture
def platform(infra: Infrastructure, kafka_bootstrap: str, database_url: str, tmp_path) -> Iterator[Platform]:
    """Every service, each its own process, on a fresh broker and a fresh database; its consumer groups
    form in a second (``QUICK_GROUPS``: no test here restarts a service)."""
    running = Platform(kafka_bootstrap, database_url, tmp_path / "logs", quick_groups=True).start()
    try:
        yield running
    finally:
        codes = running.stop()
        print("service exit codes:", codes)
