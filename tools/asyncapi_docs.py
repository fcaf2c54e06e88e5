"""Write (or ``--check``) the AsyncAPI document of every service into ``docs/asyncapi/<service>.json``.

Generated from each service's runtime as ``build()`` wires it (its subscribers and declared publications), with
fixed settings so the output does not depend on the machine: ``make asyncapi`` after changing handlers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

SERVICES = ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "asyncapi"


def fixed_settings(service: str) -> Any:
    """The service's settings with a fixed broker and database (nothing connects while building)."""
    settings_module = importlib.import_module(f"lapor_{service}.settings")
    settings_class = next(
        v for k, v in vars(settings_module).items() if k.endswith("Settings") and k.lower().startswith(service)
    )
    return settings_class(kafka_bootstrap_servers="kafka:9092", database_url="postgresql://lapor@db/lapor")


def service_runtime(service: str) -> Any:
    """The service's ``Runtime`` as its composition root wires it (subscriptions, publications), unconnected;
    tests/deploy derives the Kafka ACLs each service needs from it."""
    return importlib.import_module(f"lapor_{service}.app").build(fixed_settings(service)).runtime


def render(service: str) -> str:
    document = json.loads(service_runtime(service).asyncapi().to_json())
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a committed document is out of date")
    args = parser.parse_args()
    DOCS.mkdir(parents=True, exist_ok=True)
    stale = []
    for service in SERVICES:
        path = DOCS / f"{service}.json"
        text = render(service)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)} — run `make asyncapi`", file=sys.stderr)
        return 1
    print(f"docs/asyncapi: {len(SERVICES)} documents {'up to date' if args.check else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
