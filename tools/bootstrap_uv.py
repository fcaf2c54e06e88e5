"""Put uv into ``.tools/uv`` with nothing but the Python standard library: ``make setup``'s first step.

A fresh Debian or Ubuntu machine refuses ``pip install`` into the system (PEP 668, "externally managed
environment") and may have no pip at all. So, in order:

1. ``python3 -m pip install --target .tools/uv uv==VERSION`` (a target directory is not the system);
2. without pip: the wheel straight from PyPI (its JSON simple index, PEP 691), checked against the
   SHA-256 PyPI publishes, and its ``uv`` binary unpacked into ``.tools/uv/bin``.

Prints the path of the uv binary. Run with any Python ≥ 3.9, e.g. Debian's ``/usr/bin/python3``:

    python3 -m tools.bootstrap_uv 0.13.9
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import stat
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def _works(binary: Path, version: str) -> bool:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return False
    return out.split()[1:2] == [version]


def with_pip(dest: Path, version: str) -> Path | None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location",
         "--target", str(dest), f"uv=={version}"],
        capture_output=True, text=True,
    )
    binary = dest / "bin" / "uv"
    return binary if done.returncode == 0 and binary.exists() else None


def _wheel_url(version: str) -> tuple[str, str]:
    machine = _ARCH.get(platform.machine().lower())
    if sys.platform != "linux" or machine is None:
        raise SystemExit(f"no uv wheel chosen for {sys.platform}/{platform.machine()}: install uv by hand")
    request = urllib.request.Request("https://pypi.org/simple/uv/",  # the JSON simple index (PEP 691)
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    wheels = [f for f in files
              if f["filename"].startswith(f"uv-{version}-") and f["filename"].endswith(f"{machine}.whl")]
    for libc in ("manylinux", "musllinux"):  # glibc first (Debian, Ubuntu), musl (Alpine) else
        for f in wheels:
            if libc in f["filename"]:
                return f["url"], f["hashes"]["sha256"]
    raise SystemExit(f"PyPI has no Linux {machine} wheel of uv {version}")


def from_pypi(dest: Path, version: str) -> Path:
    url, sha256 = _wheel_url(version)
    with urllib.request.urlopen(url, timeout=300) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"the uv wheel from {url} does not match PyPI's SHA-256: not installed")
    binary = dest / "bin" / "uv"
    binary.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        member = next(n for n in wheel.namelist() if n.endswith(".data/scripts/uv"))
        binary.write_bytes(wheel.read(member))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return binary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("version")
    parser.add_argument("--dest", type=Path, default=ROOT / ".tools" / "uv")
    parser.add_argument("--no-pip", action="store_true", help="skip pip even where it works (tests the fallback)")
    args = parser.parse_args()
    binary = args.dest / "bin" / "uv"
    if not _works(binary, args.version):
        print(f"→ memasang uv {args.version} ke {args.dest} / installing uv {args.version} into {args.dest}",
              file=sys.stderr)
        found = None if args.no_pip else with_pip(args.dest, args.version)
        binary = found or from_pypi(args.dest, args.version)
        if not _works(binary, args.version):
            raise SystemExit(f"{binary} does not run: {os.uname().machine} may need another build of uv")
    print(binary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
