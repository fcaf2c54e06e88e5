"""Records that aiokafka cannot even parse no longer stop a partition.

aiokafka decodes header keys as strict UTF-8 while it unpacks a fetched batch. A record whose header key
is not UTF-8 (any client that writes the protocol itself can produce one; the broker stores it) makes
``getmany`` raise on every poll, and the fetch is retried forever: every record of that partition, the
ones before it in the same fetch included, is stuck (aiokafka issue #321 asks for a way to skip; the Java
client tells the user to seek past it).

``install()`` wraps the record batches aiokafka's fetcher iterates: when reading a record of a batch (whose
CRC was valid) fails, the reader yields one placeholder record at that offset, with no key and value and a
marker header only this process knows, and skips the rest of that batch (one producer request: the
sender's own records). The consumer dead-letters the placeholder with the reason and the skipped
offsets; the partition moves on. ``reason_of(record)`` reads the marker, ``skipped_to(record)`` the last
offset skipped (the consumer's gap check reads on after it: ``lapor_shared.offset_gaps``).
"""

from __future__ import annotations

import secrets
from typing import Any

from aiokafka.consumer import fetcher
from aiokafka.errors import CorruptRecordException

from lapor_shared.logging import get_logger

log = get_logger(component="kafka")

MARKER = f"lapor-unreadable-{secrets.token_hex(8)}"
"""The placeholder's header name: random per process, so that no sender can forge a placeholder."""
SKIPPED_TO = f"{MARKER}-to"
"""The placeholder's second header: the last offset of its batch, skipped with it."""


class _Placeholder:
    """What aiokafka's fetcher reads of a record, for the one that could not be read."""

    def __init__(self, offset: int, reason: str, skipped_to: int) -> None:
        self.offset = offset
        self.timestamp = -1
        self.timestamp_type = 0
        self.key = None
        self.value = None
        self.checksum = None
        self.headers = [(MARKER, reason.encode()), (SKIPPED_TO, str(skipped_to).encode())]


class _SkippingBatch:
    def __init__(self, batch: Any) -> None:
        self._batch = batch

    def __getattr__(self, name: str) -> Any:
        return getattr(self._batch, name)

    def __next__(self) -> Any:  # control batches are read with next()
        return next(self._batch)

    def __iter__(self) -> Any:
        records = iter(self._batch)
        last: int | None = None
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except (UnicodeDecodeError, CorruptRecordException, ValueError) as exc:
                offset = self._batch.base_offset if last is None else last + 1
                end = self._batch.next_offset - 1
                log.error("kafka_record_unreadable_skipped", offset=offset, skipped_to=end, error=repr(exc)[:200])
                yield _Placeholder(offset, f"unreadable record ({type(exc).__name__}: {str(exc)[:200]});"
                                           f" offsets {offset}-{end} of its batch skipped", end)
                return
            last = record.offset
            yield record


class _SkippingRecords:
    def __init__(self, records: Any) -> None:
        self._records = records

    def __getattr__(self, name: str) -> Any:
        return getattr(self._records, name)

    def next_batch(self, *args: Any, **kwargs: Any) -> Any:
        batch = self._records.next_batch(*args, **kwargs)
        return None if batch is None else _SkippingBatch(batch)


_installed = False


def install() -> None:
    """Wrap the batches of every ``PartitionRecords`` aiokafka creates (once per process)."""
    global _installed
    if _installed:
        return
    original = fetcher.PartitionRecords.__init__

    def __init__(self: Any, tp: Any, records: Any, *args: Any, **kwargs: Any) -> None:
        original(self, tp, _SkippingRecords(records), *args, **kwargs)

    fetcher.PartitionRecords.__init__ = __init__
    _installed = True


def skipped_to(record: Any) -> int | None:
    """The last offset a placeholder stands for (the rest of its batch), or None for a record that was read."""
    for name, value in getattr(record, "headers", None) or ():
        if name == SKIPPED_TO:
            return int(bytes(value))
    return None


def reason_of(record: Any) -> str | None:
    """The placeholder's reason, or None for a record that was read."""
    for name, value in getattr(record, "headers", None) or ():
        if name == MARKER:
            return bytes(value).decode()
    return None
