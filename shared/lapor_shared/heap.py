"""A service process's heap and Python's cyclic garbage collector: what start-up built is set aside.

A service builds most of what it keeps while it starts: modules, pydantic's validators, the region, category
and template tables, FastStream's and aiokafka's machinery, well over a hundred thousand objects. Python's
full collection walks every object it tracks, so under load each service paused its event loop (every hop it
runs, every request it answers) for 100–250 ms (up to 440 ms) two to four times a phase of
``make bench``, a stall every complaint in flight at that hop waited out. ``gc.freeze()`` moves what is alive
once the service consumes into a generation the collector leaves alone; the full collections under load then
took 2–72 ms (``docs/performance.md``, "Issue 17, sixteenth steps").

What start-up built is still freed by reference counting when it is dropped; only a reference cycle among
those objects would stay, and start-up leaves its garbage to the ``gc.collect()`` just before the freeze.

Only a service process freezes: ``runtime.serve`` arms it, and the service's lifespan (``Runtime.running``)
sets the heap aside once it consumes. A test process that runs services in-process (and starts and drops
many) is never frozen, so the cycles of its dropped services are collected as before.
"""

from __future__ import annotations

import gc

from lapor_shared.logging import get_logger

log = get_logger(component="heap")

_armed = False


def freeze_when_started() -> None:
    """This process is a service: set its heap aside once it has started (``runtime.serve`` calls this)."""
    global _armed
    _armed = True


def started() -> int:
    """The service has started: if armed, collect start-up's garbage and freeze what is left, once.

    Returns the number of objects set aside (0 if this process is not armed, or already froze)."""
    global _armed
    if not _armed:
        return 0
    _armed = False
    frozen = set_aside()
    log.info("heap_set_aside", objects=frozen)
    return frozen


def set_aside() -> int:
    """Collect the garbage there is, then freeze what is alive; the number of objects frozen so far.

    For a process that knows it is one (a service once started; ``make bench`` before each phase, so that
    its paced publisher is not held up while a full collection walks the previous phases' traces)."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
