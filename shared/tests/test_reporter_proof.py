"""The reporter's key: 80 random bits, typable, read back forgivingly, kept only as a verifier, checked in
constant time whether or not the complaint exists; phone numbers hashed as intake hashes them."""

from __future__ import annotations

import hmac
import re

import pytest

from lapor_shared import reporter_proof as proof

pytestmark = pytest.mark.unit


def test_a_key_is_sixteen_crockford_symbols_in_four_groups_and_never_repeats():
    keys = {proof.issue() for _ in range(2000)}

    assert len(keys) == 2000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", k) for k in keys)
    # 80 bits: every symbol position takes many values (a sequence or a short key would not)
    assert all(len({k.replace("-", "")[i] for k in keys}) > 25 for i in range(16))


def test_a_typed_key_is_read_in_lower_case_without_dashes_or_with_spaces_and_the_usual_slips():
    key = "Q7RM-4XK2-PZ9D-W310"

    for typed in ("q7rm4xk2pz9dw310", " Q7RM 4XK2 PZ9D W310 ", "Q7RM-4XK2-PZ9D-W3IO", "q7rm-4xk2-pz9d-w3lo"):
        assert proof.normalise(typed) == key
    for wrong in ("Q7RM-4XK2-PZ9D", "Q7RM-4XK2-PZ9D-W310-A", "Q7RM-4XK2-PZ9D-W3U0", ""):
        with pytest.raises(proof.InvalidKey):
            proof.normalise(wrong)


def test_only_the_key_proves_its_verifier_and_the_verifier_does_not_hold_the_key():
    key = proof.issue()
    stored = proof.verifier(key)

    assert key.encode() not in stored and key.replace("-", "").encode() not in stored
    assert proof.proves(stored, key) and proof.proves(stored, key.lower().replace("-", " "))
    assert not proof.proves(stored, proof.issue())
    assert not proof.proves(stored, None) and not proof.proves(stored, "not a key")
    assert not proof.proves(None, key)  # no such complaint


def test_an_unknown_complaint_takes_the_steps_a_wrong_key_takes(monkeypatch):
    """Counted, not timed (timings on a shared machine prove nothing): one hash of the typed key and one
    constant-time comparison of full-length digests, whether the complaint exists or not."""
    steps: list[tuple[str, int]] = []
    hash_key, compare = proof.verifier, hmac.compare_digest

    def hashed(typed):
        steps.append(("hash", len(typed)))
        return hash_key(typed)

    def compared(a, b):
        steps.append(("compare", len(a)))
        return compare(a, b)

    monkeypatch.setattr(proof, "verifier", hashed)
    monkeypatch.setattr(hmac, "compare_digest", compared)
    stored, wrong = hash_key(proof.issue()), proof.issue()

    assert not proof.proves(stored, wrong)
    wrong_key, steps[:] = list(steps), []
    assert not proof.proves(None, wrong)

    assert steps == wrong_key == [("hash", len(wrong)), ("compare", len(stored))]


def test_a_phone_is_hashed_with_the_key_as_intake_hashes_it_and_compared_in_full():
    one = proof.phone_hash("kunci-rahasia", "+6281234567890")

    assert one == proof.keyed_hash("kunci-rahasia", "phone", "+6281234567890")
    assert one != proof.phone_hash("kunci-lain", "+6281234567890")
    assert proof.same_phone(one, proof.phone_hash("kunci-rahasia", "+6281234567890"))
    assert not proof.same_phone(one, proof.phone_hash("kunci-rahasia", "+6281234567891"))
    assert not proof.same_phone(None, one) and not proof.same_phone(one, None)
