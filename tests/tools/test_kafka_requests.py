"""The counting proxy reads each Kafka frame's header as the bytes pass, however the reads cut them."""

from __future__ import annotations

import struct

import pytest

from tools.kafka_requests import NO_CLIENT_ID, UNMATCHED, RequestCounter, api_name, rates, table

pytestmark = pytest.mark.unit

FETCH, METADATA, HEARTBEAT, PRODUCE = 1, 3, 12, 0


def request(api_key: int, correlation_id: int, client_id: str | None, body: bytes = b"\x00" * 20) -> bytes:
    """A request frame as a client sends it: length, api key, version, correlation id, client id, body."""
    name = b"" if client_id is None else client_id.encode()
    header = struct.pack(">hhih", api_key, 4, correlation_id, -1 if client_id is None else len(name)) + name
    return struct.pack(">i", len(header) + len(body)) + header + body


def response(correlation_id: int, body: bytes = b"\x00" * 100) -> bytes:
    return struct.pack(">ii", 4 + len(body), correlation_id) + body


def test_a_request_cut_across_three_reads_is_counted_once_when_its_last_byte_arrives():
    counter = RequestCounter()
    conn = counter.connection()
    frame = request(FETCH, 1, "lapor-followup")

    conn.from_client(frame[:3])
    conn.from_client(frame[3:15])
    assert counter.snapshot().requests == {}
    conn.from_client(frame[15:])

    assert counter.snapshot().requests == {"Fetch": 1}
    assert counter.snapshot().by_client == {"lapor-followup": {"Fetch": 1}}


def test_two_requests_in_one_read_are_two_requests_and_a_third_begun_waits_for_the_rest():
    counter = RequestCounter()
    conn = counter.connection()
    third = request(METADATA, 3, "lapor-notify")

    conn.from_client(request(HEARTBEAT, 1, "lapor-notify") + request(FETCH, 2, "lapor-routing") + third[:9])
    assert counter.snapshot().requests == {"Heartbeat": 1, "Fetch": 1}
    conn.from_client(third[9:])

    tally = counter.snapshot()
    assert tally.requests == {"Heartbeat": 1, "Fetch": 1, "Metadata": 1}
    assert tally.by_client == {"lapor-notify": {"Heartbeat": 1, "Metadata": 1}, "lapor-routing": {"Fetch": 1}}


def test_a_request_without_a_client_id_is_counted_under_none():
    counter = RequestCounter()
    counter.connection().from_client(request(METADATA, 7, None))

    assert counter.snapshot().by_client == {NO_CLIENT_ID: {"Metadata": 1}}


def test_responses_are_counted_for_the_requests_they_answer_in_order_with_their_whole_size():
    counter = RequestCounter()
    conn = counter.connection()
    conn.from_client(request(FETCH, 10, "a") + request(HEARTBEAT, 11, "a"))

    both = response(10, b"\x00" * 1000) + response(11, b"\x00" * 6)
    conn.from_broker(both[:500])
    conn.from_broker(both[500:])

    assert counter.snapshot().response_bytes == {"Fetch": 4 + 4 + 1000, "Heartbeat": 4 + 4 + 6}


def test_a_request_that_gets_no_response_does_not_take_the_next_ones_answer():
    counter = RequestCounter()
    conn = counter.connection()
    conn.from_client(request(PRODUCE, 1, "a") + request(METADATA, 2, "a"))  # the produce had acks=0

    conn.from_broker(response(2))
    conn.from_client(request(FETCH, 3, "a"))
    conn.from_broker(response(3))

    assert counter.snapshot().response_bytes == {"Metadata": 108, "Fetch": 108}


def test_a_response_to_a_request_never_seen_is_counted_apart_and_leaves_the_waiting_ones_alone():
    counter = RequestCounter()
    conn = counter.connection()
    conn.from_client(request(FETCH, 5, "a"))

    conn.from_broker(response(99) + response(5))

    assert counter.snapshot().response_bytes == {UNMATCHED: 108, "Fetch": 108}


def test_connections_are_parsed_apart_and_counted_together_until_a_reset():
    counter = RequestCounter()
    first, second = counter.connection(), counter.connection()
    frame = request(HEARTBEAT, 1, "lapor-intake")
    first.from_client(frame[:10])
    second.from_client(request(HEARTBEAT, 1, "lapor-dashboard"))
    first.from_client(frame[10:])
    assert counter.snapshot().requests == {"Heartbeat": 2}

    counter.reset()
    first.from_broker(response(1))

    assert counter.snapshot().requests == {}
    assert counter.snapshot().response_bytes == {"Heartbeat": 108}  # a response counts when it passes


def test_bytes_that_are_not_kafka_are_passed_over_and_the_next_request_is_counted():
    counter = RequestCounter()
    conn = counter.connection()

    conn.from_client(struct.pack(">i", -5) + b"garbage")
    conn.from_client(request(FETCH, 1, "a"))

    assert counter.snapshot().requests == {"Fetch": 1}


def test_an_api_without_a_name_keeps_its_number():
    assert (api_name(1), api_name(18), api_name(22), api_name(999)) == ("Fetch", "ApiVersions", "InitProducerId",
                                                                         "api-999")


def test_rates_are_per_second_busiest_first_and_the_table_names_apis_and_clients():
    counter = RequestCounter()
    conn = counter.connection()
    for i in range(20):
        conn.from_client(request(FETCH, i, "lapor-followup"))
        conn.from_broker(response(i, b"\x00" * 1016))  # 1 KiB a response
    for i in range(20, 30):
        conn.from_client(request(HEARTBEAT, i, "lapor-notify"))

    counted = rates(counter.snapshot(), seconds=10.0)

    assert counted["per_second"] == 3.0
    assert counted["per_api"] == {"Fetch": {"per_second": 2.0, "response_kib_per_second": 2.0},
                                  "Heartbeat": {"per_second": 1.0, "response_kib_per_second": 0.0}}
    assert counted["per_client"] == {"lapor-followup": {"per_second": 2.0, "per_api": {"Fetch": 2.0}},
                                     "lapor-notify": {"per_second": 1.0, "per_api": {"Heartbeat": 1.0}}}
    lines = table(counted).splitlines()
    assert lines[0] == "requests to Kafka over 10.0 s: 3.0/s, responses 2.0 KiB/s"
    assert lines[1].split() == ["Fetch", "2.0/s", "2.0", "KiB/s"]
    assert lines[-1].split() == ["lapor-notify", "1.0/s", "Heartbeat", "1.0"]

