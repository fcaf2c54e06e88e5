"""The topic catalogue: names, the jurisdiction tree and its streams, the senders' own command topics,
where each event goes and how it is keyed."""

from __future__ import annotations

import re
from collections import Counter
from uuid import uuid4

import pytest

from lapor_shared.events import CATALOGUE, Envelope
from lapor_shared.events.commands import AcknowledgeComplaint, AdminHold
from lapor_shared.events.intake import ComplaintRejected, EraseReporterContact, ReporterContactShared
from lapor_shared.events.values import Channel
from lapor_shared.onboarding import Onboarding
from lapor_shared.regions import all_regions
from lapor_shared.testing import factories as f
from lapor_shared.topics import (
    ADMIN_COMMANDS,
    AGENCY_COMMANDS,
    CONTACTS,
    FIXED_TOPICS,
    JURISDICTION_PREFIX,
    agency_stream,
    agency_streams_pattern,
    all_topics,
    belongs_on,
    destinations,
    is_shared_jurisdiction_topic,
    jurisdiction_path,
    jurisdiction_pattern,
    jurisdiction_topic,
    jurisdiction_topics,
    key_of,
    onboarded_topics,
    triage_stream,
)

pytestmark = pytest.mark.unit

LAMPUNG = "lapor.jurisdiction.ID.18"
BANDAR_LAMPUNG = "lapor.jurisdiction.ID.18.71"


def covers(pattern: str, topic: str) -> bool:
    """Whether a pattern subscription covers ``topic``, as the Java client (whole name) and aiokafka
    (``re.match`` from the start) read it; the two must agree."""
    whole = re.fullmatch(pattern, topic) is not None
    from_start = re.match(pattern, topic) is not None
    assert whole == from_start, f"{pattern!r} reads differently on {topic!r} in Java and aiokafka"
    return whole


def probe(event_type: str, jurisdiction_code: str | None = None, agency_id: str | None = None) -> Envelope:
    """An envelope with only what ``destinations`` reads of an event (type, jurisdiction, agency)."""
    return Envelope.model_construct(
        event_type=event_type, schema_version=1, jurisdiction_code=jurisdiction_code, agency_id=agency_id
    )


ONBOARDED = Onboarding({"dinkes.18.71": "18.71", "pu.18": "18"}, ("ID", "18", "18.71"))


# --- names ----------------------------------------------------------------------------------------


def test_every_fixed_topic_name_is_unique_and_starts_with_lapor():
    names = [t.name for t in FIXED_TOPICS]

    assert len(names) == len(set(names))
    assert all(name.startswith("lapor.") for name in names)


def test_no_topic_name_appears_twice_in_the_whole_catalogue():
    counts = Counter(t.name for t in all_topics())

    assert [name for name, n in counts.items() if n > 1] == []


def test_every_topic_has_partitions_a_key_a_retention_writers_and_readers():
    for topic in all_topics():
        assert topic.partitions >= 1
        assert topic.key and topic.retention_ms > 0
        assert topic.writers and topic.readers


def test_no_fixed_topic_sits_under_the_jurisdiction_prefix():
    assert not any(t.name.startswith(JURISDICTION_PREFIX) for t in FIXED_TOPICS)


def test_the_restricted_contacts_topic_is_the_only_restricted_one_and_only_notify_reads_it():
    restricted = [t for t in all_topics() if t.audience == "restricted"]

    assert restricted == [CONTACTS]
    assert CONTACTS.readers == ("notify",)
    assert CONTACTS.writers == ("intake",)


# --- the jurisdiction tree ------------------------------------------------------------------------


def test_there_are_553_jurisdiction_topics_one_national_38_provinces_and_514_regencies_and_cities():
    names = [t.name for t in jurisdiction_topics()]
    depth = Counter(name.removeprefix(f"{JURISDICTION_PREFIX}.").count(".") for name in names)

    assert len(names) == 553
    assert depth == {0: 1, 1: 38, 2: 514}
    assert "lapor.jurisdiction.ID" in names


def test_every_region_has_its_jurisdiction_topic():
    names = {t.name for t in jurisdiction_topics()}

    assert {jurisdiction_topic(code) for code in all_regions()} <= names


def test_a_jurisdiction_topic_is_named_after_the_code_path_from_the_nation_down():
    assert jurisdiction_topic("ID") == "lapor.jurisdiction.ID"
    assert jurisdiction_topic("18") == LAMPUNG
    assert jurisdiction_topic("18.71") == BANDAR_LAMPUNG
    assert jurisdiction_path("18.71") == "ID.18.71"


