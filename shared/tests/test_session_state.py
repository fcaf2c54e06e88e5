"""A pooled connection goes back to the pool without the full reset, unless it was marked as holding
session state (a session-level advisory lock, a LISTEN): then nothing of that state reaches its next user."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lapor_shared.db import create_pool, holds_session_state
from lapor_shared.settings import PostgresSettings

ROOT = Path(__file__).resolve().parents[2]
SESSION_STATE = re.compile(
    r"pg_(try_)?advisory_lock\(|add_listener\(|\bLISTEN\s+[a-z_]|WITH\s+HOLD|TEMP(ORARY)?\s+TABLE"
    r"|[\"']\s*SET\s+(SESSION\s+)?(?!LOCAL\b)\w+\s*(=|TO\b)|set_config\([^)]*false"
)
DEDICATED = {
    "services/gateway/lapor_gateway/wakeups.py": "its own connection (asyncpg.connect), closed when it stops",
}


def test_every_file_taking_session_state_on_a_connection_marks_it_first():
    sources = [*ROOT.glob("services/*/lapor_*/**/*.py"), *ROOT.glob("shared/lapor_shared/**/*.py")]
    unmarked = [
        str(path.relative_to(ROOT)) for path in sources
        if SESSION_STATE.search(text := path.read_text()) and "holds_session_state(" not in text
        and str(path.relative_to(ROOT)) not in DEDICATED and path.name != "db.py"
    ]

    assert len(sources) > 100
    assert unmarked == [], "mark the connection with lapor_shared.db.holds_session_state before taking the state"


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore:.*active notification listener")
async def test_a_marked_connection_leaves_no_lock_or_listener_and_an_unmarked_one_is_released_as_it_is(database_url):
    pool = await create_pool(PostgresSettings(url=database_url, pool_min_size=1, pool_max_size=1), schema="reset_test")
    try:
        async with pool.acquire() as conn:
            holds_session_state(conn)
            await conn.execute("SELECT pg_advisory_lock(4242)")
            await conn.add_listener("reset_test", lambda *_: None)
        async with pool.acquire() as conn:  # the pool's one connection, as its next user gets it
            locks = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            listening = await conn.fetchval("SELECT count(*) FROM pg_listening_channels()")
            await conn.execute("SET application_name = 'left-behind'")  # session state nobody marked
        async with pool.acquire() as conn:
            kept = await conn.fetchval("SELECT current_setting('application_name')")
    finally:
        await pool.close()

    assert (locks, listening) == (0, 0)
    assert kept == "left-behind"  # no reset ran: what the guard above keeps out of the code
