"""Topic provisioning reads the broker's answer for every topic: a race with another starter is fine,
any other refusal fails the run and names the topic."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from lapor_shared.kafka import ProvisioningFailed, _refusals, provision_topics
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.topics import TopicSpec

pytestmark = [pytest.mark.timeout(60)]


@dataclass
class CreateTopicsAnswer:
    """What a broker answers to CreateTopics (v1 and later: topic, error code, error message)."""

    topic_errors: list[tuple]


@pytest.mark.unit
def test_every_refused_topic_is_named_with_its_error_and_a_race_is_not_a_refusal():
    answer = CreateTopicsAnswer([
        ("lapor.complaints", 0, None),
        ("lapor.submissions", 36, "Topic with this name already exists."),
        ("lapor.jurisdiction.ID.18", 29, "Not authorized"),
        ("lapor.jurisdiction.ID.18.71", 38, "Replication factor 3 larger than available brokers: 1."),
    ])

    refused = _refusals(answer)

    assert refused == {
        "lapor.jurisdiction.ID.18": "TopicAuthorizationFailedError: Not authorized",
        "lapor.jurisdiction.ID.18.71": "InvalidReplicationFactorError: Replication factor 3 larger than available"
                                       " brokers: 1.",
    }
    assert "2 topic(s) not created" in str(ProvisioningFailed(refused))


@pytest.fixture
def kafka(infra: Infrastructure, tmp_path) -> Iterator[str]:
    bootstrap, broker = infra.new_kafka(tmp_path)
    try:
        yield bootstrap
    finally:
        if broker is not None:
            broker.stop()


@pytest.mark.integration
async def test_two_starters_provisioning_at_once_both_succeed(kafka):
    fresh = [TopicSpec(f"lapor.test.race.{n}", 1, "k", 60_000, "internal", (), (), "") for n in range(50)]

    created = await asyncio.gather(provision_topics(kafka, fresh), provision_topics(kafka, fresh))

    assert sum(created) >= 50


@pytest.mark.integration
async def test_the_command_creates_what_is_missing_on_the_configured_kafka(kafka):
    env = {**os.environ, "LAPOR_KAFKA_BOOTSTRAP_SERVERS": kafka, "LAPOR_KAFKA_REPLICATION_FACTOR": "1"}

    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "lapor_shared.provision"], env=env,
                                   capture_output=True, text=True, timeout=60)

    assert done.returncode == 0 and "0 topik baru" in done.stdout  # the fixture provisioned them all already
