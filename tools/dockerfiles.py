"""Write (or ``--check``) ``services/<service>/Dockerfile`` from ``deploy/docker/service.Dockerfile.in``.

One image per service, one Dockerfile per service (built from the repository root), and one template they all
come from: ``make dockerfiles`` after changing it. The port is the service's own default (its settings).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "docker" / "service.Dockerfile.in"
DESCRIBED = {  # the header line and the image's description label
    "intake": ("accepts submissions from every channel.", "intake service"),
    "routing": ("decides which agency is responsible.", "routing service"),
    "followup": ("the life of a routed complaint: deadlines, responses, escalation.", "followup service"),
    "notify": ("tells reporters and officers.", "notify service"),
    "dashboard": ("the oversight dashboard (read model of the lifecycle events, web pages).", "oversight dashboard"),
    "gateway": ("the platform's own channels (HTTP API, web form, Open311, SMS 1708, call-centre import).",
                "channel gateway"),
}
SERVICES = tuple(DESCRIBED)


def port(service: str) -> int:
    settings = importlib.import_module(f"lapor_{service}.settings")
    cls = next(v for k, v in vars(settings).items() if k.endswith("Settings") and k.lower().startswith(service))
    return cls.model_fields["http_port"].default


def render(service: str) -> str:
    """The template without its own two-line header, with the service's name, descriptions and port."""
    text = TEMPLATE.read_text(encoding="utf-8").split("\n", 2)[2]
    summary, description = DESCRIBED[service]
    for token, value in (("{service}", service), ("{summary}", summary), ("{description}", description),
                         ("{port}", str(port(service)))):
        text = text.replace(token, value)
    return text


def path(service: str) -> Path:
    return ROOT / "services" / service / "Dockerfile"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a committed Dockerfile is out of date")
    args = parser.parse_args()
    stale = [s for s in SERVICES if not path(s).exists() or path(s).read_text(encoding="utf-8") != render(s)]
    if args.check:
        for service in stale:
            print(f"{path(service).relative_to(ROOT)} differs from its template: run `make dockerfiles`")
        return 1 if stale else 0
    for service in stale:
        path(service).write_text(render(service), encoding="utf-8")
    print(f"Dockerfiles: {len(stale)} of {len(SERVICES)} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
