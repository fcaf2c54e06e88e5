"""Operator commands for followup's reference data (``python -m lapor_followup.admin …``).

    calendar list                                  the override table
    calendar add 2028-12-26 "Cuti Bersama Natal" --decree "SKB 3 Menteri No. …"   a new non-working day
    calendar add 2026-03-20 "Cuti bersama dibatalkan" --working                   a day that is worked after all
    calendar remove 2028-12-26                     forget an override (the package's calendar applies again)
    token add umum.18.71                           a new work-list token for an agency (printed once)
    token revoke umum.18.71                        revoke every token of an agency

Running services pick calendar changes up within ``calendar_refresh_s`` (5 minutes by default);
deadlines computed before the change keep their dates (each was announced with complaint.deadline_set).
The database comes from ``LAPOR_DATABASE_URL`` like the service's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date

import asyncpg

from lapor_followup import reference_data
from lapor_followup.http import CREDENTIALS
from lapor_followup.settings import FollowupSettings
from lapor_shared.bearer import add_token_parser, run_token_command
from lapor_shared.db import create_pool
from lapor_shared.migrator import migrate


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lapor_followup.admin", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="area", required=True)
    cal = sub.add_parser("calendar").add_subparsers(dest="action", required=True)
    cal.add_parser("list")
    add = cal.add_parser("add")
    add.add_argument("day", type=date.fromisoformat)
    add.add_argument("name")
    add.add_argument("--decree")
    add.add_argument("--working", action="store_true", help="the day is a working day (removes a holiday)")
    remove = cal.add_parser("remove")
    remove.add_argument("day", type=date.fromisoformat)
    add_token_parser(sub, "agency_id")
    return p


async def run(argv: Sequence[str], settings: FollowupSettings | None = None, out=sys.stdout) -> int:
    args = parser().parse_args(argv)
    settings = settings or FollowupSettings()
    pool: asyncpg.Pool = await create_pool(settings.postgres, schema="followup")
    try:
        await migrate(pool, schema="followup", package="lapor_followup.migrations")
        if args.area == "calendar":
            if args.action == "add":
                await reference_data.set_calendar_day(pool, args.day, working=args.working, name=args.name,
                                                      decree=args.decree)
            elif args.action == "remove":
                await reference_data.clear_calendar_day(pool, args.day)
            for override in await reference_data.calendar_overrides(pool):
                kind = "hari kerja / working day" if override.working else "libur / holiday"
                print(f"{override.day.isoformat()}  {kind:<26} {override.name}", file=out)
        else:
            await run_token_command(pool, CREDENTIALS, args.action, args.agency_id, getattr(args, "label", None), out)
    finally:
        await pool.close()
    return 0


def main() -> None:
    raise SystemExit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
