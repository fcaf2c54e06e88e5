"""The codec against strangers: every body and every record that breaks the contract is a DecodeError
with a reason, never another exception."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from uuid import uuid4

import pytest

from lapor_shared.events import DecodeError, Envelope, encode, headers_of
from lapor_shared.events.codec import check_delivery, decode, decode_record
from lapor_shared.testing import factories as f
from lapor_shared.topics import COMPLAINTS, SUBMISSIONS, key_of

pytestmark = [pytest.mark.unit, pytest.mark.timeout(30)]


@dataclass
class Record:
    topic: str
    value: bytes | None
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    partition: int = 0
    offset: int = 0


def as_record(envelope: Envelope, topic: str = COMPLAINTS.name, **overrides) -> Record:
    fields = dict(value=encode(envelope), key=key_of(envelope, topic),
                  headers=[(k, v.encode()) for k, v in headers_of(envelope).items()])
    fields.update(overrides)
    return Record(topic, **fields)


def body_of(envelope: Envelope) -> dict:
    return json.loads(encode(envelope))


# --- bodies ----------------------------------------------------------------------------------------


def test_a_body_without_an_event_id_is_refused_rather_than_given_a_random_one():
    body = body_of(f.routed_envelope())
    del body["event_id"]

    with pytest.raises(DecodeError, match=r"event_id .* is required"):
        decode(json.dumps(body))


def test_an_event_id_that_is_not_a_uuid_is_refused():
    body = body_of(f.routed_envelope()) | {"event_id": "1; DROP TABLE inbox"}

    with pytest.raises(DecodeError, match="is not a UUID"):
        decode(json.dumps(body))


def test_a_future_schema_version_of_a_known_type_names_the_versions_we_read():
    body = body_of(f.routed_envelope()) | {"schema_version": 7}

    with pytest.raises(DecodeError, match=r"complaint.routed schema_version 7 is not supported \(known: \[1\]\)"):
        decode(json.dumps(body))


def test_a_jurisdiction_that_is_no_kemendagri_code_is_refused_before_it_can_name_a_topic():
    body = body_of(f.routed_envelope()) | {"jurisdiction_code": "99.99"}

    with pytest.raises(DecodeError, match="jurisdiction_code"):
        decode(json.dumps(body))


def test_a_payload_of_another_event_under_a_known_type_is_refused():
    body = body_of(f.routed_envelope())
    body["payload"] = body_of(f.accepted_envelope())["payload"]

    with pytest.raises(DecodeError, match=r"invalid complaint\.routed v1"):
        decode(json.dumps(body))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nesting deeper than"),
        (b'{"event_type": "complaint.routed", "schema_version": 1, "n": ' + b"1" * 5000 + b"}", "digits exceeds"),
        (b'{"event_type": "complaint.routed", "schema_version": NaN}', "NaN"),
        (b'{"event_type": "a", "event_type": "b"}', "appears twice"),
        (b'"complaint.routed"', "not a JSON object"),
    ],
    ids=["deep", "huge-integer", "nan", "duplicate-key", "a-string"],
)
def test_a_hostile_body_is_a_decode_error_with_the_reason(raw, reason):
    with pytest.raises(DecodeError, match=reason):
        decode(raw)


def test_a_body_over_the_limit_is_refused_unread():
    from lapor_shared.safejson import Limits

    with pytest.raises(DecodeError, match="exceeds the limit of 1000"):
        decode(encode(f.routed_envelope()), Limits(max_bytes=1000))


# --- the record around the body ------------------------------------------------------------------------


def test_a_record_keeping_the_contract_decodes():
    routed = f.routed_envelope()

    assert decode_record(as_record(routed)) == routed


def test_a_record_without_headers_or_key_is_accepted_as_any_kafka_client_may_send_it():
    routed = f.routed_envelope()

    assert decode_record(as_record(routed, key=None, headers=[])) == routed
    assert decode_record(as_record(routed, key=b"", headers=[])) == routed


@pytest.mark.parametrize("header", ["event_type", "event_id", "schema_version", "complaint_id", "jurisdiction_code"])
def test_a_header_that_disagrees_with_the_body_is_refused(header):
    routed = f.routed_envelope()
    lying = {"event_type": b"complaint.closed", "event_id": str(uuid4()).encode(), "schema_version": b"2",
             "complaint_id": str(uuid4()).encode(), "jurisdiction_code": b"31"}[header]
    headers = [(k, lying if k == header else v.encode()) for k, v in headers_of(routed).items()]

    with pytest.raises(DecodeError, match=f"header {header} .* disagrees with the body"):
        decode_record(as_record(routed, headers=headers))


def test_a_header_given_twice_is_refused():
    routed = f.routed_envelope()
    headers = [(k, v.encode()) for k, v in headers_of(routed).items()] + [("event_type", b"complaint.routed")]

    with pytest.raises(DecodeError, match="appears twice"):
        decode_record(as_record(routed, headers=headers))


def test_a_key_that_does_not_match_the_body_is_refused():
    routed = f.routed_envelope()

    with pytest.raises(DecodeError, match="does not match the body"):
        decode_record(as_record(routed, key=str(uuid4()).encode()))


def test_an_event_on_a_topic_it_does_not_belong_on_is_refused():
    routed = f.routed_envelope()

    with pytest.raises(DecodeError, match=r"complaint\.routed does not belong on lapor\.submissions"):
        check_delivery(routed, topic=SUBMISSIONS.name, key=None, headers=None)
