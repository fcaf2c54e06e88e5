"""The object store behind evidence: one small async interface, two backends (``local``, ``s3``).

Keys are plain relative paths of ASCII letters, digits, ``.``, ``-``, ``_`` and ``/`` (``incoming/…``,
``evidence/…``), checked here so that no backend ever sees ``..``, an absolute path or a control
character. ``list_older_than`` is what the orphan sweep and retention use.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class ObjectNotFound(Exception):
    """No object under this key."""


def check_key(key: str) -> str:
    """The key itself, or ValueError: no ``..``, no leading ``/`` or ``.``, nothing but ``[A-Za-z0-9._-/]``."""
    if len(key) > 512 or not _KEY.match(key):
        raise ValueError(f"invalid object key {key!r}")
    return key


class ObjectStore(Protocol):
    """Where evidence bytes live. Every method is safe to call again (a put overwrites, a delete of
    nothing is not an error)."""

    async def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, all or nothing (a reader never sees half an object)."""

    async def get(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound when there is none."""

    def stream(self, key: str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """The object's bytes in chunks (ObjectNotFound on the first step when there is none)."""

    async def delete(self, key: str) -> None:
        """Remove the object; nothing happens when there is none."""

    async def exists(self, key: str) -> bool: ...

    async def list_older_than(self, prefix: str, before: datetime) -> list[str]:
        """Keys under ``prefix/`` last written before ``before`` (time-zone aware)."""
