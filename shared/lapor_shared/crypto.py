"""Encryption of reporter contact details between intake and notify (and nobody else).

A key ring of Fernet keys (AES-128-CBC + HMAC-SHA256), each with an id; the first key encrypts, all
keys decrypt, so keys rotate without downtime: add the new key first, wait until the old tokens
are gone (the contacts topic keeps 7 days), remove the old key. Only intake and notify are given
``LAPOR_CONTACT_KEYS``; the topic itself is readable only by notify.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from lapor_shared.events.values import ReporterContact


class ContactDecryptionError(ValueError):
    pass


@dataclass(frozen=True)
class ContactCipher:
    keys: dict[str, bytes]
    """key id → Fernet key; the first entry encrypts."""

    @classmethod
    def from_setting(cls, value: str) -> ContactCipher:
        """Parse ``id1:key1,id2:key2`` (the format of ``LAPOR_CONTACT_KEYS``)."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            key_id, _, key = item.partition(":")
            if not key_id or not key:
                raise ValueError("LAPOR_CONTACT_KEYS must look like 'id:fernetkey[,id:fernetkey…]'")
            Fernet(key.encode())  # validates the key
            if key_id in keys:
                raise ValueError(f"LAPOR_CONTACT_KEYS names key id {key_id!r} twice")
            keys[key_id] = key.encode()
        if not keys:
            raise ValueError("LAPOR_CONTACT_KEYS holds no key")
        return cls(keys)

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    @property
    def current_key_id(self) -> str:
        return next(iter(self.keys))

    def encrypt(self, contact: ReporterContact) -> tuple[str, str]:
        """(key id, token) for ``contact``."""
        token = Fernet(self.keys[self.current_key_id]).encrypt(contact.model_dump_json().encode())
        return self.current_key_id, token.decode()

    def encrypt_text(self, text: str) -> str:
        """A token of ``text`` under the current key (its id is ``current_key_id``): the reporter's key."""
        return Fernet(self.keys[self.current_key_id]).encrypt(text.encode()).decode()

    def decrypt(self, token: str, key_id: str | None = None) -> ReporterContact:
        return ReporterContact.model_validate_json(self._plain(token, key_id))

    def decrypt_text(self, token: str, key_id: str | None = None) -> str:
        return self._plain(token, key_id).decode()

    def _plain(self, token: str, key_id: str | None) -> bytes:
        ring = [Fernet(self.keys[key_id])] if key_id in self.keys else [Fernet(k) for k in self.keys.values()]
        try:
            return MultiFernet(ring).decrypt(token.encode())
        except InvalidToken as exc:
            raise ContactDecryptionError("contact token cannot be decrypted with the configured keys") from exc
