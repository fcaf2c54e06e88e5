"""Files the repository generates from the code (deploy manifests, docs): written, or checked for drift.

Every generator (``deploy/k8s/generate_topics.py``, ``generate_principals.py``) ends the same way: each
output written when its text changed, or, with ``--check``, nothing written and exit 1 naming the stale
files (``make deploy-check`` and the tests run the check).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path


def write_or_check(outputs: Mapping[Path, str], *, check: bool, root: Path) -> int:
    """Write each output whose text differs (``check``: only report it); 1 when checking found any stale."""
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{path.relative_to(root)}: {'out of date' if check else 'written'}")
    return 1 if check and stale else 0


def generator_main(description: str, outputs: Callable[[], Mapping[Path, str]], root: Path,
                   argv: list[str] | None = None) -> int:
    """The command line of a generator: ``--check`` compares, otherwise writes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a file is out of date")
    args = parser.parse_args(argv)
    return write_or_check(outputs(), check=args.check, root=root)
