"""After a broker loss: publish again what the services' outboxes published since a moment.

The outbox keeps published rows for ``relay_keep_published_s`` (24 h by default). This command marks
the rows published at or after ``--since`` as unpublished again, in every service schema given; each
service's relay then publishes them once more, in their original order. Consumers recognise the events
they already processed (inbox), so re-publishing is safe; those that lost their state read them anew.

    uv run python -m tools.republish_outbox --since 2026-11-27T08:00:00+07:00
    uv run python -m tools.republish_outbox --since 2026-11-27T08:00:00+07:00 --schema intake --dry-run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime

import asyncpg

SCHEMAS = ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console")


async def republish(database_url: str, since: datetime, schemas: tuple[str, ...], *, dry_run: bool = False) -> dict:
    """Per schema, the number of rows marked for publishing again."""
    conn = await asyncpg.connect(database_url)
    counts: dict[str, int] = {}
    try:
        for schema in schemas:
            exists = await conn.fetchval(
                "SELECT true FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'outbox'", schema
            )
            if not exists:
                continue
            if dry_run:
                counts[schema] = await conn.fetchval(
                    f'SELECT count(*) FROM "{schema}".outbox WHERE published_at >= $1', since
                )
                continue
            result = await conn.execute(
                f'UPDATE "{schema}".outbox SET published_at = NULL WHERE published_at >= $1', since
            )
            counts[schema] = int(result.split()[-1])
            await conn.execute(f"SELECT pg_notify('lapor_outbox_{schema}', '')")
    finally:
        await conn.close()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--since", required=True, type=datetime.fromisoformat,
                        help="ISO time with zone; rows published at or after it are published again")
    parser.add_argument("--schema", action="append", choices=SCHEMAS, help="only these services (repeatable)")
    parser.add_argument("--database-url",
                        default=os.environ.get("LAPOR_DATABASE_URL") or os.environ.get("DATABASE_URL"))
    parser.add_argument("--dry-run", action="store_true", help="only count")
    args = parser.parse_args()
    if args.since.tzinfo is None:
        parser.error("--since needs a time zone, e.g. 2026-11-27T08:00:00+07:00")
    if not args.database_url:
        parser.error("set LAPOR_DATABASE_URL (or pass --database-url)")
    counts = asyncio.run(republish(args.database_url, args.since, tuple(args.schema or SCHEMAS), dry_run=args.dry_run))
    verb = "akan diterbitkan ulang / would be published again" if args.dry_run else \
        "diterbitkan ulang / published again"
    for schema, n in counts.items():
        print(f"{schema:<10} {n:>8} {verb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
