"""The envelope and the codec: what every producer and consumer relies on, in any language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from lapor_shared.events import CATALOGUE, DecodeError, Envelope, decode, encode, headers_of
from lapor_shared.events.intake import ComplaintAccepted, ComplaintSubmitted
from lapor_shared.events.lifecycle import ComplaintAcknowledged, ComplaintRouted
from lapor_shared.events.values import Reason, reason
from lapor_shared.testing import factories as f

pytestmark = pytest.mark.unit


def body_of(envelope: Envelope) -> dict:
    return json.loads(encode(envelope))


SAMPLES = {
    "submitted": f.submitted_envelope,
    "accepted": f.accepted_envelope,
    "routed": f.routed_envelope,
}


# --- round trip -----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", SAMPLES.values(), ids=SAMPLES.keys())
def test_encoding_then_decoding_gives_an_equal_typed_envelope(make):
    original = make()

    decoded = decode(encode(original))

    assert decoded == original
    assert type(decoded.payload) is type(original.payload)
    assert type(decoded) is Envelope[type(original.payload)]


def test_decoding_accepts_text_as_well_as_bytes():
    original = f.routed_envelope()

    assert decode(encode(original).decode()) == original


def test_the_body_is_a_plain_json_object_with_the_envelope_fields_and_the_payload():
    envelope = f.routed_envelope()

    body = body_of(envelope)

    assert body["event_id"] == str(envelope.event_id)
    assert body["event_type"] == "complaint.routed"
    assert body["schema_version"] == 1
    assert body["complaint_id"] == str(envelope.complaint_id)
    assert body["jurisdiction_code"] == "18.71"
    assert body["payload"]["agency"]["agency_id"] == "umum.18.71"
    assert datetime.fromisoformat(body["occurred_at"]).tzinfo is not None


def test_every_catalogued_type_decodes_to_its_own_class():
    for (event_type, version), model in CATALOGUE.items():
        assert model.event_type == event_type
        assert model.schema_version == version


# --- headers --------------------------------------------------------------------------------------


def test_headers_carry_the_ids_type_version_complaint_and_jurisdiction():
    cause = f.accepted_envelope()
    envelope = f.routed_envelope(caused_by=cause, jurisdiction_code="18.71")

    headers = headers_of(envelope)

    assert headers["event_id"] == str(envelope.event_id)
    assert headers["event_type"] == "complaint.routed"
    assert headers["schema_version"] == "1"
    assert headers["complaint_id"] == str(cause.complaint_id)
    assert headers["tracking_number"] == cause.tracking_number
    assert headers["jurisdiction_code"] == "18.71"
    assert headers["correlation_id"] == str(cause.correlation_id)
    assert headers["causation_id"] == str(cause.event_id)
    assert headers["producer"] == "routing"
    assert headers["content-type"] == "application/json"


def test_headers_are_all_strings_and_leave_out_absent_optional_ids():
    envelope = f.submitted_envelope()

    headers = headers_of(envelope)

    assert all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    for absent in ("complaint_id", "tracking_number", "jurisdiction_code", "causation_id"):
        assert absent not in headers


# --- what decode refuses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"), [(b"not json", "not JSON"), (b"{", "not JSON"), (b"\xff\xfe\x00", "not valid UTF-8")],
    ids=["text", "truncated", "binary"],
)
def test_decode_rejects_a_body_that_is_not_json(raw, reason):
    with pytest.raises(DecodeError) as caught:
        decode(raw)

    assert reason in caught.value.reason


@pytest.mark.parametrize("raw", [b"", "", None], ids=["empty-bytes", "empty-text", "tombstone"])
def test_decode_rejects_an_empty_body_or_a_tombstone_with_a_reason(raw):
    with pytest.raises(DecodeError) as caught:
        decode(raw)

    assert "empty body" in caught.value.reason


def test_decode_refuses_a_boolean_schema_version():
    with pytest.raises(DecodeError):
        decode(b'{"event_type": "complaint.routed", "schema_version": true}')


@pytest.mark.parametrize("raw", [b"[]", b"42", b'"complaint.routed"', b"null", b"true"])
def test_decode_rejects_json_that_is_not_an_object(raw):
    with pytest.raises(DecodeError) as caught:
        decode(raw)

    assert "not a JSON object" in caught.value.reason


@pytest.mark.parametrize("missing", ["event_type", "schema_version"])
def test_decode_rejects_a_body_without_event_type_or_version(missing):
    body = body_of(f.routed_envelope())
    del body[missing]

    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(body))

    assert "event_type" in caught.value.reason and "schema_version" in caught.value.reason


def test_decode_rejects_a_version_given_as_text():
    body = body_of(f.routed_envelope()) | {"schema_version": "1"}

    with pytest.raises(DecodeError):
        decode(json.dumps(body))


def test_decode_rejects_an_unknown_event_type_naming_it():
    body = body_of(f.routed_envelope()) | {"event_type": "complaint.teleported"}

    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(body))

    assert "unknown event type 'complaint.teleported'" in caught.value.reason


def test_decode_rejects_an_unknown_version_of_a_known_type():
    body = body_of(f.routed_envelope()) | {"schema_version": 99}

    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(body))

    assert "version 99" in caught.value.reason


def test_decode_rejects_an_invalid_payload_naming_the_field():
    body = body_of(f.routed_envelope())
    del body["payload"]["agency"]

    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(body))

    assert "payload.agency" in caught.value.reason
    assert caught.value.reason.startswith("invalid complaint.routed v1")


def test_decode_rejects_a_nested_payload_value_out_of_range_naming_its_path():
    body = body_of(f.routed_envelope())
    body["payload"]["location"]["latitude"] = 123.0

    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(body))

    assert "payload.location.latitude" in caught.value.reason


def test_decode_rejects_an_occurred_at_without_time_zone_naming_the_field():
    body = body_of(f.routed_envelope()) | {"occurred_at": "2025-03-03T10:00:00"}

    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(body))

    assert "occurred_at" in caught.value.reason


def test_a_decode_error_is_a_value_error_whose_message_is_the_reason():
    with pytest.raises(ValueError, match="not a JSON object"):
        decode(b"[]")


# --- forward compatibility ------------------------------------------------------------------------


def test_unknown_fields_in_the_envelope_and_the_payload_are_ignored():
    original = f.routed_envelope()
    body = body_of(original)
    body["added_in_a_later_release"] = {"anything": 1}
    body["payload"]["new_optional_field"] = "from a newer producer"
    body["payload"]["agency"]["phone_of_the_office"] = "0721-000000"

    decoded = decode(json.dumps(body))

    assert decoded == original
    assert "new_optional_field" not in decoded.payload.model_dump()


# --- immutability ---------------------------------------------------------------------------------


def test_envelopes_are_frozen():
    envelope = f.routed_envelope()

    with pytest.raises(ValidationError):
        envelope.jurisdiction_code = "18"  # type: ignore[misc]  # the assignment the test shows refused


def test_payloads_are_frozen():
    envelope = f.routed_envelope()

    with pytest.raises(ValidationError):
        envelope.payload.confidential = False  # type: ignore[misc]  # the assignment the test shows refused


def test_evolve_returns_a_changed_copy_and_leaves_the_original_alone():
    original = f.routed_envelope()

    changed = original.evolve(jurisdiction_code="18")

    assert changed.jurisdiction_code == "18"
    assert original.jurisdiction_code == "18.71"
    assert changed.payload == original.payload


# --- Envelope.new ---------------------------------------------------------------------------------


def test_a_new_envelope_takes_type_and_version_from_its_payload():
    envelope = Envelope.new(f.complaint_routed(), producer="routing")

    assert envelope.event_type == ComplaintRouted.event_type
    assert envelope.schema_version == ComplaintRouted.schema_version
    assert isinstance(envelope, Envelope[ComplaintRouted])


def test_a_new_envelope_without_a_cause_starts_its_own_story():
    envelope = Envelope.new(f.complaint_submitted(), producer="web-adapter")

    assert envelope.correlation_id == envelope.event_id
    assert envelope.causation_id is None
    assert envelope.occurred_at.tzinfo is not None
    assert envelope.occurred_at <= datetime.now(UTC)


def test_caused_by_inherits_the_correlation_id_and_sets_the_causation_id():
    submitted = f.submitted_envelope()
    accepted = Envelope.new(f.complaint_accepted(), producer="intake", caused_by=submitted)
    routed = Envelope.new(f.complaint_routed(), producer="routing", caused_by=accepted)

    assert accepted.correlation_id == submitted.correlation_id == submitted.event_id
    assert routed.correlation_id == submitted.correlation_id
    assert accepted.causation_id == submitted.event_id
    assert routed.causation_id == accepted.event_id
    assert len({submitted.event_id, accepted.event_id, routed.event_id}) == 3


def test_caused_by_inherits_the_complaint_id_tracking_number_and_jurisdiction():
    accepted = f.accepted_envelope()

    acknowledged = Envelope.new(
        ComplaintAcknowledged(agency_id="umum.18.71"), producer="followup", caused_by=accepted
    )

    assert acknowledged.complaint_id == accepted.complaint_id
    assert acknowledged.tracking_number == accepted.tracking_number
    assert acknowledged.jurisdiction_code == accepted.jurisdiction_code


def test_fields_given_explicitly_win_over_the_inherited_ones():
    accepted = f.accepted_envelope(jurisdiction_code="18.71")
    other_complaint = uuid4()

    routed = Envelope.new(
        f.complaint_routed(), producer="routing", caused_by=accepted,
        complaint_id=other_complaint, tracking_number="LPR-0000-00000", jurisdiction_code="18",
    )

    assert routed.complaint_id == other_complaint
    assert routed.tracking_number == "LPR-0000-00000"
    assert routed.jurisdiction_code == "18"
    assert routed.correlation_id == accepted.correlation_id


def test_a_given_correlation_and_causation_win_over_the_causes():
    accepted = f.accepted_envelope()
    story, cause = uuid4(), uuid4()

    told = Envelope.new(f.complaint_routed(), producer="notify", caused_by=accepted, correlation_id=story,
                        causation_id=cause)
    alone = Envelope.new(f.complaint_routed(), producer="notify", correlation_id=story, causation_id=cause)

    assert (told.correlation_id, told.causation_id) == (story, cause)
    assert (alone.correlation_id, alone.causation_id) == (story, cause)
    assert told.complaint_id == accepted.complaint_id


def test_a_new_envelope_keeps_a_given_event_id_and_occurred_at():
    event_id = UUID("00000000-0000-4000-8000-000000000001")
    at = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)

    envelope = Envelope.new(f.complaint_submitted(), producer="sms", event_id=event_id, occurred_at=at)

    assert envelope.event_id == event_id
    assert envelope.correlation_id == event_id
    assert envelope.occurred_at == at


def test_an_envelope_refuses_an_occurred_at_without_time_zone():
    with pytest.raises(ValidationError, match="occurred_at"):
        Envelope.new(f.complaint_submitted(), producer="web", occurred_at=datetime(2025, 3, 3, 10, 0))


# --- the factories themselves ---------------------------------------------------------------------


def test_factories_give_every_sample_its_own_ids():
    a, b = f.accepted_envelope(), f.accepted_envelope()

    assert a.event_id != b.event_id
    assert a.complaint_id != b.complaint_id
    assert a.tracking_number != b.tracking_number
    assert a.payload.channel_message_id != b.payload.channel_message_id
    assert a.payload.reporter_ref != b.payload.reporter_ref


def test_factories_take_overrides_by_keyword():
    submitted = f.complaint_submitted(title="Lampu jalan mati", confidential=True)
    routed = f.routed_envelope(
        f.complaint_routed(route_count=2), jurisdiction_code="18", producer="admin-tool"
    )

    assert submitted.title == "Lampu jalan mati" and submitted.confidential
    assert routed.payload.route_count == 2
    assert routed.jurisdiction_code == "18"
    assert routed.producer == "admin-tool"


def test_factories_refuse_a_field_that_does_not_exist():
    with pytest.raises(TypeError, match="titel"):
        f.complaint_submitted(titel="typo")
    with pytest.raises(TypeError, match="jurisdiction"):
        f.routed_envelope(jurisdiction="18")


def test_anonymous_samples_carry_no_reporter_ref():
    assert f.complaint_accepted(anonymous=True).reporter_ref is None
    assert f.complaint_routed(anonymous=True).reporter_ref is None
    assert f.complaint_accepted().reporter_ref is not None


def test_an_accepted_sample_caused_by_a_submission_continues_its_story():
    submitted = f.submitted_envelope()

    accepted = f.accepted_envelope(caused_by=submitted)

    assert accepted.causation_id == submitted.event_id
    assert accepted.complaint_id is not None and accepted.tracking_number is not None
    assert isinstance(accepted.payload, ComplaintAccepted)


def test_a_routed_sample_caused_by_an_accepted_one_keeps_its_complaint_and_takes_the_agency_jurisdiction():
    accepted = f.accepted_envelope()
    province_office = f.agency_ref(agency_id="umum.18", level="province", jurisdiction_code="18")

    routed = f.routed_envelope(f.complaint_routed(agency=province_office), caused_by=accepted)

    assert routed.complaint_id == accepted.complaint_id
    assert routed.tracking_number == accepted.tracking_number
    assert routed.jurisdiction_code == "18"


def test_a_submitted_sample_is_recent_and_time_zone_aware():
    submitted: ComplaintSubmitted = f.complaint_submitted()

    assert submitted.submitted_at.tzinfo is not None
    assert datetime.now(UTC) - submitted.submitted_at < timedelta(minutes=1)


# --- reasons ----------------------------------------------------------------------------------------


def test_a_reason_is_built_with_named_sentences_so_no_caller_can_swap_them():
    why = reason("too_long", field="title", message_id="Judul terlalu panjang.", message_en="The title is too long.")

    assert why == Reason(code="too_long", field="title", message_id="Judul terlalu panjang.",
                         message_en="The title is too long.")
    assert reason("no_rule", message_id="Tidak ada aturan.", message_en="No rule.").field is None
    with pytest.raises(TypeError):
        reason("too_long", "title", "Judul terlalu panjang.", "The title is too long.")  # type: ignore[call-arg]  # refused: keywords only
