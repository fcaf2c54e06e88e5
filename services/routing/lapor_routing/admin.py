"""Operator commands for routing's admin credentials (``python -m lapor_routing.admin …``).

    token add 18                                   a new triage-queue token for the admins of Lampung (printed once)
    token add ID --label "meja triase nasional"    one for the nation's triage desk
    token revoke 18                                revoke every token of a scope

A token reads ``GET /triage`` of its scope's subtree only (``lapor_routing.http``). The database comes from
``LAPOR_DATABASE_URL`` like the service's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import asyncpg

from lapor_routing.http import CREDENTIALS
from lapor_routing.settings import RoutingSettings
from lapor_shared.bearer import add_token_parser, run_token_command
from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate
from lapor_shared.regions import is_known


def _scope(code: str) -> str:
    if not is_known(code):
        raise argparse.ArgumentTypeError(f"kode wilayah tidak dikenal / unknown jurisdiction code: {code!r}")
    return code


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lapor_routing.admin", description=__doc__.split("\n")[0])
    add_token_parser(p.add_subparsers(dest="area", required=True), "scope", _scope)
    return p


async def run(argv: Sequence[str], settings: RoutingSettings | None = None, out=sys.stdout) -> int:
    args = parser().parse_args(argv)
    settings = settings or RoutingSettings()
    pool: asyncpg.Pool = await create_pool(settings.postgres, schema="routing")
    try:
        await migrate(pool, schema="routing", package="lapor_routing.migrations")
        await run_token_command(pool, CREDENTIALS, args.action, args.scope, getattr(args, "label", None), out)
    finally:
        await pool.close()
    return 0


def main() -> None:
    raise SystemExit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
