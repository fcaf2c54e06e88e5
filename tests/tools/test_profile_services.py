"""make profile: what each sample was doing is read from its stack, and our own hot functions are named."""

from __future__ import annotations

import pytest

from tools.profile_services import kind_of, summarise, table

pytestmark = pytest.mark.unit

LOOP = "<module> (lapor_intake/__main__.py:13);serve (lapor_shared/runtime.py:371);Handle._run (asyncio/events.py:80)"
SAMPLES = "\n".join([
    f"{LOOP};BaseEventLoop._run_once (asyncio/base_events.py:1922);EpollSelector.select (selectors.py:468) 50",
    f"{LOOP};accept_submission (lapor_intake/service.py:93);lock_identity (lapor_intake/repository.py:40);"
    "Connection.execute (asyncpg/connection.py:350);_SelectorSocketTransport.write (asyncio/selector_events.py:1) 30",
    f"{LOOP};Fetcher._proc_fetch_request (aiokafka/consumer/fetcher.py:700);"
    "AIOKafkaClient.send (aiokafka/client.py:1) 12",
    f"{LOOP};accept_submission (lapor_intake/service.py:140);BaseModel.__init__ (pydantic/main.py:250) 5",
    f"{LOOP};accept_submission (lapor_intake/service.py:150);uuid4 (uuid.py:723) 3",
    "not a sample line",
])


def test_a_sample_asleep_in_select_is_waiting_and_one_in_asyncpg_is_postgresql_whatever_called_it():
    stacks = [line.rpartition(" ")[0].split(";") for line in SAMPLES.splitlines()[:5]]

    assert [kind_of(s) for s in stacks] == ["waiting", "PostgreSQL", "Kafka fetch", "validation", "other"]


def test_a_sample_in_uvloops_c_loop_is_waiting_but_one_that_runs_our_code_from_it_is_not():
    runner = "<module> (lapor_intake/__main__.py:13);run (asyncio/runners.py:190);Runner.run (asyncio/runners.py:118)"
    working = f"{runner};accept_submission (lapor_intake/service.py:93);uuid4 (uuid.py:723)"

    assert [kind_of(s.split(";")) for s in (runner, working)] == ["waiting", "other"]


def test_the_summary_counts_every_sample_once_and_names_our_functions_inclusively():
    total, kinds, own = summarise(SAMPLES)

    assert total == 100
    assert (kinds["waiting"], kinds["PostgreSQL"], kinds["Kafka fetch"], kinds["validation"], kinds["other"]) == (
        50, 30, 12, 5, 3)
    assert own["lapor_intake/service.py accept_submission"] == 38
    assert own["lapor_intake/repository.py lock_identity"] == 30
    assert "lapor_shared/runtime.py serve" not in own  # every sample passes through it: it says nothing


def test_the_table_gives_shares_per_kind_and_the_hottest_functions_of_each_service():
    text = table({"intake": summarise(SAMPLES)})

    row = text.splitlines()[2]
    assert row.startswith("| intake | 100 | 50 % | 30 % | 12 % |")
    assert "`accept_submission` 38 %" in row and "`lock_identity` 30 %" in row
