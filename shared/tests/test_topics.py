"""The topic catalogue: names, the jurisdiction tree, where each event goes and how it is keyed."""

from __future__ import annotations

import re
from collections import Counter
from uuid import uuid4

import pytest

from lapor_shared.events import CATALOGUE, Envelope
from lapor_shared.events.intake import ComplaintRejected, ReporterContactShared
from lapor_shared.events.values import Channel
from lapor_shared.regions import all_regions
from lapor_shared.testing import factories as f
from lapor_shared.topics import (
    CONTACTS,
    FIXED_TOPICS,
    JURISDICTION_PREFIX,
    all_topics,
    destinations,
    jurisdiction_path,
    jurisdiction_pattern,
    jurisdiction_topic,
    jurisdiction_topics,
    key_of,
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


def probe(event_type: str, jurisdiction_code: str | None = None) -> Envelope:
    """An envelope with only what ``destinations`` reads (type and jurisdiction)."""
    return Envelope.model_construct(
        event_type=event_type, schema_version=1, jurisdiction_code=jurisdiction_code
    )


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


def test_province_pattern_covers_exactly_the_province_and_its_regencies_and_cities():
    covered = {t.name for t in all_topics() if covers(jurisdiction_pattern("18"), t.name)}
    regencies = [r.code for r in all_regions().values() if r.parent_code == "18"]
    lampung = {LAMPUNG} | {jurisdiction_topic(code) for code in regencies}

    assert covered == lampung
    assert len(lampung) == 1 + 15  # Lampung: 13 kabupaten and 2 kota


def test_regency_pattern_covers_only_that_regency():
    covered = [t.name for t in all_topics() if covers(jurisdiction_pattern("18.71"), t.name)]

    assert covered == [BANDAR_LAMPUNG]


def test_national_pattern_covers_every_jurisdiction_topic_and_no_fixed_topic():
    pattern = jurisdiction_pattern("ID")

    assert all(covers(pattern, t.name) for t in jurisdiction_topics())
    assert not any(covers(pattern, t.name) for t in FIXED_TOPICS)


def test_a_pattern_treats_the_dots_of_the_code_literally():
    assert not covers(jurisdiction_pattern("18.71"), "lapor.jurisdiction.ID.18x71")
    assert not covers(jurisdiction_pattern("18"), "lapor-jurisdiction-ID-18")


# --- where events go ------------------------------------------------------------------------------


def test_complaint_accepted_goes_to_the_complaint_stream_only_and_the_channel_hears_submission_accepted():
    assert destinations(f.accepted_envelope()) == ["lapor.complaints"]
    assert destinations(f.submission_accepted_envelope()) == ["lapor.submissions.results"]


def test_complaint_routed_goes_to_the_complaint_stream_and_its_jurisdiction_topic():
    routed = f.routed_envelope(jurisdiction_code="18.71")

    assert destinations(routed) == ["lapor.complaints", BANDAR_LAMPUNG]


def test_a_lifecycle_event_at_province_or_national_level_goes_to_that_level_topic():
    assert destinations(probe("complaint.escalated", "18")) == ["lapor.complaints", LAMPUNG]
    national = destinations(probe("complaint.needs_triage", "ID"))
    assert national == ["lapor.complaints", "lapor.jurisdiction.ID"]


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


COMMANDS = sorted(t for (t, _), model in CATALOGUE.items() if model.kind == "command")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_goes_to_the_command_topic_of_its_sender(command):
    sender = command.split(".", 1)[0]

    assert destinations(probe(command, "18.71")) == [f"lapor.commands.{sender}"]


@pytest.mark.parametrize("code", [None, "ID", "18", "18.71"])
def test_no_event_other_than_the_reporter_contact_events_goes_to_the_restricted_topic(code):
    for event_type, _ in CATALOGUE:
        if event_type in ("reporter.contact_shared", "reporter.contact_erased"):
            continue
        assert CONTACTS.name not in destinations(probe(event_type, code)), event_type


def test_every_destination_is_a_catalogued_topic():
    catalogued = {t.name for t in all_topics()}

    for event_type, _ in CATALOGUE:
        for code in (None, "ID", "18", "18.71"):
            assert set(destinations(probe(event_type, code))) <= catalogued, event_type


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
