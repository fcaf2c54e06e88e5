"""On the real (embedded) broker, while producers write one partition at once: the log holds every offset,
and a reader whose batches pass the platform's gap check reads every record at the tail."""

from __future__ import annotations

import pytest

from tools import broker_gaps

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def test_a_guarded_reader_at_the_tail_skips_no_record_while_producers_write_at_once(kafka_bootstrap):
    stored, tails = await broker_gaps.run(kafka_bootstrap, producers=4, records=500, tailers=1)

    plain, guarded = tails
    assert stored == set(range(2000)), "the broker stored every offset: a gap at the tail is only ever passing"
    assert guarded.guard is not None and broker_gaps.skipped(stored, guarded) == []
    print(f"plain reader skipped {len(broker_gaps.skipped(stored, plain))}, the guarded one held back "
          f"{guarded.guard.held_back} times")
