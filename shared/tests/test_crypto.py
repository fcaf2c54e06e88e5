"""The contact cipher: only holders of the key ring read a reporter's contact, and keys rotate safely."""

from __future__ import annotations

import pytest

from lapor_shared.crypto import ContactCipher, ContactDecryptionError
from lapor_shared.settings import ServiceSettings
from lapor_shared.testing.factories import reporter_contact

pytestmark = pytest.mark.unit

OLD_KEY, NEW_KEY, STRANGER_KEY = (ContactCipher.generate_key() for _ in range(3))


def test_a_contact_encrypted_with_the_ring_decrypts_to_the_same_contact():
    cipher = ContactCipher.from_setting(f"k1:{OLD_KEY}")
    contact = reporter_contact(phone="+6281234567890", email="siti@example.id", name="Siti Aminah")

    key_id, token = cipher.encrypt(contact)

    assert key_id == "k1"
    assert cipher.decrypt(token, key_id) == contact
    assert cipher.decrypt(token) == contact  # the key id is a hint, not a requirement
    for clear in ("6281234567890", "siti@example.id", "Siti Aminah"):
        assert clear not in token


def test_two_encryptions_of_one_contact_differ():
    cipher = ContactCipher.from_setting(f"k1:{OLD_KEY}")
    contact = reporter_contact()

    assert cipher.encrypt(contact)[1] != cipher.encrypt(contact)[1]


def test_after_rotation_new_contacts_use_the_new_key_and_old_tokens_still_decrypt():
    before = ContactCipher.from_setting(f"old:{OLD_KEY}")
    contact = reporter_contact()
    old_id, old_token = before.encrypt(contact)

    rotated = ContactCipher.from_setting(f"new:{NEW_KEY},old:{OLD_KEY}")

    assert rotated.current_key_id == "new"
    assert rotated.decrypt(old_token, old_id) == contact
    new_id, new_token = rotated.encrypt(contact)
    assert new_id == "new"
    with pytest.raises(ContactDecryptionError):
        before.decrypt(new_token, new_id)  # a replica not yet given the new key cannot read it


def test_a_token_from_a_key_the_ring_does_not_hold_cannot_be_decrypted():
    stranger = ContactCipher.from_setting(f"x:{STRANGER_KEY}")
    _, token = stranger.encrypt(reporter_contact())
    ring = ContactCipher.from_setting(f"new:{NEW_KEY},old:{OLD_KEY}")

    with pytest.raises(ContactDecryptionError):
        ring.decrypt(token, "x")
    with pytest.raises(ContactDecryptionError):
        ring.decrypt(token, "old")


def test_a_tampered_token_cannot_be_decrypted():
    cipher = ContactCipher.from_setting(f"k1:{OLD_KEY}")
    key_id, token = cipher.encrypt(reporter_contact())
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    with pytest.raises(ContactDecryptionError):
        cipher.decrypt(tampered, key_id)


@pytest.mark.parametrize(
    "setting",
    [
        "",
        " , ",
        "k1",
        f":{OLD_KEY}",
        "k1:",
        "k1:bukan-kunci-fernet",
        f"k1:{OLD_KEY[:-4]}",
        f"k1 {OLD_KEY}",
        pytest.param(
            f"k1:{OLD_KEY},k1:{NEW_KEY}"
        ),
    ],
    ids=["empty", "only-separators", "no-colon", "no-id", "no-key", "not-a-key", "truncated-key",
         "space-instead-of-colon", "repeated-id"],
)
def test_a_malformed_key_ring_setting_is_rejected(setting):
    with pytest.raises(ValueError) as error:
        ContactCipher.from_setting(setting)

    assert OLD_KEY not in str(error.value)  # the error never echoes key material


def test_the_development_default_key_ring_is_well_formed():
    cipher = ContactCipher.from_setting(ServiceSettings.model_fields["contact_keys"].default)

    assert cipher.current_key_id == "dev"
