"""Who is looking: officials with a password (hashlib.scrypt) and a scope, and their signed session.

The session cookie holds only a random session id, signed and time-stamped with itsdangerous; every
request reads the session and its user from the database, so logging out, a changed scope or a removed
user takes effect at once.
Hashing takes tens of milliseconds and 16 MB by design: it runs in worker threads, a few at a time,
never on the event loop (a burst of log-ins must not stall the pages, the stream or the consumer).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import asyncpg
from itsdangerous import BadData, URLSafeTimedSerializer

from lapor_dashboard import repository
from lapor_dashboard.scope import known
from lapor_dashboard.settings import DEMO_USERS, DashboardSettings
from lapor_shared.logging import get_logger

log = get_logger(component="dashboard.auth")

SESSION_COOKIE = "lapor_dasbor"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_HASHER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lapor-password-hash")
"""Hashes computed at the same time (each holds 16 MB); more wait their turn, off the event loop."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    scope: str
    role: str
    display_name: str


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.urlsafe_b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _verify_or_dummy(password: str, stored: str | None) -> bool:
    if stored is None:
        verify_password(password, _dummy_hash())  # the same work whether or not the user exists
        return False
    return verify_password(password, stored)


async def off_the_loop(function: Any, *args: Any) -> Any:
    """``function(*args)`` in one of the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_HASHER, function, *args)


async def authenticate(db: repository.Executor, username: str, password: str) -> User | None:
    record = await repository.user(db, username.strip().lower())
    stored = record["password_hash"] if record is not None else None
    if not await off_the_loop(_verify_or_dummy, password, stored):
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


class Sessions:
    """Sessions kept in the database, named by a signed, expiring cookie.

    The cookie holds a random session id (128 bits, signed and time-stamped with itsdangerous); the
    ``sessions`` table holds its SHA-256, the user and when it ends. A session counts while its row is
    there, unexpired and not ended: logging out ends it for every copy of the cookie."""

    def __init__(self, settings: DashboardSettings) -> None:
        self._serializer = URLSafeTimedSerializer(settings.session_secret, salt="lapor-dashboard-session")
        self.max_age_s = settings.session_max_age_s

    async def open(self, db: repository.Executor, user: User) -> str:
        """A new session for ``user``: the cookie's value."""
        session_id = secrets.token_urlsafe(16)
        await repository.open_session(db, _digest(session_id), user.username, self.max_age_s)
        return self._serializer.dumps({"s": session_id})

    async def username(self, db: repository.Executor, token: str | None) -> str | None:
        """The user of a live session, or None (no cookie, forged, expired or ended)."""
        session_id = self._session_id(token)
        return await repository.session_user(db, _digest(session_id)) if session_id else None

    async def end(self, db: repository.Executor, token: str | None) -> None:
        session_id = self._session_id(token)
        if session_id:
            await repository.end_session(db, _digest(session_id))

    def _session_id(self, token: str | None) -> str | None:
        if not token:
            return None
        try:
            data = self._serializer.loads(token, max_age=self.max_age_s)
        except BadData:  # expired, forged, or not even a token
            return None
        session_id = data.get("s") if isinstance(data, dict) else None
        return session_id if isinstance(session_id, str) else None


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


async def add_user(db: repository.Executor, username: str, password: str, scope: str, *,
                   role: str = "monitor", display_name: str | None = None, replace: bool = False) -> bool:
    if not known(scope):
        raise ValueError(f"unknown jurisdiction code {scope!r}")
    return await repository.add_user(
        db, username=username.strip().lower(), password_hash=await off_the_loop(hash_password, password),
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
