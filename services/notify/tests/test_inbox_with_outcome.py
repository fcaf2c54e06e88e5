"""The in-app inbox is written in the transaction that records its outcome: the message and its ``sent``
status commit together (exactly one message), and a worker whose claim was taken back writes nothing."""

from __future__ import annotations

from uuid import uuid4

from lapor_notify import claiming
from lapor_notify.channels.inbox import InboxChannel
from lapor_notify.outcomes import Result
from lapor_shared.testing.factories import accepted_envelope

from .harness import NotifyHarness


async def inbox_rows(h: NotifyHarness) -> list[dict]:
    return [dict(r) for r in await h.pool.fetch("SELECT delivery_id, template FROM inbox_messages")]


async def claim_all(h: NotifyHarness) -> list:
    claim = await claiming.claim(h.pool, now=h.clock.now(), sending=h.settings.sending, limit=10, token=uuid4(),
                                 worker_key=1)
    return claim.rows


async def test_an_inbox_message_is_written_with_its_sent_status_and_its_event(database_url):
    async with NotifyHarness(database_url, channels={"inbox": InboxChannel(lambda: h.pool)}) as h:
        await h.publish(accepted_envelope())
        await h.deliver()
        sent = await h.deliveries(channel="inbox")
        rows = await inbox_rows(h)
    assert [d["status"] for d in sent] == ["sent"]
    assert rows == [{"delivery_id": sent[0]["notification_id"], "template": "complaint_accepted.reporter"}]
    assert [e["payload"]["notification_id"] for e in h.events] == [str(sent[0]["notification_id"])]


async def test_a_worker_whose_claim_was_taken_back_writes_no_inbox_message(database_url):
    async with NotifyHarness(database_url, channels={"inbox": InboxChannel(lambda: h.pool)}) as h:
        await h.publish(accepted_envelope())
        [row] = await claim_all(h)
        message = await h.worker.dispatcher.compose(row)
        await h.pool.execute("UPDATE notifications SET lease_token = $1", uuid4())  # another worker's now
        lost = await h.worker.outcomes.record_together([Result(row, "sent", inbox=message)])
        after_loss = await inbox_rows(h)
        await h.pool.execute("UPDATE notifications SET lease_token = $1", row["lease_token"])
        kept = await h.worker.outcomes.record_together([Result(row, "sent", inbox=message)])
        after_record = await inbox_rows(h)
    assert lost == set() and after_loss == []
    assert kept == {row["notification_id"]} and [r["delivery_id"] for r in after_record] == [row["notification_id"]]
