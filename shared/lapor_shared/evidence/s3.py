"""The S3-compatible backend (MinIO in compose, any S3 on Kubernetes), through ``obstore``: the Rust
``object_store`` crate's Python binding, one wheel with no HTTP stack of its own to keep in step."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

import obstore
from obstore.store import S3Store as _ObstoreS3

from lapor_shared.evidence.store import ObjectNotFound, check_key

if TYPE_CHECKING:
    from obstore.store import S3Config


class S3Store:
    def __init__(self, bucket: str, *, endpoint: str | None = None, region: str = "us-east-1",
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 allow_http: bool = False) -> None:
        config: S3Config = {"region": region}
        if endpoint:
            config["endpoint"] = endpoint
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        self._store = _ObstoreS3(bucket, config=config,
                                 client_options={"allow_http": allow_http, "timeout": "30s"})

    async def put(self, key: str, data: bytes) -> None:
        await obstore.put_async(self._store, check_key(key), data)  # one PUT: S3 never shows half an object

    async def get(self, key: str) -> bytes:
        try:
            result = await obstore.get_async(self._store, check_key(key))
            return bytes(await result.bytes_async())
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    async def stream(self, key: str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        try:
            result = await obstore.get_async(self._store, check_key(key))
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        async for chunk in result.stream(min_chunk_size=chunk_size):
            yield bytes(chunk)

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await obstore.delete_async(self._store, check_key(key))

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self._store, check_key(key))
        except FileNotFoundError:
            return False
        return True

    async def list_older_than(self, prefix: str, before: datetime) -> list[str]:
        found: list[str] = []
        async for batch in obstore.list(self._store, check_key(prefix) + "/"):
            found.extend(meta["path"] for meta in batch if meta["last_modified"] < before)
        return sorted(found)
