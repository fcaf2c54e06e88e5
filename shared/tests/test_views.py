"""What each topic shows of an event: a rahasia complaint's content never reaches a shared jurisdiction topic;
its agency's stream and the platform's stream carry it whole."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from lapor_shared.events import CATALOGUE, Envelope, Payload, encode
from lapor_shared.events import lifecycle as lc
from lapor_shared.events.values import Attachment, Location
from lapor_shared.testing import factories as f
from lapor_shared.topics import COMPLAINTS, agency_stream, jurisdiction_topic, triage_stream
from lapor_shared.views import CONTENT, WITHHELD, shown_on, withheld

pytestmark = pytest.mark.unit

SECRET = "Rumah-Bu-Sari-di-Gang-Mawar-7"
"""Stands for what a rahasia complaint's reporter or agency wrote."""
SHARED = jurisdiction_topic("18.71")
STREAM = agency_stream("18.71", "umum.18.71")


def attachment() -> Attachment:
    return Attachment(url=f"https://files.example.id/{SECRET}.jpg", media_type="image/jpeg", size_bytes=10)


def reason() -> Any:
    return f.reason(message_id=f"Alasan: {SECRET}", message_en=f"Because: {SECRET}")


def secret_bearing(payload_type: type[Payload]) -> Payload:
    """An example of ``payload_type`` with the secret in every text a person writes."""
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    place = Location(region_code="18.71", latitude=-5.4, longitude=105.26, text=SECRET)
    examples: dict[type[Payload], Payload] = {
        lc.ComplaintRouted: f.complaint_routed(title=SECRET, description=SECRET, location=place,
                                               attachments=[attachment()], reason=reason(), confidential=True),
        lc.ComplaintNeedsTriage: lc.ComplaintNeedsTriage(
            triage_jurisdiction="18", reason=reason(), report_type="pengaduan", title=SECRET, description=SECRET,
            location=place, anonymous=False, confidential=True),
        lc.ComplaintForwarded: lc.ComplaintForwarded(from_agency=f.agency_ref(), to_agency=f.agency_ref(),
                                                     reason=reason()),
        lc.ComplaintHeld: lc.ComplaintHeld(reason=reason(), by="admin.18"),
        lc.ComplaintArchived: lc.ComplaintArchived(reason=reason(), by="admin.18"),
        lc.ComplaintResponded: lc.ComplaintResponded(agency_id="umum.18.71", text=SECRET,
                                                     attachments=[attachment()]),
        lc.ComplaintReporterReplied: lc.ComplaintReporterReplied(text=SECRET, attachments=[attachment()]),
        lc.ComplaintRated: lc.ComplaintRated(rating=2, comment=SECRET),
        lc.DeadlineExtended: lc.DeadlineExtended(stage="follow_up", agency_id="umum.18.71", due_at=at, reason=SECRET),
        lc.ComplaintReopened: lc.ComplaintReopened(by="reporter", reason=SECRET),
        lc.ActionRejected: lc.ActionRejected(command_type="agency.respond", command_id=uuid4(), reason=reason()),
    }
    return examples[payload_type]


def event(payload: Payload, **fields: Any) -> Envelope[Any]:
    fields.setdefault("confidential", True)
    return f.envelope(payload, complaint_id=uuid4(), jurisdiction_code="18.71", agency_id="umum.18.71", **fields)


LIFECYCLE = sorted(
    (model for (t, _), model in CATALOGUE.items()
     if t.startswith("complaint.") and t not in ("complaint.submitted", "complaint.accepted", "complaint.rejected")),
    key=lambda m: m.event_type,
)
WITH_CONTENT = [lc.ComplaintRouted, lc.ComplaintNeedsTriage, lc.ComplaintForwarded, lc.ComplaintHeld,
                lc.ComplaintArchived, lc.ComplaintResponded, lc.ComplaintReporterReplied, lc.ComplaintRated,
                lc.DeadlineExtended, lc.ComplaintReopened, lc.ActionRejected]


@pytest.mark.parametrize("payload_type", LIFECYCLE, ids=lambda m: m.event_type)
def test_every_event_that_reaches_a_jurisdiction_topic_says_what_its_content_is(payload_type):
    assert payload_type in CONTENT


@pytest.mark.parametrize("payload_type", WITH_CONTENT, ids=lambda m: m.event_type)
def test_a_rahasia_complaints_event_on_the_shared_topic_carries_none_of_its_content(payload_type):
    whole = event(secret_bearing(payload_type))

    shown = shown_on(whole, SHARED)

    assert SECRET.encode() in encode(whole)
    assert SECRET.encode() not in encode(shown)
    assert WITHHELD.encode() in encode(shown)
    assert (shown.event_id, shown.event_type, shown.complaint_id) == (whole.event_id, whole.event_type,
                                                                      whole.complaint_id)


@pytest.mark.parametrize("topic", [COMPLAINTS.name, STREAM, triage_stream("18")])
def test_the_agencys_stream_the_triage_desks_and_the_platforms_carry_it_whole(topic):
    whole = event(secret_bearing(lc.ComplaintRouted))

    assert shown_on(whole, topic) is whole


def test_a_complaint_that_is_not_rahasia_is_whole_on_the_shared_topic_too():
    whole = event(secret_bearing(lc.ComplaintResponded), confidential=False)

    assert shown_on(whole, SHARED) is whole


def test_an_event_that_does_not_say_whether_its_complaint_is_rahasia_is_withheld_there():
    unsaid = event(secret_bearing(lc.ComplaintResponded), confidential=None)

    assert SECRET.encode() not in encode(shown_on(unsaid, SHARED))


def test_a_withheld_routing_keeps_what_monitoring_counts_and_drops_the_place_and_the_reporter():
    routed = event(secret_bearing(lc.ComplaintRouted))

    shown = withheld(routed).payload

    assert (shown.agency, shown.category, shown.report_type, shown.confidential, shown.anonymous,
            shown.submitted_at, shown.route_count) == (
        routed.payload.agency, routed.payload.category, routed.payload.report_type, True, False,
        routed.payload.submitted_at, routed.payload.route_count)
    assert shown.reason.code == routed.payload.reason.code
    assert shown.location == Location(region_code="18.71")
    assert (shown.title, shown.description, shown.attachments, shown.reporter_ref, shown.incident_date) == (
        WITHHELD, WITHHELD, [], None, None)


def test_an_event_without_content_is_the_same_on_every_topic():
    breached = event(lc.DeadlineBreached(stage="follow_up", agency_id="umum.18.71",
                                         due_at=datetime(2026, 3, 2, tzinfo=UTC)))

    assert shown_on(breached, SHARED) == breached
