"""Who is working: officers, each bound to one onboarded agency, with a role (``officer`` or
``supervisor``), a scrypt password and a database-backed session (``lapor_shared.web_sessions``, shared
with the dashboard). The agency of every command an officer sends is the account's, never the form's."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from lapor_console import repository
from lapor_console.settings import DEMO_OFFICERS, ROLES, ConsoleSettings
from lapor_shared import onboarding, web_sessions
from lapor_shared.db import Executor
from lapor_shared.logging import get_logger

log = get_logger(component="console.auth")

SESSION_COOKIE = "lapor_konsol"


@dataclass(frozen=True, slots=True)
class Officer:
    username: str
    agency_id: str
    role: str
    display_name: str
    agency_name: str | None = None

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"


class Sessions(web_sessions.Sessions):
    def __init__(self, settings: ConsoleSettings) -> None:
        super().__init__(settings.session_secret, salt="lapor-console-session", max_age_s=settings.session_max_age_s)


def _officer(record: asyncpg.Record) -> Officer | None:
    if onboarding.current().agency_code(record["agency_id"]) is None:
        log.warning("officer_of_agency_not_onboarded", agency_id=record["agency_id"])
        return None
    return Officer(record["username"], record["agency_id"], record["role"], record["display_name"] or "",
                   record["agency_name"])


async def authenticate(db: Executor, username: str, password: str) -> Officer | None:
    record = await repository.officer(db, username.strip().lower())
    if not await web_sessions.password_matches(password, record["password_hash"] if record else None):
        return None
    assert record is not None
    return _officer(record)


async def load(db: Executor, username: str) -> Officer | None:
    record = await repository.officer(db, username)
    return _officer(record) if record is not None else None


class AccountProblem(ValueError):
    pass


async def add_officer(db: Executor, username: str, password: str, agency_id: str, *, role: str = "officer",
                      display_name: str | None = None, replace: bool = False) -> bool:
    """Add an officer (or change one with ``replace``); True when a row was written."""
    if onboarding.current().agency_code(agency_id) is None:
        raise AccountProblem(f"agency {agency_id!r} is not onboarded (lapor_shared/data/onboarding.toml)")
    if role not in ROLES:
        raise AccountProblem(f"role must be one of {', '.join(ROLES)}")
    return await repository.add_officer(
        db, username=username.strip().lower(), password_hash=await web_sessions.password_hash(password),
        agency_id=agency_id, role=role, display_name=display_name, replace=replace,
    )


async def seed_demo_officers(db: Executor, settings: ConsoleSettings) -> int:
    """The demo officers (development only; never overwrites an account). Returns how many were added."""
    added = 0
    for username, agency_id, role, name in DEMO_OFFICERS:
        added += await add_officer(db, username, settings.demo_password, agency_id, role=role, display_name=name)
    if added:
        log.info("demo_officers_seeded", added=added)
    return added
