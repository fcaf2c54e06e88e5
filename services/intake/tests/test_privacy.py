"""Identity stays with intake: contacts only in its store and, encrypted, on the restricted topic; erasure."""

from __future__ import annotations

import logging

import pytest
import structlog
from structlog.testing import LogCapture

from lapor_intake import service, unreadable
from lapor_intake.settings import IntakeSettings
from lapor_shared import consumer
from lapor_shared.crypto import ContactCipher
from lapor_shared.events import Envelope
from lapor_shared.events.intake import EraseReporterContact
from lapor_shared.events.values import ReporterContact
from lapor_shared.logging import merge_context
from lapor_shared.testing.factories import complaint_submitted, submitted_envelope
from lapor_shared.topics import ADMIN_COMMANDS, COMPLAINTS, CONTACTS, jurisdiction_topic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

MARKER = "Penanda7731"
CONTACT = ReporterContact(name=f"Siti {MARKER}", phone="0812-7731-0001", email=f"{MARKER.lower()}@contoh.id")
NEEDLES = [MARKER, MARKER.lower(), "81277310001", "0812-7731-0001"]


@pytest.fixture
def intake_logs(monkeypatch) -> LogCapture:
    """Every line intake's use cases and its consumer log, with the message context bound to it.

    Fresh loggers replace the modules' own (which structlog may have cached with another test's
    configuration), so the capture neither misses lines nor leaks into later tests.
    """
    capture = LogCapture()
    for module, component in ((service, "intake"), (unreadable, "intake"), (consumer, "consumer")):
        monkeypatch.setattr(module, "log", structlog.wrap_logger(
            None, processors=[merge_context, capture],
            wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG), component=component,
        ))
    return capture


def _outside_restricted(h) -> bytes:
    return b"\n".join(p.body for p in h.published if p.topic != CONTACTS.name)


def _erase(**fields) -> Envelope:
    """An erasure asked by the nation's admins (whose scope holds every complaint)."""
    fields.setdefault("scope", "ID")
    return Envelope.new(EraseReporterContact(requested_by="admin-pusat-1", **fields), producer="admin-console")


NATIONAL_ADMINS = ADMIN_COMMANDS.topic("ID")


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonim"])
async def test_contacts_never_leave_intake_except_encrypted_for_notify(intake, anonymous, intake_logs):
    submission = submitted_envelope(complaint_submitted(reporter=CONTACT, anonymous=anonymous))
    async with intake() as h:
        await h.submit(submission)
        [accepted] = await h.answered(submission)
        await h.settle()
        [stored] = await h.sql("SELECT reporter_ref, name, phone, email FROM reporters")
        outside = _outside_restricted(h)
        [shared] = h.messages(CONTACTS.name, "reporter.contact_shared")
    logs = repr(intake_logs.entries)

    ref = str(stored["reporter_ref"])
    assert "complaint_accepted" in logs  # the log lines were captured
    assert (stored["name"], stored["phone"], stored["email"]) == (CONTACT.name, "+6281277310001", CONTACT.email)
    for needle in NEEDLES:
        assert needle.encode() not in outside, needle
        assert needle not in logs, needle
    assert accepted["payload"]["reporter_ref"] == (None if anonymous else ref)
    if anonymous:
        assert ref.encode() not in outside
        assert ref not in logs
    # the one place the contact travels: encrypted, for notify, tied to the complaint
    assert shared["complaint_id"] == accepted["complaint_id"]
    assert shared["payload"]["reporter_ref"] == ref and shared["payload"]["anonymous"] is anonymous
    assert MARKER.lower() not in shared["payload"]["ciphertext"].lower()
    cipher = ContactCipher.from_setting(IntakeSettings().contact_keys)
    assert cipher.decrypt(shared["payload"]["ciphertext"], shared["payload"]["key_id"]) == ReporterContact(
        name=CONTACT.name, phone="+6281277310001", email=CONTACT.email
    )


def test_a_contact_encrypted_before_a_key_rotation_still_decrypts_after_it():
    old = ContactCipher.from_setting(f"k1:{ContactCipher.generate_key()}")
    rotated = ContactCipher.from_setting(f"k2:{ContactCipher.generate_key()},k1:{old.keys['k1'].decode()}")
    key_id, token = old.encrypt(CONTACT)

    assert rotated.decrypt(token, key_id) == CONTACT
    assert rotated.encrypt(CONTACT)[0] == "k2"


async def test_a_complaint_without_contact_has_no_reporter_ref_and_shares_nothing(intake):
    submission = submitted_envelope(complaint_submitted(reporter=None))
    async with intake() as h:
        await h.submit(submission)
        [accepted] = await h.answered(submission)
        await h.settle()

    assert accepted["payload"]["reporter_ref"] is None
    assert h.messages(CONTACTS.name) == []


