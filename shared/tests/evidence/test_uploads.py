"""The upload helper: files wait under ``incoming/`` until a message names them, are moved before it is
published, and are swept when nothing ever does; the two-step slots hold one file each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lapor_shared.evidence import EvidenceLimits, EvidenceUploads, Refused
from lapor_shared.evidence.local import LocalDirectoryStore
from shared.tests.evidence.images import encoded, pattern

pytestmark = pytest.mark.unit


@pytest.fixture
def uploads(tmp_path):
    return EvidenceUploads(LocalDirectoryStore(tmp_path), EvidenceLimits(max_count=2, max_total_bytes=1000),
                           orphan_age_s=3600)


async def test_an_accepted_photo_waits_in_incoming_with_its_thumbnail_until_claimed(uploads):
    uploaded = await uploads.accept(encoded(pattern(), "JPEG"))
    object_id = uploaded.evidence.object_id
    store = uploads.store

    assert object_id.endswith(".jpg") and uploaded.gps is not None
    assert await store.exists(f"incoming/{object_id}") and await store.exists(f"incoming/{object_id}.thumb.jpg")

    await uploads.claim([uploaded.evidence])
    await uploads.claim([uploaded.evidence])  # again: harmless

    assert await store.exists(f"evidence/{object_id}") and await store.exists(f"evidence/{object_id}.thumb.jpg")
    assert not await store.exists(f"incoming/{object_id}")


async def test_claiming_a_file_that_was_swept_fails_so_no_event_names_a_missing_file(uploads):
    uploaded = await uploads.accept(encoded(pattern(), "PNG"))
    await uploads.store.delete(f"incoming/{uploaded.evidence.object_id}")

    with pytest.raises(Exception, match=uploaded.evidence.object_id):
        await uploads.claim([uploaded.evidence])


async def test_the_sweep_deletes_unclaimed_uploads_older_than_the_age_and_nothing_claimed(uploads):
    orphan = await uploads.accept(encoded(pattern(), "PNG"))
    claimed = await uploads.accept(encoded(pattern(), "PNG"))
    await uploads.claim([claimed.evidence])
    slot = await uploads.open_slot()

    assert await uploads.sweep() == 0  # too young
    uploads.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
    assert await uploads.sweep() == 3  # the orphan, its thumbnail, the slot record

    assert not await uploads.store.exists(f"incoming/{orphan.evidence.object_id}")
    assert await uploads.store.exists(f"evidence/{claimed.evidence.object_id}")
    with pytest.raises(Refused):
        await uploads.slot_evidence([slot])


async def test_a_slot_takes_one_file_and_then_names_it(uploads):
    slot = await uploads.open_slot()
    with pytest.raises(Refused) as empty:
        await uploads.slot_evidence([slot])
    filled = await uploads.fill_slot(slot, encoded(pattern(), "PNG"))

    assert await uploads.slot_evidence([slot]) == [filled.evidence]
    assert empty.value.reason.code == "evidence_unknown_upload"
    with pytest.raises(Refused):
        await uploads.fill_slot(slot, encoded(pattern(), "PNG"))


@pytest.mark.parametrize("slot", ["../../etc", "x" * 32, "0" * 31])
async def test_an_unknown_or_malformed_slot_is_refused_with_a_reason(uploads, slot):
    with pytest.raises(Refused) as refused:
        await uploads.slot_evidence([slot])

    assert refused.value.reason.code == "evidence_unknown_upload"


def test_too_many_files_or_too_many_bytes_together_are_refused(uploads):
    assert uploads.check_set([10, 10]) == []
    assert [r.code for r in uploads.check_set([10, 10, 10])] == ["evidence_too_many"]
    assert [r.code for r in uploads.check_set([600, 600])] == ["evidence_total_too_large"]


async def test_removed_evidence_leaves_no_file_or_thumbnail(uploads):
    uploaded = await uploads.accept(encoded(pattern(), "JPEG"))
    await uploads.claim([uploaded.evidence])
    await uploads.remove([uploaded.evidence])

    assert await uploads.store.list_older_than("evidence", datetime.now(UTC) + timedelta(minutes=1)) == []


async def test_the_same_file_sent_again_for_the_same_message_gets_the_same_object_id(uploads):
    photo = encoded(pattern(), "PNG")

    first = await uploads.accept(photo, scope="web-1")
    again = await uploads.accept(photo, scope="web-1")
    other = await uploads.accept(photo, scope="web-2")

    assert first.evidence == again.evidence
    assert other.evidence.object_id != first.evidence.object_id
