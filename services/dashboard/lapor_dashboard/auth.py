"""Who is looking: officials with a password and a scope, and their signed session (the password
hashing, off the event loop, and the database-backed sessions are ``lapor_shared.web_sessions``, which
the officer console shares)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from lapor_dashboard import repository
from lapor_dashboard.scope import known
from lapor_dashboard.settings import DEMO_USERS, DashboardSettings
from lapor_shared import web_sessions
from lapor_shared.logging import get_logger
from lapor_shared.web_sessions import hash_password, verify_password

__all__ = ["SESSION_COOKIE", "Sessions", "User", "hash_password", "verify_password"]

log = get_logger(component="dashboard.auth")

SESSION_COOKIE = "lapor_dasbor"


@dataclass(frozen=True, slots=True)
class User:
    username: str
    scope: str
    role: str
    display_name: str


async def authenticate(db: repository.Executor, username: str, password: str) -> User | None:
    record = await repository.user(db, username.strip().lower())
    stored = record["password_hash"] if record is not None else None
    if not await web_sessions.password_matches(password, stored):
        return None
    assert record is not None
    return _user(record)


async def load_user(db: repository.Executor, username: str) -> User | None:
    record = await repository.user(db, username)
    return _user(record) if record is not None else None


def _user(record: asyncpg.Record) -> User | None:
    if not known(record["scope_code"]):
        log.warning("user_with_unknown_scope", scope=record["scope_code"])
        return None
    return User(record["username"], record["scope_code"], record["role"], record["display_name"] or "")


class Sessions(web_sessions.Sessions):
    """The dashboard's sessions (``lapor_shared.web_sessions``): its own secret and salt."""

    def __init__(self, settings: DashboardSettings) -> None:
        super().__init__(settings.session_secret, salt="lapor-dashboard-session", max_age_s=settings.session_max_age_s)


async def add_user(db: repository.Executor, username: str, password: str, scope: str, *,
                   role: str = "monitor", display_name: str | None = None, replace: bool = False) -> bool:
    if not known(scope):
        raise ValueError(f"unknown jurisdiction code {scope!r}")
    return await repository.add_user(
        db, username=username.strip().lower(), password_hash=await web_sessions.password_hash(password),
        scope_code=scope,
        role=role, display_name=display_name, replace=replace,
    )


async def seed_demo_users(db: repository.Executor, settings: DashboardSettings) -> int:
    """The demo officials (never overwrites an existing user). Returns how many were added."""
    added = 0
    for username, scope, display_name in DEMO_USERS:
        added += await add_user(db, username, settings.demo_password, scope, display_name=display_name)
    if added:
        log.info("demo_users_seeded", added=added)
    return added
