"""Bearer tokens bound to one subject (an agency, the admins of a scope), for a service's read endpoints.

A token is issued to exactly one subject and only its SHA-256 is stored, in a table of the service
(``TokenTable``: followup's ``agency_credentials`` binds a token to an ``agency_id``, routing's
``admin_credentials`` to a ``scope``). The subject always comes from the token, never from the request, so a
caller can never read as someone else. Tokens arrive two ways:

- by configuration (``LAPOR_AGENCY_TOKENS``, ``LAPOR_ADMIN_TOKENS``: ``'subject=token[,subject=token…]'``),
  written to the table when the service starts (``TokenTable.sync``);
- by an operator command (``python -m lapor_followup.admin token add …``, ``python -m lapor_routing.admin
  token add …``), which prints a new token once; revoking marks every token of a subject.

Outside development a configured token shorter than ``MIN_TOKEN_LENGTH`` characters (a demo token, or one
typed by hand) is refused at start (``weak_tokens``, through each service's ``development_values``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TextIO

import asyncpg
from starlette.requests import Request

from lapor_shared.db import Conn
from lapor_shared.http_errors import Refusal

MIN_TOKEN_LENGTH = 32
"""What ``new_token`` gives is 43 characters; a demo token such as ``token-lampung`` is far shorter."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 bits from ``secrets``, URL-safe: what an operator command prints once."""
    return secrets.token_urlsafe(32)


def parse_tokens(spec: str, *, subject: str = "agency_id",
                 valid: Callable[[str], bool] = lambda _: True) -> list[tuple[str, str]]:
    """``'umum.18.71=secret1,umum.18=secret2'`` → ``[(subject, token), …]``; a subject ``valid`` refuses is
    a ``ValueError`` (a mistyped scope must not start a service that silently lets nobody in)."""
    pairs = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, token = item.partition("=")
        if not sep or not name.strip() or not token.strip():
            raise ValueError(f"tokens must look like '{subject}=token[,{subject}=token…]'")
        if not valid(name.strip()):
            raise ValueError(f"unknown {subject} in tokens: {name.strip()!r}")
        pairs.append((name.strip(), token.strip()))
    return pairs


def weak_tokens(spec: str) -> bool:
    """Whether any configured token is shorter than ``MIN_TOKEN_LENGTH`` (refused in production)."""
    return any(len(token) < MIN_TOKEN_LENGTH for _, token in parse_tokens(spec))


def bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def unauthorised(realm: str, message_id: str, message_en: str, **extra: str) -> Refusal:
    """401 with the reason in both languages and the ``WWW-Authenticate`` challenge."""
    return Refusal(401, "unauthorised", None, message_id, message_en,
                   headers=(("www-authenticate", f'Bearer realm="{realm}"'),), extra=dict(extra))


@dataclass(frozen=True, slots=True)
class TokenTable:
    """A service's table of token hashes, each bound to one subject (``token_sha256``, ``<subject>``,
    ``label``, ``created_at``, ``revoked_at``). Table and column names are this module's callers' constants,
    never input."""

    table: Literal["agency_credentials", "admin_credentials"]
    subject: Literal["agency_id", "scope"]

    async def add(self, conn: Conn | asyncpg.Pool, *, token_sha256: str, subject: str, label: str | None = None
                  ) -> None:
        await conn.execute(
            f"INSERT INTO {self.table} (token_sha256, {self.subject}, label) VALUES ($1, $2, $3)"
            f" ON CONFLICT (token_sha256) DO UPDATE SET {self.subject} = $2, label = $3, revoked_at = NULL",
            token_sha256, subject, label,
        )

    async def revoke(self, conn: Conn | asyncpg.Pool, subject: str) -> int:
        result = await conn.execute(
            f"UPDATE {self.table} SET revoked_at = now() WHERE {self.subject} = $1 AND revoked_at IS NULL", subject
        )
        return int(result.split()[-1])

    async def subject_for(self, conn: Conn | asyncpg.Pool, token_sha256: str) -> str | None:
        """The subject a (hashed) token is bound to, unless revoked."""
        found = await conn.fetchval(
            f"SELECT {self.subject} FROM {self.table} WHERE token_sha256 = $1 AND revoked_at IS NULL", token_sha256
        )
        return str(found) if found is not None else None

    async def sync(self, conn: Conn | asyncpg.Pool, pairs: list[tuple[str, str]]) -> None:
        """Write the configured tokens (``parse_tokens``' pairs), labelled ``settings``."""
        for subject, token in pairs:
            await self.add(conn, token_sha256=token_hash(token), subject=subject, label="settings")


def add_token_parser(areas: Any, subject: str, subject_type: Callable[[str], str] = str) -> None:
    """``token add <subject> [--label …]`` and ``token revoke <subject>`` under a service's admin CLI."""
    actions = areas.add_parser("token").add_subparsers(dest="action", required=True)
    add = actions.add_parser("add")
    add.add_argument(subject, type=subject_type)
    add.add_argument("--label")
    actions.add_parser("revoke").add_argument(subject, type=subject_type)


async def run_token_command(pool: asyncpg.Pool, table: TokenTable, action: str, subject: str,
                            label: str | None, out: TextIO) -> None:
    """Issue a token for ``subject`` (printed once, only its SHA-256 kept) or revoke every token it has."""
    if action == "add":
        token = new_token()
        await table.add(pool, token_sha256=token_hash(token), subject=subject, label=label)
        print(token, file=out)
    else:
        print(f"revoked {await table.revoke(pool, subject)}", file=out)

