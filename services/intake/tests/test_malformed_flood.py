"""A thousand malformed submissions: a thousand clear answers, and the consumer keeps running."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable

import pytest

from lapor_shared.events import encode
from lapor_shared.events.values import Channel, Location, ReporterContact
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.topics import DEAD_LETTER

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

BATCH = 50
COUNT = 1000


def _invalid(**fields) -> Callable[[], bytes]:
    """A decodable submission that breaks a business rule."""
    return lambda: encode(submitted_envelope(complaint_submitted(**fields)))


def _broken(change: Callable[[dict], None]) -> Callable[[], bytes]:
    """A submission that breaks the wire contract but still names its channel message."""

    def build() -> bytes:
        data = json.loads(encode(submitted_envelope()))
        change(data)
        return json.dumps(data).encode()

    return build


KINDS: list[tuple[Callable[[], bytes], str]] = [
    (_invalid(title=""), "required"),
    (_invalid(description="<script>alert(1)</script> jalan rusak"), "markup_not_allowed"),
    (_invalid(location=Location(region_code="99.99")), "unknown_region"),
    (_invalid(location=Location(latitude=48.85, longitude=2.35)), "outside_indonesia"),
    (_invalid(reporter=ReporterContact(phone="08123")), "invalid_phone"),
    (_invalid(reporter=ReporterContact(email="warga@")), "invalid_email"),
    (_invalid(report_type="keluhan"), "unknown_report_type"),
    (_invalid(channel=Channel.SMS, reporter=None), "contact_required"),
    (_broken(lambda d: d["payload"].update(channel="whatsapp")), "malformed"),
    (_broken(lambda d: d["payload"]["location"].update(latitude=200)), "malformed"),
    (_broken(lambda d: d["payload"].pop("submitted_at")), "malformed"),
    (_broken(lambda d: d["payload"].update(attachments=[{"url": "bukan url"}])), "malformed"),
    (_broken(lambda d: d.update(schema_version=9)), "unsupported_version"),
]


def _message_id(body: bytes) -> str:
    return json.loads(body)["payload"]["channel_message_id"]


async def test_a_thousand_malformed_submissions_get_a_thousand_clear_rejections(intake):
    kinds = itertools.islice(itertools.cycle(KINDS), COUNT)
    bodies = [(build(), code) for build, code in kinds]
    expected = {_message_id(body): code for body, code in bodies}
    garbage = [b"not json at all", b'{"event_type": "complaint.submitted", "schema_version": 1}', b"[]"]
    async with intake() as h:
        for start in range(0, len(bodies), BATCH):
            await asyncio.gather(*(h.publish_raw(body) for body, _ in bodies[start:start + BATCH]))
        for body in garbage:
            await h.publish_raw(body)
        after = submitted_envelope()
        await h.submit(after)
        await h.answered(after, timeout=60)
        await h.until(lambda: len(h.messages("lapor.submissions.results")) >= COUNT + 1, timeout=60)
        results = [m for m in h.messages("lapor.submissions.results") if m["event_type"] == "complaint.rejected"]
        await h.until(lambda: h.bodies(DEAD_LETTER.name))
        dead_lettered = h.consumer().dead_lettered
        complaints = await h.sql("SELECT count(*) AS n FROM complaints")

    answered = {r["payload"]["channel_message_id"]: r["payload"]["reasons"] for r in results}
    assert len(results) == COUNT and answered.keys() == expected.keys()
    for message_id, reasons in answered.items():
        assert expected[message_id] in {r["code"] for r in reasons}, message_id
        assert all(r["message_id"] and r["message_en"] for r in reasons)
    # unanswerable (no channel message named): dead-lettered for operators (the in-memory broker gives
    # every message offset 0, so the dead-letter topic itself keeps one of them)
    assert dead_lettered == len(garbage)
    assert complaints[0]["n"] == 1  # and the next good submission was accepted as usual
