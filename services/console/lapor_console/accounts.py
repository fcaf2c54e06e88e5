"""``python -m lapor_console.accounts``: add or change an officer of the console.

    uv run python -m lapor_console.accounts add budi dinkes.18.71 --name "Budi, Dinkes Kota Bandar Lampung"
    uv run python -m lapor_console.accounts add sari umum.18.71 --role supervisor
    echo "$PASSWORD" | uv run python -m lapor_console.accounts add budi dinkes.18.71 --password-stdin --replace

The agency must be onboarded (``lapor_shared/data/onboarding.toml`` or ``LAPOR_ONBOARDING_FILE``). The
password is read from standard input (``--password-stdin``), never from the command line; without it one
is generated and printed once. It is stored as a scrypt hash only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from lapor_console import auth
from lapor_console.settings import ROLES, ConsoleSettings
from lapor_shared import web_sessions
from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate

MIN_PASSWORD = 10


async def add(settings: ConsoleSettings, username: str, agency_id: str, password: str, *, role: str,
              display_name: str | None, replace: bool) -> bool:
    pool = await create_pool(settings.postgres, schema="console")
    try:
        await migrate(pool, schema="console", package="lapor_console.migrations")
        return await auth.add_officer(pool, username, password, agency_id, role=role, display_name=display_name,
                                      replace=replace)
    finally:
        await pool.close()


def main(argv: list[str] | None = None, settings: ConsoleSettings | None = None) -> int:
    parser = argparse.ArgumentParser(description="Akun petugas konsol / officer console accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", help="add an officer (or change one with --replace)")
    adding.add_argument("username")
    adding.add_argument("agency_id", help="an onboarded agency id, e.g. umum.18.71")
    adding.add_argument("--role", default="officer", choices=ROLES)
    adding.add_argument("--name", help="display name")
    adding.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    adding.add_argument("--replace", action="store_true", help="overwrite an existing account")
    args = parser.parse_args(argv)

    generated = not args.password_stdin
    password = web_sessions.new_password() if generated else sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        print(f"✗ Kata sandi minimal {MIN_PASSWORD} karakter / at least {MIN_PASSWORD} characters", file=sys.stderr)
        return 2
    try:
        written = asyncio.run(add(settings or ConsoleSettings(), args.username, args.agency_id, password,
                                  role=args.role, display_name=args.name, replace=args.replace))
    except auth.AccountProblem as problem:
        print(f"✗ {problem}", file=sys.stderr)
        return 2
    if not written:
        print(f"✗ {args.username} sudah ada (pakai --replace) / already exists (use --replace)", file=sys.stderr)
        return 1
    print(f"✓ {args.username.strip().lower()}: {args.agency_id} ({args.role})")
    if generated:
        print(f"  kata sandi / password (sekali ini saja / shown once): {password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
