"""A signed link works for its object, audience and lifetime only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from lapor_shared.evidence.links import LinkSigner

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
OBJECT = "0123456789abcdef0123456789abcdef.jpg"


def _parts(link: str) -> tuple[str, dict[str, str]]:
    url = urlsplit(link)
    return url.path.rsplit("/", 1)[1], {k: v[0] for k, v in parse_qs(url.query).items()}


def _verify(signer: LinkSigner, object_id: str, q: dict[str, str], now: datetime) -> bool:
    return signer.verify(object_id, audience=q["aud"], expires=q["exp"], signature=q["sig"], now=now)


def test_a_link_verifies_until_it_expires_and_not_after():
    signer = LinkSigner("rahasia-panjang", ttl_s=900, base_url="https://lapor.go.id")
    link = signer.link(OBJECT, audience="agency:umum.18.71", now=NOW)
    object_id, q = _parts(link)

    assert link.startswith("https://lapor.go.id/bukti/") and object_id == OBJECT
    assert _verify(signer, object_id, q, NOW + timedelta(seconds=899))
    assert not _verify(signer, object_id, q, NOW + timedelta(seconds=901))


@pytest.mark.parametrize("change", ["object", "audience", "expiry", "secret", "signature"])
def test_a_link_with_anything_changed_is_refused(change):
    signer = LinkSigner("rahasia-panjang")
    object_id, q = _parts(signer.link(OBJECT, audience="reporter", now=NOW))
    checker = signer
    if change == "object":
        object_id = "f" * 32 + ".jpg"
    elif change == "audience":
        q["aud"] = "public"
    elif change == "expiry":
        q["exp"] = str(int(q["exp"]) + 3600)
    elif change == "secret":
        checker = LinkSigner("rahasia-lain")
    else:
        q["sig"] = "0" * 64

    assert not _verify(checker, object_id, q, NOW)


@pytest.mark.parametrize("expires", ["", "-1", "1e9", "٣٣", "9" * 40])
def test_a_malformed_expiry_is_refused_without_an_error(expires):
    signer = LinkSigner("rahasia-panjang")
    _, q = _parts(signer.link(OBJECT, audience="public", now=NOW))

    assert not signer.verify(OBJECT, audience="public", expires=expires, signature=q["sig"], now=NOW)