@pytest.mark.parametrize("code", ["1", "18.7", "18.71.01", "Lampung", "", "id", "ID.18"])
def test_a_code_that_is_not_national_province_or_regency_has_no_topic(code):
    with pytest.raises(ValueError):
        jurisdiction_topic(code)


def test_province_pattern_covers_its_regencies_and_no_neighbour():
    pattern = jurisdiction_pattern("18")

    assert covers(pattern, LAMPUNG)
    assert covers(pattern, "lapor.jurisdiction.ID.18.71")
    assert covers(pattern, "lapor.jurisdiction.ID.18.01")
    assert not covers(pattern, "lapor.jurisdiction.ID.17.71")
    assert not covers(pattern, "lapor.jurisdiction.ID.17")
    assert not covers(pattern, "lapor.jurisdiction.ID.1")
    assert not covers(pattern, "lapor.jurisdiction.ID")


def test_province_pattern_covers_exactly_the_shared_topics_of_the_province_and_its_regencies_and_cities():
    covered = {t.name for t in all_topics(ONBOARDED) if covers(jurisdiction_pattern("18"), t.name)}
    regencies = [r.code for r in all_regions().values() if r.parent_code == "18"]
    lampung = {LAMPUNG} | {jurisdiction_topic(code) for code in regencies}

    assert covered == lampung
    assert len(lampung) == 1 + 15  # Lampung: 13 kabupaten and 2 kota


def test_regency_pattern_covers_only_that_regency():
    covered = [t.name for t in all_topics(ONBOARDED) if covers(jurisdiction_pattern("18.71"), t.name)]

    assert covered == [BANDAR_LAMPUNG]


def test_national_pattern_covers_every_shared_jurisdiction_topic_and_no_stream_nor_fixed_topic():
    pattern = jurisdiction_pattern("ID")

    assert all(covers(pattern, t.name) for t in jurisdiction_topics())
    assert not any(covers(pattern, t.name) for t in [*FIXED_TOPICS, *onboarded_topics(ONBOARDED)])


def test_a_pattern_treats_the_dots_of_the_code_literally():
    assert not covers(jurisdiction_pattern("18.71"), "lapor.jurisdiction.ID.18x71")
    assert not covers(jurisdiction_pattern("18"), "lapor-jurisdiction-ID-18")


def test_the_agency_streams_pattern_of_a_province_covers_its_agencies_and_its_regencies_agencies_only():
    pattern = agency_streams_pattern("18")

    assert covers(pattern, agency_stream("18.71", "dinkes.18.71"))
    assert covers(pattern, agency_stream("18", "pu.18"))
    assert not covers(pattern, agency_stream("17.71", "dinkes.17.71"))
    assert not covers(pattern, LAMPUNG)
    assert not covers(pattern, triage_stream("18"))


# --- the agencies' and the triage desks' streams ----------------------------------------------------


def test_an_agency_stream_hangs_below_its_jurisdiction_under_a_segment_that_is_no_region_code():
    assert agency_stream("18.71", "dinkes.18.71") == "lapor.jurisdiction.ID.18.71.agency.dinkes.18.71"
    assert agency_stream("ID", "bpjs_kesehatan.ID") == "lapor.jurisdiction.ID.agency.bpjs_kesehatan.ID"
    assert agency_stream("18.71", "pu.18.71").startswith(BANDAR_LAMPUNG + ".")
    assert not is_shared_jurisdiction_topic(agency_stream("18.71", "pu.18.71"))


def test_an_agency_id_that_is_a_prefix_of_anothers_gives_a_topic_name_that_is_a_prefix_of_its_too():
    """Why every grant on an agency's own topics is literal (``lapor_shared.access``)."""
    assert AGENCY_COMMANDS.topic("pu.18.71").startswith(AGENCY_COMMANDS.topic("pu.18"))
    assert agency_stream("18", "pu.18.x").startswith(agency_stream("18", "pu.18"))


def test_the_triage_desks_have_streams_at_the_nation_and_the_provinces_only():
    assert triage_stream("ID") == "lapor.jurisdiction.ID.triage"
    assert triage_stream("18") == "lapor.jurisdiction.ID.18.triage"
    with pytest.raises(ValueError):
        triage_stream("18.71")


def test_the_onboarded_agencies_and_admin_scopes_get_their_command_topics_and_streams():
    names = {t.name for t in onboarded_topics(ONBOARDED)}

    assert names == {
        "lapor.commands.agency.dinkes.18.71", agency_stream("18.71", "dinkes.18.71"),
        "lapor.commands.agency.pu.18", agency_stream("18", "pu.18"),
        "lapor.commands.admin.ID", "lapor.commands.admin.18", "lapor.commands.admin.18.71",
        triage_stream("ID"), triage_stream("18"),
    }


