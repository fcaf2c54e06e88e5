"""The in-app inbox: a table the status page reads (GET /api/v1/inbox/{tracking_number})."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from lapor_notify import repository
from lapor_notify.channels.base import OutboundMessage


class InboxChannel:
    name = "inbox"
    in_outcome_transaction = True
    """The worker writes this channel's messages in the transaction that records their outcome
    (``outcomes.record_together``): the message and its ``sent`` commit together, and a send costs no
    connection and no transaction of its own. ``send`` remains for a message written alone."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool

    async def send(self, message: OutboundMessage) -> None:
        # keyed by the delivery id: a resend after a lease expiry writes nothing twice
        async with self._pool().acquire() as conn:
            await repository.put_many_in_inbox(conn, [message])
