"""``python -m lapor_dashboard.users``: add or change a dashboard official.

    uv run python -m lapor_dashboard.users add kabtanggamus 18.06 --name "Pemantau Kab. Tanggamus"
    uv run python -m lapor_dashboard.users add lampung 18 --replace        # a new password or scope

The password is asked for at the prompt (or read from ``LAPOR_NEW_USER_PASSWORD``), never from the
command line, and stored as a scrypt hash. The scope is a code of the jurisdiction tree: ``ID`` (the
nation), a province (``18``) or a regency/city (``18.71``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from lapor_dashboard import auth
from lapor_dashboard.scope import known, name_of
from lapor_dashboard.settings import DashboardSettings
from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate


async def add(settings: DashboardSettings, username: str, scope: str, password: str, *, display_name: str | None,
              role: str, replace: bool) -> bool:
    pool = await create_pool(settings.postgres, schema="dashboard")
    try:
        await migrate(pool, schema="dashboard", package="lapor_dashboard.migrations")
        return await auth.add_user(pool, username, password, scope, role=role, display_name=display_name,
                                   replace=replace)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pengguna dasbor / dashboard users")
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", help="add an official (or change one with --replace)")
    adding.add_argument("username")
    adding.add_argument("scope", help="jurisdiction code: ID, a province (18) or a regency/city (18.71)")
    adding.add_argument("--name", help="display name")
    adding.add_argument("--role", default="monitor")
    adding.add_argument("--replace", action="store_true", help="overwrite an existing user")
    args = parser.parse_args(argv)

    if not known(args.scope):
        print(f"✗ Kode wilayah tidak dikenal / unknown jurisdiction code: {args.scope}", file=sys.stderr)
        return 2
    password = os.environ.get("LAPOR_NEW_USER_PASSWORD") or getpass.getpass("Kata sandi / password: ")
    if len(password) < 10:
        print("✗ Kata sandi minimal 10 karakter / at least 10 characters", file=sys.stderr)
        return 2
    written = asyncio.run(add(DashboardSettings(), args.username, args.scope, password, display_name=args.name,
                              role=args.role, replace=args.replace))
    if not written:
        print(f"✗ {args.username} sudah ada (pakai --replace) / already exists (use --replace)", file=sys.stderr)
        return 1
    print(f"✓ {args.username}: {name_of(args.scope)} ({args.scope})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
