"""The reporter's identity inside intake: keyed hashes for look-ups, encryption for notify.

Intake never indexes or compares raw phone numbers or e-mail addresses. It derives, per normalised
identifier, an HMAC-SHA256 with a secret key (``LAPOR_REPORTER_HASH_KEY``): the same person gives
the same hash, so rate limits and duplicate look-ups work, but a copy of the table does not reveal
the numbers, and without the key one cannot even test a guessed number against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_shared.events.values import ReporterContact
from lapor_shared.reporter_proof import keyed_hash


@dataclass(frozen=True)
class Identity:
    """The keyed hashes of one reporter's phone number and e-mail address (either may be absent)."""

    phone_hash: bytes | None = None
    email_hash: bytes | None = None

    @property
    def hashes(self) -> list[bytes]:
        """Every hash, sorted (so that locks on them are always taken in the same order)."""
        return sorted(h for h in (self.phone_hash, self.email_hash) if h is not None)

    @property
    def lock_keys(self) -> list[int]:
        """32-bit advisory-lock keys, one per hash, in the order of ``hashes``."""
        return sorted({int.from_bytes(h[:4], "big", signed=True) for h in self.hashes})

    def __bool__(self) -> bool:
        return bool(self.hashes)


class IdentityHasher:
    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("the reporter hash key must not be empty")
        self._key = key

    def _hash(self, kind: str, value: str) -> bytes:
        """``lapor_shared.reporter_proof.keyed_hash``: the gateway hashes an SMS sender's number the same way."""
        return keyed_hash(self._key, kind, value)

    def identity(self, contact: ReporterContact | None) -> Identity:
        """Hashes of a *normalised* contact (phone in E.164; the e-mail address is compared case-blind)."""
        if contact is None:
            return Identity()
        return Identity(
            phone_hash=self._hash("phone", contact.phone) if contact.phone else None,
            email_hash=self._hash("email", contact.email.lower()) if contact.email else None,
        )
