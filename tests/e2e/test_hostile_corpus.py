"""The whole adversarial corpus on every topic a service reads, interleaved with valid complaints, against
the running platform: every hostile message is refused once with a reason by each of its readers, every
valid complaint still reaches its notification, no service restarts, no partition stays behind, and the
logs stay short."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from lapor_shared.observe import consumer_lag
from lapor_shared.testing import factories as f
from lapor_shared.testing.kafka_io import consume, wait_for
from lapor_shared.topics import DEAD_LETTER, SUBMISSION_RESULTS, SUBMISSIONS
from tests.conftest import submission
from tests.hostile.campaign import Publisher, as_wire, readers, refusals_in, rejected_ids, send_corpus
from tests.hostile.messages import CORPUS, samples

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

LOG_LINES_PER_REFUSAL = 3
"""What a hostile message may cost in log lines, per consumer that refuses it (a line or two today)."""


def log_lines(platform) -> dict[str, int]:
    return {name: len(service.log_path.read_bytes().splitlines()) for name, service in platform.services.items()}


async def test_the_whole_corpus_on_every_topic_is_refused_once_and_valid_complaints_still_flow(platform):
    bootstrap = platform.bootstrap_servers
    by_topic, groups = readers()
    topic_samples = samples()
    assert set(topic_samples) == set(by_topic), "the corpus must reach every topic a service reads"
    lines_before = log_lines(platform)
    valid = [submission(reporter=f.reporter_contact()) for _ in range(12)]  # one each: rate limits per person
    waiting = list(valid)

    async def interleave(publisher: Publisher, n: int) -> None:  # valid traffic among the attacks
        if n % 3 == 0 and waiting:
            await publisher.send(SUBMISSIONS.name, as_wire(waiting.pop()), "valid")
        if n == len(CORPUS) - 1:
            for envelope in waiting:
                await publisher.send(SUBMISSIONS.name, as_wire(envelope), "valid")

    campaign = await send_corpus(bootstrap, between=interleave)
    hostile, impostors = campaign.hostile, campaign.impostors
    letters, answered = campaign.expected(by_topic)
    started = time.monotonic()

    dead = await consume(bootstrap, topics=[DEAD_LETTER.name], until=lambda rs: len(rs) >= len(letters),
                         timeout=240)
    refused, reasons = refusals_in(dead)
    results = await consume(bootstrap, topics=[SUBMISSION_RESULTS.name], timeout=60,
                            until=lambda rs: answered <= rejected_ids(rs))

    print(f"corpus: {len(CORPUS)} attacks x {len(topic_samples)} topics + {len(impostors)} conflicts ="
          f" {len(hostile)} hostile messages; {len(letters)} dead letters expected, {len(dead)} written;"
          f" {len(answered)} submissions answered with a rejection; {time.monotonic() - started:.1f} s")
    missing, extra = set(letters) - set(refused), set(refused) - set(letters)
    assert not missing, f"never refused: {sorted(missing)[:10]}"
    assert not extra, f"refused though valid: {sorted(extra)[:10]}"
    assert max(refused.values()) == 1, "each hostile message is dead-lettered once per consumer"
    assert all(reason.strip() for reason in reasons)
    assert answered <= rejected_ids(results)

    conn = await asyncpg.connect(platform.database_url)
    try:
        async def all_notified() -> bool:
            rows = await conn.fetch("SELECT DISTINCT c.channel_message_id FROM notify.notifications n"
                                    " JOIN intake.complaints c USING (tracking_number)")
            return {e.payload.channel_message_id for e in valid} <= {r["channel_message_id"] for r in rows}

        assert await wait_for(all_notified, timeout=90), "every valid complaint reaches its notification"
    finally:
        await conn.close()

    for name, service in platform.services.items():
        assert service.process.poll() is None and service.starts == 1, f"{name} restarted or died"

    async def caught_up() -> bool:
        lags = await asyncio.gather(*(consumer_lag(bootstrap, group, topics) for group, topics in groups))
        return all(lag == 0 for per_topic in lags for lag in per_topic.values())

    assert await wait_for(caught_up, timeout=20, interval=1.0), "a partition stayed behind after the corpus"

    lines_after = log_lines(platform)
    written = sum(lines_after[n] - lines_before[n] for n in lines_after)
    print(f"log lines during the corpus: {written} for {len(letters)} refusals and {len(valid)} valid complaints")
    assert written <= LOG_LINES_PER_REFUSAL * len(letters) + 60 * len(valid)
    assert all(len(line) < 20_000 for service in platform.services.values()
               for line in service.log_path.read_bytes().splitlines()), "no hostile body is echoed into a log"
