"""Pin the production overlay's images to the digests a release pushed (never a tag, which can move).

    make images IMAGE_PREFIX=registry.example.com/lapor/          # tags lapor-<service>:<commit id>
    docker push registry.example.com/lapor/lapor-routing:<commit id>   # prints "digest: sha256:…"
    uv run python deploy/k8s/pin_images.py --registry registry.example.com/lapor/ --release <commit id> \\
        routing=sha256:… [intake=sha256:… …]

Rewrites the ``images:`` block of ``overlays/production/kustomization.yaml``: each named service gets
``newName: <registry>lapor-<service>`` and ``digest: sha256:…``, with the release it came from as a comment;
services not named keep their pin (one service upgrades on its own). Commit the change: git then records
what runs, and applying the overlay again can never bring back another build (docs/operations.md, "Rolling
back"). tests/deploy checks that every production image is pinned by digest.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRODUCTION = HERE / "overlays" / "production" / "kustomization.yaml"
SERVICES = ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
BEGIN, END = "images:\n", "patches:\n"


def parse_pin(text: str) -> tuple[str, str]:
    """``routing=sha256:…`` → (``routing``, ``sha256:…``), refusing anything else."""
    service, _, digest = text.partition("=")
    if service not in SERVICES:
        raise ValueError(f"{service!r} is not a service ({', '.join(SERVICES)})")
    if not DIGEST.fullmatch(digest):
        raise ValueError(f"{digest!r} is not an image digest (sha256: and 64 hexadecimal digits)")
    return service, digest


def current_pins(text: str) -> dict[str, tuple[str, str, str]]:
    """Service → (newName, digest, release comment) of the overlay's ``images:`` block."""
    pins = {}
    for match in re.finditer(r"  - name: lapor-(\w+)\n    newName: (\S+)\n    digest: (\S+)(?:  # release (\S+))?\n",
                             text):
        pins[match.group(1)] = (match.group(2), match.group(3), match.group(4) or "")
    return pins


def render_block(pins: dict[str, tuple[str, str, str]]) -> str:
    lines = [BEGIN]
    for service in SERVICES:
        name, digest, release = pins[service]
        lines.append(f"  - name: lapor-{service}\n    newName: {name}\n    digest: {digest}"
                     + (f"  # release {release}" if release else "") + "\n")
    return "".join(lines)


def pin(text: str, registry: str, release: str, digests: dict[str, str]) -> str:
    """The kustomization ``text`` with ``digests`` pinned (from ``registry``, built from ``release``)."""
    start, end = text.index(BEGIN), text.index(END)
    pins = current_pins(text[start:end])
    missing = set(SERVICES) - set(pins) - set(digests)
    if missing:
        raise ValueError(f"no digest for {sorted(missing)}: pin every service once")
    for service, digest in digests.items():
        pins[service] = (f"{registry}lapor-{service}", digest, release)
    return text[:start] + render_block(pins) + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True, help="the image prefix, e.g. registry.example.com/lapor/")
    parser.add_argument("--release", required=True, help="the commit id the images were built from")
    parser.add_argument("pins", nargs="+", metavar="SERVICE=DIGEST")
    args = parser.parse_args(argv)
    try:
        digests = dict(parse_pin(p) for p in args.pins)
        PRODUCTION.write_text(pin(PRODUCTION.read_text(encoding="utf-8"), args.registry, args.release, digests),
                              encoding="utf-8")
    except ValueError as exc:
        print(f"pin_images: {exc}", file=sys.stderr)
        return 2
    print(f"{PRODUCTION.relative_to(HERE.parent.parent)}: pinned {', '.join(sorted(digests))} (release {args.release})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
