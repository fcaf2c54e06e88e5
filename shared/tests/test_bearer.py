"""Bearer tokens bound to one subject (``lapor_shared.bearer``): what configuration may say, and what is weak."""

from __future__ import annotations

import re

import pytest
from starlette.requests import Request

from lapor_shared.bearer import MIN_TOKEN_LENGTH, bearer, new_token, parse_tokens, token_hash, weak_tokens
from lapor_shared.regions import is_known

pytestmark = pytest.mark.unit


def request_with(authorization: str | None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization is not None else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})


def test_a_spec_names_a_subject_per_token_and_blanks_are_ignored():
    assert parse_tokens(" 18 = abc , ID=def ,", subject="scope", valid=is_known) == [("18", "abc"), ("ID", "def")]
    assert parse_tokens("") == []


@pytest.mark.parametrize("spec", ["18", "=abc", "18=", "18=abc,ID"])
def test_a_malformed_spec_is_refused(spec):
    with pytest.raises(ValueError, match="must look like"):
        parse_tokens(spec, subject="scope")


def test_a_subject_the_caller_does_not_know_is_refused_by_name():
    with pytest.raises(ValueError, match=re.escape("unknown scope in tokens: '99.99'")):
        parse_tokens("99.99=abc", subject="scope", valid=is_known)


def test_a_token_shorter_than_the_minimum_is_weak_and_a_new_one_never_is():
    assert weak_tokens("18=token-admin-lampung")
    assert weak_tokens(f"18={'x' * MIN_TOKEN_LENGTH},ID=short")
    assert not weak_tokens(f"18={new_token()},ID={new_token()}") and not weak_tokens("")
    assert len({new_token() for _ in range(100)}) == 100


def test_only_the_hash_of_a_token_is_kept_and_the_bearer_scheme_is_read_case_insensitively():
    token = new_token()
    assert token_hash(token) != token and len(token_hash(token)) == 64
    assert bearer(request_with(f"bearer {token}")) == token
    assert bearer(request_with(f"Basic {token}")) is None
    assert bearer(request_with("Bearer   ")) is None
    assert bearer(request_with(None)) is None
