"""An anonim reporter's identity appears nowhere outside intake's store and the restricted contacts topic:
not on any other topic, not in any service's log, not in a health response."""

from __future__ import annotations

import asyncio
import json
import random
import urllib.request
import uuid

import asyncpg
import pytest

from lapor_shared.crypto import ContactCipher
from lapor_shared.events.values import ReporterContact
from lapor_shared.settings import ServiceSettings
from lapor_shared.testing.kafka_io import consume, publish, read_every_topic, wait_for
from lapor_shared.topics import CONTACTS, SUBMISSION_RESULTS, SUBMISSIONS
from tests.conftest import submission

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


async def test_an_anonim_reporters_identity_leaks_into_no_topic_log_or_response(platform):
    marker = f"Penanda{uuid.uuid4().hex[:10]}"
    phone = f"+62812{random.randrange(10**8):08d}"
    contact = ReporterContact(name=f"Rahmat {marker}", phone=phone, email=f"{marker.lower()}@contoh.id")
    complaint = submission(anonymous=True, reporter=contact)
    needles = [marker.lower().encode(), phone[1:].encode(), ("0" + phone[3:]).encode()]
    bootstrap = platform.bootstrap_servers
    await publish(bootstrap, SUBMISSIONS.name, [complaint])

    [answer] = [
        json.loads(r.value) for r in await consume(
            bootstrap, topics=[SUBMISSION_RESULTS.name], timeout=60,
            until=lambda rs: any(complaint.payload.channel_message_id.encode() in r.value for r in rs),
        ) if complaint.payload.channel_message_id.encode() in r.value
    ]
    assert answer["event_type"] == "submission.accepted"
    complaint_id = answer["complaint_id"]

    conn = await asyncpg.connect(platform.database_url)
    try:
        async def notify_has_it() -> bool:
            notified = await conn.fetchval(
                "SELECT count(*) FROM notify.notifications WHERE complaint_id = $1", uuid.UUID(complaint_id)
            )
            if await conn.fetchval("SELECT to_regclass('notify.contacts') IS NOT NULL"):
                notified = notified and await conn.fetchval(
                    "SELECT count(*) FROM notify.contacts WHERE complaint_id = $1", uuid.UUID(complaint_id)
                )
            return bool(notified)

        assert await wait_for(notify_has_it, timeout=60), "notify should have the complaint and its contact"
        reporter_ref = str(await conn.fetchval(
            "SELECT reporter_ref FROM intake.complaints WHERE complaint_id = $1", uuid.UUID(complaint_id)
        ))
    finally:
        await conn.close()
    await wait_for(lambda: _routed(bootstrap, complaint_id), timeout=60)
    needles.append(reporter_ref.encode())

    topics = await read_every_topic(bootstrap)
    # the channel's own input carries the contact in clear: proof that the search finds it
    assert any(marker.lower().encode() in blob.lower() for blob in topics[SUBMISSIONS.name])
    # the restricted topic carries it only encrypted, for this complaint, and it decrypts for notify
    restricted = [json.loads(blob.rsplit(b" | ", 1)[1]) for blob in topics[CONTACTS.name]]
    [shared] = [m for m in restricted if m["event_type"] == "reporter.contact_shared"
                and m["complaint_id"] == complaint_id]
    cipher = ContactCipher.from_setting(ServiceSettings().contact_keys)
    assert marker in cipher.decrypt(shared["payload"]["ciphertext"], shared["payload"]["key_id"]).name
    assert shared["payload"]["reporter_ref"] == reporter_ref
    for blob in topics[CONTACTS.name]:
        assert marker.lower().encode() not in blob.lower() and phone[1:].encode() not in blob
    # everywhere else: nothing, not even the opaque reporter ref
    others = {t: blobs for t, blobs in topics.items() if t not in (SUBMISSIONS.name, CONTACTS.name)}
    assert sum(len(b) for b in others.values()) >= 3  # the channel's answer, accepted, routed at least
    for topic, blobs in others.items():
        for blob in blobs:
            for needle in needles:
                assert needle not in blob.lower(), f"{needle!r} found on {topic}"

    logs = sorted(platform.log_dir.glob("*.log"))
    assert {"intake.log", "routing.log", "followup.log", "notify.log"} <= {log.name for log in logs}
    for log in logs:
        text = log.read_bytes().lower()
        assert complaint_id.encode() in text or log.name != "intake.log"  # the log is the one we think it is
        for needle in needles:
            assert needle not in text, f"{needle!r} found in {log.name}"

    for name, service in platform.services.items():
        body = (await asyncio.to_thread(_get, f"http://127.0.0.1:{service.port}/readyz")).lower()
        for needle in needles:
            assert needle not in body, f"{needle!r} in the /readyz response of {name}"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


async def _routed(bootstrap: str, complaint_id: str) -> bool:
    records = await consume(
        bootstrap, topics=["lapor.complaints"], timeout=5,
        until=lambda rs: any(complaint_id.encode() in (r.value or b"") and r.headers and dict(r.headers).get(
            "event_type") in (b"complaint.routed", b"complaint.needs_triage") for r in rs),
    )
    return any(complaint_id.encode() in (r.value or b"") and dict(r.headers).get("event_type") in (
        b"complaint.routed", b"complaint.needs_triage") for r in records)
