"""Followup's reference data: the working calendar's overrides (holidays and collective leave decreed after the
package was built, days made working) and the deadline policies it has applied, each version with its
fingerprint (``policies``)."""

from __future__ import annotations

from datetime import date

import asyncpg

from lapor_followup.workcalendar import CalendarOverride
from lapor_shared.db import Conn


async def calendar_overrides(conn: Conn | asyncpg.Pool) -> list[CalendarOverride]:
    rows = await conn.fetch("SELECT day, working, name FROM calendar_overrides ORDER BY day")
    return [CalendarOverride(r["day"], r["working"], r["name"]) for r in rows]


async def set_calendar_day(
    conn: Conn | asyncpg.Pool, day: date, *, working: bool, name: str, decree: str | None = None
) -> None:
    await conn.execute(
        "INSERT INTO calendar_overrides (day, working, name, decree) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (day) DO UPDATE SET working = $2, name = $3, decree = $4, created_at = now()",
        day, working, name, decree,
    )


async def clear_calendar_day(conn: Conn | asyncpg.Pool, day: date) -> None:
    await conn.execute("DELETE FROM calendar_overrides WHERE day = $1", day)


async def recorded_policies(conn: Conn) -> dict[str, str]:
    rows = await conn.fetch("SELECT version, fingerprint FROM deadline_policies")
    return {r["version"]: r["fingerprint"] for r in rows}


async def record_policy(conn: Conn, *, version: str, fingerprint: str, document: dict) -> None:
    await conn.execute(
        "INSERT INTO deadline_policies (version, fingerprint, document) VALUES ($1, $2, $3)"
        " ON CONFLICT (version) DO NOTHING",
        version, fingerprint, document,
    )
