"""A service process sets aside what its start-up built, so that a full collection under load does not walk it;
a process that is not a service (a test running services in-process) never does."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import pytest

from lapor_shared import heap

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]


def run_python(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter (a freeze is for the whole process); the words of its last line
    (the log lines before it are not asserted on)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=50, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].split()


def test_a_process_that_is_not_a_service_never_freezes_its_heap(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(heap, "_armed", False)
    before = gc.get_freeze_count()

    assert heap.started() == 0
    assert gc.get_freeze_count() == before


def test_a_service_process_collects_start_ups_garbage_then_sets_aside_what_is_alive_once():
    printed = run_python("""
        import gc, weakref
        from lapor_shared import heap

        class Node:
            pass

        kept = [Node() for _ in range(1000)]
        cycle = Node()
        cycle.me = cycle
        dropped = weakref.ref(cycle)
        del cycle
        gc.disable()  # only the freeze's own collection may free the cycle
        heap.freeze_when_started()
        print(heap.started(), dropped() is None, heap.started(), gc.get_freeze_count())
    """)

    first, cycle_freed, second, frozen = printed
    assert int(first) >= 1000  # the kept objects (and the interpreter's own) are set aside
    assert cycle_freed == "True"  # start-up's garbage was collected before the freeze, not frozen
    assert second == "0"  # once only
    assert int(frozen) == int(first)


def test_serving_a_service_arms_the_freeze_before_the_server_runs_its_lifespan():
    printed = run_python("""
        from lapor_shared import heap, quiet_server, runtime
        from lapor_shared.settings import ServiceSettings

        class Server:  # stands in for uvicorn: the lifespan (Runtime.running) runs inside run()
            def __init__(self, config):
                pass

            def run(self):
                print(heap._armed)

        quiet_server.QuietServer = Server
        runtime.serve(lambda: None, ServiceSettings(environment="development", log_format="json"))
    """)

    assert printed == ["True"]
