"""Who is logged in to a web application of the platform (the dashboard, the officer console): passwords
stored as scrypt hashes, sessions kept in the database and named by a signed, expiring cookie.

Hashing takes tens of milliseconds and 16 MB by design: it runs in worker threads, a few at a time, never
on the event loop (a burst of log-ins must not stall the pages, the live stream or the consumer). A
failed log-in of an unknown user does the same work as a wrong password, so the answer's timing does
not tell which usernames exist.

The cookie holds only a random session id (128 bits), signed and time-stamped with itsdangerous; the
service's ``sessions`` table (same columns in every schema that uses it, see the dashboard's
``0003_sessions.sql``) holds its SHA-256, the user and when it ends. Every request reads the session from
the database, so logging out ends it for every copy of the cookie at once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from itsdangerous import BadData, URLSafeTimedSerializer

from lapor_shared.db import Executor

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_HASHER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lapor-password-hash")
"""Hashes computed at the same time (each holds 16 MB); more wait their turn, off the event loop."""

T = TypeVar("T")


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


async def off_the_loop(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in one of the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_HASHER, function, *args)


async def password_hash(password: str) -> str:
    """``hash_password`` off the event loop."""
    return await off_the_loop(hash_password, password)


async def password_matches(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (None: no such user, answered as slowly as a wrong password)."""
    return await off_the_loop(_verify_or_dummy, password, stored)


def new_password() -> str:
    """A generated password (16 characters of the URL-safe alphabet, ~96 bits) for an account created
    without one."""
    return secrets.token_urlsafe(12)


class Sessions:
    """Sessions kept in the service's ``sessions`` table, named by a signed, expiring cookie. A session
    counts while its row is there, unexpired and not ended."""

    def __init__(self, secret: str, *, salt: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=salt)
        self.max_age_s = max_age_s

    async def open(self, db: Executor, username: str) -> str:
        """A new session for ``username``: the cookie's value. Ended and expired sessions of more than a
        day ago are swept on the way."""
        session_id = secrets.token_urlsafe(16)
        await db.execute("DELETE FROM sessions WHERE expires_at < now() - interval '1 day'")
        await db.execute(
            "INSERT INTO sessions (id_hash, username, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
            _digest(session_id), username, float(self.max_age_s),
        )
        return self._serializer.dumps({"s": session_id})

    async def username(self, db: Executor, token: str | None) -> str | None:
        """The user of a live session, or None (no cookie, forged, expired or ended)."""
        session_id = self.session_id(token)
        if session_id is None:
            return None
        value = await db.fetchval(
            "SELECT username FROM sessions WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > now()",
            _digest(session_id),
        )
        return str(value) if value is not None else None

    async def end(self, db: Executor, token: str | None) -> None:
        session_id = self.session_id(token)
        if session_id:
            await db.execute("UPDATE sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL",
                             _digest(session_id))

    def session_id(self, token: str | None) -> str | None:
        """The session id a cookie names, when its signature holds and it has not expired."""
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


def csrf_token(secret: str, session_id: str) -> str:
    """The token a form of this session must carry (HMAC of the session id): a page of another site cannot
    read it, so it cannot post a form in the officer's name."""
    return hmac.new(secret.encode(), b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, session_id: str | None, given: str | None) -> bool:
    return bool(session_id and given) and hmac.compare_digest(csrf_token(secret, session_id or ""), given or "")
