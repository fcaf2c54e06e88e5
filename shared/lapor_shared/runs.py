"""Cutting a run of events into segments a ``Batch`` use case can write set-based (issue 17).

A set-based statement writes each row once: two events of one complaint (or one channel message…) in one
statement would see the row as it was before both, not as the first left it. So a use case cuts its run
into consecutive segments in which no key comes twice and writes the segments one after another, each
after the one before it: every event still takes effect in record order, as one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")


def segments(items: Iterable[T], key: Callable[[T], Hashable | None]) -> list[list[T]]:
    """``items`` in their order, cut into consecutive segments: a new segment starts at an item whose key
    already occurred in the current one, so no segment holds a key twice. An item whose key is ``None``
    (an event naming no complaint) repeats nothing and stays in the current segment. No items, no
    segments; all keys distinct, one segment."""
    out: list[list[T]] = []
    seen: set[Hashable] = set()
    for item in items:
        k = key(item)
        if not out or (k is not None and k in seen):
            out.append([])
            seen = set()
        out[-1].append(item)
        if k is not None:
            seen.add(k)
    return out
