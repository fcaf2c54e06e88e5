"""JSON from strangers: every way a body can be hostile is refused with a reason, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lapor_shared.safejson import Limits, UnsafeJson, loads, refused_character

pytestmark = [pytest.mark.unit, pytest.mark.timeout(30)]


HOSTILE = {
    "nesting 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "too_deep"),
    "nesting in objects": (b'{"a":' * 50 + b"1" + b"}" * 50, "too_deep"),
    "5 MB value": (b'"' + b"a" * 5_000_000 + b'"', "too_large"),
    "invalid UTF-8": (b'{"a": "\xff\xfe"}', "invalid_encoding"),
    "5,000-digit integer": (b'{"a": ' + b"9" * 5000 + b"}", "invalid_number"),
    "NaN": (b'{"a": NaN}', "invalid_number"),
    "negative Infinity": (b'{"a": -Infinity}', "invalid_number"),
    "float overflowing to infinity": (b'{"a": 1e999}', "invalid_number"),
    "duplicate key": (b'{"a": 1, "b": 2, "a": 3}', "duplicate_key"),
    "escaped NUL": (b'{"a": "x\\u0000y"}', "control_character"),
    "escaped bell in a key": (b'{"a\\u0007": 1}', "control_character"),
    "right-to-left override": ('{"a": "LPR-\u202eABCD"}'.encode(), "control_character"),
    "escaped right-to-left isolate": (b'{"a": ["\\u2067x"]}', "control_character"),
    "C1 control": ('{"a": "x\u0085y"}'.encode(), "control_character"),
    "raw DEL in plain ASCII": (b'{"a": "x\x7fy"}', "control_character"),
    "escaped DEL in plain ASCII": (b'{"a": "x\\u007fy"}', "control_character"),
    "lone surrogate": (b'{"a": "x\\ud800y"}', "control_character"),
    "not JSON": (b'{"event_type": "complaint.submitted", "oops', "invalid_json"),
    "empty": (b"", "empty"),
    "only spaces": (b"  \n ", "empty"),
    "null value": (None, "empty"),
    "200,000 escaped quotes": (b'"' + b'\\"' * 200_000, "invalid_json"),
}


@pytest.mark.parametrize(("raw", "code"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_body_is_refused_with_a_reason(raw, code):
    with pytest.raises(UnsafeJson) as refused:
        loads(raw)

    assert refused.value.code == code
    assert refused.value.reason


COMPACT_HOSTILE = {
    "duplicate key": (b'{"a":1,"b":2,"a":3}', "duplicate_key"),
    "duplicate key, same value": (b'{"a":1,"a":1}', "duplicate_key"),
    "duplicate key deep inside": (b'{"p":[{"x":{"k":"v","k":"v"}}]}', "duplicate_key"),
    "integer past 64 bits": (b'{"a":' + b"9" * 41 + b"}", "invalid_number"),
    "float overflowing to infinity": (b'{"a":1e999}', "invalid_number"),
    "escaped NUL": (b'{"a":"x\\u0000y"}', "control_character"),
    "escaped right-to-left override in a key": (b'{"\\u202e":1}', "control_character"),
    "C1 control": ('{"a":"x\u0085y"}'.encode(), "control_character"),
    "lone surrogate": (b'{"a":"\\udc00"}', "control_character"),
    "byte order mark": (b'\xef\xbb\xbf{"a":1}', "invalid_json"),
    "trailing comma": (b'{"a":[1,]}', "invalid_json"),
}


@pytest.mark.parametrize(("raw", "code"), COMPACT_HOSTILE.values(), ids=COMPACT_HOSTILE.keys())
def test_a_compact_hostile_body_is_refused_as_the_checked_parser_refuses_it(raw, code):
    with pytest.raises(UnsafeJson) as refused:
        loads(raw)

    assert refused.value.code == code


def test_a_big_integer_within_the_limit_is_read_as_an_integer_not_a_float():
    assert loads(b'{"a":123456789012345678901234567890}') == {"a": 123456789012345678901234567890}
    assert loads(b"[18446744073709551616,-9223372036854775809]") == [2**64, -(2**63) - 1]


def test_a_reader_allowing_short_integers_has_them_counted_in_compact_bodies_too():
    with pytest.raises(UnsafeJson, match="4 digits"):
        loads(b'{"a":1234}', Limits(max_int_digits=3))


def test_brackets_inside_strings_do_not_count_as_nesting():
    body = b'{"text": "' + b"[" * 1000 + b'\\"' + b"{" * 1000 + b'", "n": [[1]]}'

    assert loads(body)["n"] == [[1]]


def test_an_escaped_backslash_before_u0000_is_text_not_a_control_character():
    assert loads(b'{"a": "C:\\\\u0000"}') == {"a": "C:\\u0000"}


def test_a_surrogate_pair_is_an_ordinary_character():
    assert loads(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001F600"}


def test_tabs_newlines_and_ordinary_unicode_are_accepted():
    text = "Jalan rusak\tparah\r\nsejak 2 minggu — “mohon” segera, الله, 日本"

    assert loads({"a": text}.__repr__().replace("'", '"').encode()) == {"a": text}


def test_limits_can_be_set_per_reader():
    strict = Limits(max_bytes=10, max_depth=2, max_int_digits=3)

    with pytest.raises(UnsafeJson, match="exceeds the limit of 10"):
        loads(b'{"a": "0123456789"}', strict)
    with pytest.raises(UnsafeJson, match="deeper than 2"):
        loads(b"[[[1]]]", strict)
    with pytest.raises(UnsafeJson, match="4 digits"):
        loads(b"1234", strict)


def test_refused_character_names_the_code_point():
    assert refused_character("ok") is None
    assert refused_character("a\u202eb") == "U+202E"


ORDINARY_TEXT = st.text(st.characters(
    blacklist_categories=("Cc", "Cs"), blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
))


@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False)
    | ORDINARY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ORDINARY_TEXT, inner, max_size=4),
    max_leaves=20,
))
def test_any_ordinary_json_value_reads_back_unchanged(value):
    import json

    assert loads(json.dumps(value).encode()) == value


@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
))
def test_a_compact_body_reads_as_the_checked_parser_reads_it(value):
    import json

    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", errors="surrogatepass")
    try:
        expected: object = ("value", loads(raw.decode("utf-8", errors="surrogatepass")))  # str: the checked parser
    except UnsafeJson as exc:
        expected = ("refused", exc.code)
    try:
        got: object = ("value", loads(raw))
    except UnsafeJson as exc:
        got = ("refused", exc.code)

    assert got == expected