def test_a_shared_jurisdiction_topic_is_a_node_of_the_tree_and_nothing_below_it():
    assert all(is_shared_jurisdiction_topic(t.name) for t in jurisdiction_topics())
    assert not any(is_shared_jurisdiction_topic(t.name) for t in [*FIXED_TOPICS, *onboarded_topics(ONBOARDED)])


# --- the senders' own command topics -----------------------------------------------------------------


def test_an_agency_command_topic_names_its_agency_and_an_admin_topic_its_scope():
    assert AGENCY_COMMANDS.topic("pu.18.71") == "lapor.commands.agency.pu.18.71"
    assert AGENCY_COMMANDS.owner_of("lapor.commands.agency.pu.18.71") == "pu.18.71"
    assert ADMIN_COMMANDS.owner_of("lapor.commands.admin.18.71") == "18.71"
    assert AGENCY_COMMANDS.owner_of("lapor.commands.agency") is None
    assert AGENCY_COMMANDS.owner_of("lapor.commands.admin.18") is None


def test_the_family_pattern_covers_every_members_topic_and_nothing_else():
    assert covers(AGENCY_COMMANDS.pattern, "lapor.commands.agency.pu.18.71")
    assert not covers(AGENCY_COMMANDS.pattern, "lapor.commands.agency")
    assert not covers(AGENCY_COMMANDS.pattern, "lapor.commands.agencyx.pu")
    assert not covers(AGENCY_COMMANDS.pattern, "lapor.commands.admin.18")
    assert covers(ADMIN_COMMANDS.pattern, "lapor.commands.admin.ID")


def test_the_old_shared_command_topics_are_gone_from_the_catalogue():
    names = {t.name for t in all_topics()}

    assert "lapor.commands.agency" not in names
    assert "lapor.commands.admin" not in names


# --- where events go ------------------------------------------------------------------------------


def test_complaint_accepted_goes_to_the_complaint_stream_only_and_the_channel_hears_submission_accepted():
    assert destinations(f.accepted_envelope()) == ["lapor.complaints"]
    assert destinations(f.submission_accepted_envelope()) == ["lapor.submissions.results"]


def test_complaint_routed_goes_to_the_complaint_stream_its_jurisdiction_topic_and_its_agencys_stream():
    routed = f.routed_envelope(jurisdiction_code="18.71").evolve(agency_id="dinkes.18.71")

    assert destinations(routed, ONBOARDED) == [
        "lapor.complaints", BANDAR_LAMPUNG, "lapor.jurisdiction.ID.18.71.agency.dinkes.18.71"]


def test_an_event_of_an_agency_not_onboarded_goes_to_its_jurisdiction_topic_only():
    assert destinations(probe("complaint.responded", "18.71", "dlh.18.71"), ONBOARDED) == [
        "lapor.complaints", BANDAR_LAMPUNG]


def test_a_lifecycle_event_at_province_or_national_level_goes_to_that_level_topic():
    assert destinations(probe("complaint.escalated", "18", "pu.18"), ONBOARDED) == [
        "lapor.complaints", LAMPUNG, agency_stream("18", "pu.18")]
    national = destinations(probe("complaint.needs_triage", "ID"), ONBOARDED)
    assert national == ["lapor.complaints", "lapor.jurisdiction.ID", "lapor.jurisdiction.ID.triage"]


def test_an_event_of_a_triage_desk_goes_to_its_stream_only_where_its_admins_are_onboarded():
    assert destinations(probe("complaint.held", "18"), ONBOARDED)[-1] == triage_stream("18")
    assert destinations(probe("complaint.held", "32"), ONBOARDED) == ["lapor.complaints", "lapor.jurisdiction.ID.32"]


def test_a_lifecycle_event_without_jurisdiction_goes_to_the_complaint_stream_only():
    assert destinations(probe("complaint.acknowledged")) == ["lapor.complaints"]


def test_submissions_and_rejections_stay_between_the_channels_and_intake():
    assert destinations(f.submitted_envelope()) == ["lapor.submissions"]
    assert destinations(probe("complaint.rejected", "18.71")) == ["lapor.submissions.results"]


def test_reporter_contact_shared_goes_only_to_the_restricted_contacts_topic():
    assert destinations(probe("reporter.contact_shared", "18.71")) == ["lapor.restricted.contacts"]


