"""The web applications' shared log-in pieces: scrypt hashes, signed session cookies, CSRF tokens."""

from __future__ import annotations

import pytest

from lapor_shared import web_sessions
from lapor_shared.web_pages import safe_next

pytestmark = pytest.mark.unit


def test_a_password_matches_only_its_own_salted_hash():
    stored = web_sessions.hash_password("rahasia-sekali")

    assert web_sessions.verify_password("rahasia-sekali", stored)
    assert not web_sessions.verify_password("rahasia-sekal1", stored)
    assert not web_sessions.verify_password("rahasia-sekali", "scrypt$broken")
    assert web_sessions.hash_password("x") != web_sessions.hash_password("x")


async def test_an_unknown_user_is_refused_after_the_same_work_as_a_wrong_password():
    assert not await web_sessions.password_matches("apa-saja", None)
    assert await web_sessions.password_matches("benar", await web_sessions.password_hash("benar"))


def test_a_cookie_is_read_only_with_its_own_secret_and_salt():
    sessions = web_sessions.Sessions("secret-a", salt="one", max_age_s=60)
    token = sessions._serializer.dumps({"s": "session-1"})

    assert sessions.session_id(token) == "session-1"
    assert web_sessions.Sessions("secret-b", salt="one", max_age_s=60).session_id(token) is None
    assert web_sessions.Sessions("secret-a", salt="two", max_age_s=60).session_id(token) is None
    assert sessions.session_id(token[:-2] + "xx") is None and sessions.session_id(None) is None


def test_a_csrf_token_belongs_to_one_session_and_one_secret():
    token = web_sessions.csrf_token("secret", "session-1")

    assert web_sessions.csrf_ok("secret", "session-1", token)
    assert not web_sessions.csrf_ok("secret", "session-2", token)
    assert not web_sessions.csrf_ok("other", "session-1", token)
    assert not web_sessions.csrf_ok("secret", None, token) and not web_sessions.csrf_ok("secret", "session-1", "")


def test_only_a_path_of_this_site_may_follow_the_login():
    assert safe_next("/complaints/LPR-1") == "/complaints/LPR-1"
    assert safe_next("//evil.example") == safe_next("https://evil.example") == safe_next("/\\evil") == ""
