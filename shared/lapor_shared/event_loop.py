"""The event loop the platform runs on: uvloop where it is installed (it is a dependency of ``lapor-shared`` on
every system but Windows), asyncio's own otherwise. uvicorn (``runtime.serve``) and FastStream's CLI pick it
the same way, so a benchmark's baselines run on the loop the services run on."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

uvloop: ModuleType | None
try:
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the platform's event loop."""
    return uvloop.run(main) if uvloop is not None else asyncio.run(main)


def name() -> str:
    """``uvloop`` or ``asyncio``: the loop ``run`` uses here."""
    return "uvloop" if uvloop is not None else "asyncio"