def test_notifications_go_to_the_notifications_topic():
    assert destinations(probe("notification.sent", "18.71")) == ["lapor.notifications"]
    assert destinations(probe("notification.failed")) == ["lapor.notifications"]


def test_an_agency_command_goes_to_the_topic_of_the_agency_it_names():
    command = f.envelope(AcknowledgeComplaint(agency_id="pu.18.71"))

    assert destinations(command) == ["lapor.commands.agency.pu.18.71"]


def test_an_admin_command_and_an_erasure_go_to_the_topic_of_the_scope_they_name():
    hold = f.envelope(AdminHold(admin_ref="admin.lampung", reason="Menunggu data.", scope="18"))
    erase = f.envelope(EraseReporterContact(tracking_number="LPR-X", requested_by="admin.id", scope="ID"))

    assert destinations(hold) == ["lapor.commands.admin.18"]
    assert destinations(erase) == ["lapor.commands.admin.ID"]


def test_an_admin_command_without_a_scope_has_no_destination_of_its_own():
    with pytest.raises(ValueError, match="scope"):
        destinations(f.envelope(AdminHold(admin_ref="admin", reason="x")))


def test_a_command_belongs_on_any_topic_of_its_senders_family_and_on_no_other():
    command = f.envelope(AcknowledgeComplaint(agency_id="pu.18.71"))
    hold = f.envelope(AdminHold(admin_ref="admin", reason="x", scope="18"))

    assert belongs_on(command, "lapor.commands.agency.dinkes.18.71")  # the consumer refuses the claim
    assert not belongs_on(command, "lapor.commands.admin.18")
    assert not belongs_on(command, "lapor.commands.reporter")
    assert belongs_on(hold, "lapor.commands.admin.18.71")
    assert not belongs_on(hold, "lapor.commands.admin.nowhere")
    assert not belongs_on(hold, "lapor.commands.agency.umum.18")


@pytest.mark.parametrize("command", ["reporter.reply", "reporter.rate", "reporter.reopen"])
def test_a_reporters_command_goes_to_the_reporter_command_topic(command):
    assert destinations(probe(command, "18.71")) == ["lapor.commands.reporter"]


def test_a_registry_command_goes_to_the_registry_topic():
    assert destinations(probe("registry.upsert_agency")) == ["lapor.commands.registry"]


EVENTS = sorted(t for (t, _), model in CATALOGUE.items() if model.kind == "event")


@pytest.mark.parametrize("code", [None, "ID", "18", "18.71"])
def test_no_event_other_than_the_reporter_contact_events_goes_to_the_restricted_topic(code):
    for event_type in EVENTS:
        if event_type in ("reporter.contact_shared", "reporter.contact_erased"):
            continue
        assert CONTACTS.name not in destinations(probe(event_type, code), ONBOARDED), event_type


def test_every_destination_of_an_event_is_a_catalogued_topic():
    catalogued = {t.name for t in all_topics(ONBOARDED)}

    for event_type in EVENTS:
        for code, agency in ((None, None), ("ID", None), ("18", "pu.18"), ("18.71", "dinkes.18.71"), ("18.71", None)):
            assert set(destinations(probe(event_type, code, agency), ONBOARDED)) <= catalogued, event_type


def test_an_event_type_outside_the_catalogue_has_no_destination():
    with pytest.raises(ValueError, match="no destination"):
        destinations(probe("billing.invoiced"))


# --- keys -----------------------------------------------------------------------------------------


def test_key_of_an_event_about_a_complaint_is_the_complaint_id():
    routed = f.routed_envelope()

    assert key_of(routed) == str(routed.complaint_id).encode()


def test_every_event_of_one_complaint_gets_the_same_key():
    accepted = f.accepted_envelope()
    routed = f.routed_envelope(caused_by=accepted)

    assert key_of(accepted) == key_of(routed) == str(accepted.complaint_id).encode()


def test_key_of_a_message_without_complaint_is_its_channel_and_message_id():
    submitted = f.submitted_envelope(f.complaint_submitted(channel=Channel.SMS, channel_message_id="sms-42"))
    rejected = f.envelope(ComplaintRejected(channel="sms", channel_message_id="sms-42", reasons=[f.reason()]))

    assert key_of(submitted) == b"sms:sms-42"
    assert key_of(rejected) == b"sms:sms-42"


def test_key_of_a_contact_without_complaint_is_the_reporter_ref():
    reporter_ref = uuid4()
    shared = f.envelope(
        ReporterContactShared(reporter_ref=reporter_ref, channel=Channel.WEB, key_id="k1", ciphertext="gAAAA")
    )

    assert key_of(shared) == str(reporter_ref).encode()
