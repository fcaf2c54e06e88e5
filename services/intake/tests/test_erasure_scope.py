"""Erasure is an admin's command: it comes on the admin scope's own topic, and reaches a reporter only
through a complaint of that scope (where routing last placed it); channel adapters can no longer send it."""

from __future__ import annotations

from typing import Any

import pytest

from lapor_intake.app import build
from lapor_intake.settings import IntakeSettings
from lapor_shared.events import Envelope
from lapor_shared.events.intake import EraseReporterContact
from lapor_shared.testing.factories import agency_ref, complaint_routed, routed_envelope, submitted_envelope
from lapor_shared.topics import ADMIN_COMMANDS, COMPLAINTS, CONTACTS, REPORTER_COMMANDS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def erase(tracking_number: str, scope: str | None = None) -> Envelope[Any]:
    return Envelope.new(EraseReporterContact(tracking_number=tracking_number, requested_by="admin-1", scope=scope),
                        producer="admin-console")


async def placed(h, result: dict[str, Any], code: str) -> None:
    """Routing placed the accepted complaint with an agency at ``code`` (as lapor.complaints says)."""
    agency = agency_ref(agency_id=f"umum.{code}", jurisdiction_code=code)
    routed = routed_envelope(complaint_routed(agency=agency), complaint_id=result["complaint_id"],
                             tracking_number=result["tracking_number"])
    await h.publish(routed, topic=COMPLAINTS.name)
    await h.until(lambda: h.sql("SELECT 1 FROM complaints WHERE jurisdiction_code = $1", code))


def refusals(h) -> list[str]:
    return [m["payload"]["reason"]["code"] for m in h.messages(COMPLAINTS.name, "complaint.action_rejected")]


def erased(h) -> list[dict[str, Any]]:
    return h.messages(CONTACTS.name, "reporter.contact_erased")


async def test_an_admin_erases_only_the_reporters_of_complaints_within_its_scope(intake):
    submission = submitted_envelope()
    async with intake() as h:
        await h.submit(submission)
        [result] = await h.answered(submission)
        await placed(h, result, "18.71")

        await h.submit(erase(result["tracking_number"]), topic=ADMIN_COMMANDS.topic("19"))
        await h.until(lambda: refusals(h) == ["outside_scope"])
        assert erased(h) == []

        await h.submit(erase(result["tracking_number"], scope="18"), topic=ADMIN_COMMANDS.topic("18"))
        await h.until(lambda: len(erased(h)) == 1)

    assert refusals(h) == ["outside_scope"]


async def test_before_routing_places_a_complaint_only_the_nations_admins_may_erase_its_reporter(intake):
    submission = submitted_envelope()
    async with intake() as h:
        await h.submit(submission)
        [result] = await h.answered(submission)

        await h.submit(erase(result["tracking_number"]), topic=ADMIN_COMMANDS.topic("18"))
        await h.until(lambda: refusals(h) == ["outside_scope"])
        await h.submit(erase(result["tracking_number"], scope="ID"), topic=ADMIN_COMMANDS.topic("ID"))
        await h.until(lambda: len(erased(h)) == 1)


async def test_an_erasure_naming_another_scope_than_its_topic_is_refused(intake):
    submission = submitted_envelope()
    async with intake() as h:
        await h.submit(submission)
        [result] = await h.answered(submission)
        await h.submit(erase(result["tracking_number"], scope="ID"), topic=ADMIN_COMMANDS.topic("18"))
        await h.until(lambda: refusals(h) == ["sender_mismatch"])

    assert erased(h) == []


def test_intake_no_longer_reads_erasures_from_the_channels_reporter_topic(database_url):
    runtime = build(IntakeSettings(database_url=database_url)).runtime

    reads = {t for s in runtime.subscriptions for t in s.topics}
    assert REPORTER_COMMANDS.name not in reads
    assert [s.family for s in runtime.subscriptions if s.consumer == "intake.admin_commands"] == [ADMIN_COMMANDS]