async def test_erasure_by_tracking_number_forgets_every_contact_of_the_person_and_tells_notify(intake):
    anonim = submitted_envelope(complaint_submitted(reporter=CONTACT, anonymous=True, title="Pungutan liar"))
    later = submitted_envelope(complaint_submitted(
        reporter=ReporterContact(phone="+6281277310001"), title="Jalan rusak di depan rumah saya",
    ))
    stranger = submitted_envelope(complaint_submitted())
    async with intake() as h:
        await h.submit(anonim, later, stranger)
        results = await h.answered(anonim, later, stranger)
        ref_of = {str(r["complaint_id"]): r["reporter_ref"]
                  for r in await h.sql("SELECT complaint_id, reporter_ref FROM complaints")}
        await h.submit(_erase(tracking_number=results[0]["tracking_number"].lower()), topic=NATIONAL_ADMINS)
        await h.until(lambda: len(h.messages(CONTACTS.name, "reporter.contact_erased")) == 2)
        left = await h.sql("SELECT reporter_ref FROM reporters")
        erased = await h.sql("SELECT reporter_ref FROM erasures")
        kept = await h.sql("SELECT count(*) AS n FROM complaints WHERE reporter_ref IS NOT NULL")
        activity = await h.sql("SELECT DISTINCT complaint_id FROM reporter_activity")
        notices = h.messages(CONTACTS.name, "reporter.contact_erased")

    person = {ref_of[results[0]["complaint_id"]], ref_of[results[1]["complaint_id"]]}
    assert {r["reporter_ref"] for r in erased} == person
    assert {r["reporter_ref"] for r in left} == {ref_of[results[2]["complaint_id"]]}
    assert kept[0]["n"] == 3  # the opaque refs stay on the complaints
    assert [str(r["complaint_id"]) for r in activity] == [results[2]["complaint_id"]]  # only the stranger's hashes
    assert {n["payload"]["reporter_ref"] for n in notices} == {str(r) for r in person}
    assert {n["complaint_id"] for n in notices} == {results[0]["complaint_id"], results[1]["complaint_id"]}


async def test_erasing_twice_confirms_and_an_unknown_reporter_is_refused(intake):
    submission = submitted_envelope()
    async with intake() as h:
        await h.submit(submission)
        await h.answered(submission)
        [row] = await h.sql("SELECT reporter_ref FROM reporters")
        twice = [_erase(reporter_ref=row["reporter_ref"]), _erase(reporter_ref=row["reporter_ref"])]
        refused = [_erase(tracking_number="LPR-0000-00000"), _erase(), _erase(tracking_number="LPR-12")]
        await h.submit(*twice, *refused, topic=NATIONAL_ADMINS)
        await h.until(lambda: len(h.messages(CONTACTS.name, "reporter.contact_erased")) == 2
                      and len(h.messages(COMPLAINTS.name, "complaint.action_rejected")) == 3)
        rejections = h.messages(COMPLAINTS.name, "complaint.action_rejected")
        erased = h.messages(CONTACTS.name, "reporter.contact_erased")

    assert {e["payload"]["reporter_ref"] for e in erased} == {str(row["reporter_ref"])}
    assert erased[0]["payload"]["erased_at"] == erased[1]["payload"]["erased_at"]
    assert [r["payload"]["command_id"] for r in rejections] == [str(e.event_id) for e in refused]
    assert [r["payload"]["reason"]["code"] for r in rejections] == [
        "unknown_complaint", "target_required", "invalid_tracking_number",
    ]


async def test_a_refused_erasure_goes_to_the_complaint_stream_only_whatever_jurisdiction_it_claims(intake):
    # intake may not write jurisdiction topics: a refusal routed by the command's own claim stalled its outbox
    claiming = _erase(tracking_number="LPR-0000-00000").evolve(jurisdiction_code="18.71")
    async with intake() as h:
        await h.submit(claiming, topic=NATIONAL_ADMINS)
        await h.until(lambda: len(h.messages(COMPLAINTS.name, "complaint.action_rejected")) == 1)
        destinations = await h.sql("SELECT topic FROM outbox WHERE event_id IS NOT NULL")

    [rejection] = h.messages(COMPLAINTS.name, "complaint.action_rejected")
    assert rejection["jurisdiction_code"] is None
    assert [r["topic"] for r in destinations] == [COMPLAINTS.name]
    assert h.messages(jurisdiction_topic("18.71")) == []
