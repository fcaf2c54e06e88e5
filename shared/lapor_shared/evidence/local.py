"""The local-directory backend: the embedded default of ``make run`` (under the run directory) and of
tests. Writes are atomic (a temporary file in the same directory, fsynced, then renamed over the key)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from lapor_shared.evidence.store import ObjectNotFound, check_key


class LocalDirectoryStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    async def stream(self, key: str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def list_older_than(self, prefix: str, before: datetime) -> list[str]:
        return await asyncio.to_thread(self._older, self._path(prefix), before.timestamp())

    def _older(self, top: Path, cutoff: float) -> list[str]:
        if not top.is_dir():
            return []
        found = []
        for path in top.rglob("*"):
            if path.is_file() and not path.name.startswith(".part-") and path.stat().st_mtime < cutoff:
                found.append(path.relative_to(self.root).as_posix())
        return sorted(found)
