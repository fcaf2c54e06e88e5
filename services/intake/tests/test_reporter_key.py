"""Intake issues the reporter's key with every accepted complaint and answers the channel with
``submission.accepted``: the number, the key and the phone's keyed hash, nothing of the complaint and no
reporter ref; the key goes to notify only encrypted, and nowhere else (issue 14, "Reporters" and the
results topic)."""

from __future__ import annotations

import logging

import pytest
import structlog
from structlog.testing import LogCapture

from lapor_intake import service
from lapor_intake.settings import IntakeSettings
from lapor_shared import consumer, reporter_proof
from lapor_shared.crypto import ContactCipher
from lapor_shared.events.values import ReporterContact
from lapor_shared.logging import merge_context
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.topics import CONTACTS, SUBMISSION_RESULTS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

SECRET_TEXT = "Penanda rahasia 6620"


@pytest.fixture
def logs(monkeypatch) -> LogCapture:
    capture = LogCapture()
    for module, component in ((service, "intake"), (consumer, "consumer")):
        monkeypatch.setattr(module, "log", structlog.wrap_logger(
            None, processors=[merge_context, capture],
            wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG), component=component,
        ))
    return capture


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonim"])
async def test_the_channel_hears_the_number_and_the_key_and_nothing_of_the_complaint(intake, logs, anonymous):
    submission = submitted_envelope(complaint_submitted(
        reporter=ReporterContact(name="Siti", phone="0812-6620-0001"), anonymous=anonymous, confidential=True,
        title=f"Pungli {SECRET_TEXT}", description=f"Petugas meminta uang tambahan, {SECRET_TEXT}, di loket.",
    ))
    async with intake() as h:
        await h.submit(submission)
        [accepted] = await h.answered(submission)
        await h.settle()
        [answer] = h.results_for(submission.payload.channel_message_id)
        [shared] = h.messages(CONTACTS.name, "reporter.contact_shared")
        elsewhere = b"\n".join(p.body for p in h.published if p.topic not in (SUBMISSION_RESULTS.name,))
        stored = await h.sql("SELECT * FROM complaints")

    key = answer["payload"]["reporter_key"]
    assert "complaint_accepted" in repr(logs.entries)  # the log lines were captured
    assert answer["event_type"] == "submission.accepted"
    assert set(answer["payload"]) == {"channel", "channel_message_id", "complaint_id", "tracking_number",
                                      "reporter_key", "reporter_phone_hash"}
    assert answer["payload"]["tracking_number"] == answer["tracking_number"] == accepted["tracking_number"]
    assert answer["payload"]["complaint_id"] == accepted["complaint_id"]
    assert reporter_proof.normalise(key) == key
    assert bytes.fromhex(answer["payload"]["reporter_phone_hash"]) == reporter_proof.phone_hash(
        IntakeSettings().reporter_hash_key, "+6281266200001")
    assert SECRET_TEXT not in str(answer) and "reporter_ref" not in str(answer)
    # the complaint's own story: on lapor.complaints, without the key
    assert accepted["payload"]["title"] == f"Pungli {SECRET_TEXT}"
    assert key.encode() not in elsewhere and key not in repr(stored) and key not in repr(logs.entries)
    # notify's copy: encrypted like the contact
    cipher = ContactCipher.from_setting(IntakeSettings().contact_keys)
    assert cipher.decrypt_text(shared["payload"]["key_ciphertext"], shared["payload"]["key_id"]) == key


async def test_an_anonim_reporter_without_any_contact_gets_a_key_too(intake):
    submission = submitted_envelope(complaint_submitted(reporter=None, anonymous=True))
    async with intake() as h:
        await h.submit(submission)
        await h.answered(submission)
        [answer] = h.results_for(submission.payload.channel_message_id)

    assert reporter_proof.normalise(answer["payload"]["reporter_key"])
    assert answer["payload"]["reporter_phone_hash"] is None
    assert h.messages(CONTACTS.name) == []


async def test_every_complaint_gets_its_own_key(intake):
    submissions = [submitted_envelope(complaint_submitted(reporter=None)) for _ in range(5)]
    async with intake() as h:
        await h.submit(*submissions)
        await h.answered(*submissions)
        keys = {h.results_for(s.payload.channel_message_id)[0]["payload"]["reporter_key"] for s in submissions}

    assert len(keys) == 5
