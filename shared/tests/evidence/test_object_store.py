"""One contract, both backends: the local directory (always) and S3 over the wire against moto's
server mode (a real S3 HTTP endpoint on a free port, started here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto.server import ThreadedMotoServer

from lapor_shared.evidence.local import LocalDirectoryStore
from lapor_shared.evidence.s3 import S3Store
from lapor_shared.evidence.store import ObjectNotFound
from lapor_shared.infra import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def moto_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket="lapor-evidence-test")
    yield endpoint
    server.stop()


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalDirectoryStore(tmp_path / "evidence")
    return S3Store("lapor-evidence-test", endpoint=request.getfixturevalue("moto_endpoint"),
                   access_key_id="test", secret_access_key="test", allow_http=True)


async def test_an_object_put_is_read_back_whole_and_in_chunks(store):
    data = bytes(range(256)) * 1000
    await store.put("incoming/aa/bukti.jpg", data)

    assert await store.get("incoming/aa/bukti.jpg") == data
    assert b"".join([c async for c in store.stream("incoming/aa/bukti.jpg", chunk_size=4096)]) == data
    assert await store.exists("incoming/aa/bukti.jpg")


async def test_a_put_again_replaces_the_object(store):
    await store.put("evidence/x.pdf", b"lama")
    await store.put("evidence/x.pdf", b"baru")

    assert await store.get("evidence/x.pdf") == b"baru"


async def test_a_missing_object_is_not_found_and_deleting_it_is_harmless(store):
    with pytest.raises(ObjectNotFound):
        await store.get("evidence/tidak-ada.jpg")
    with pytest.raises(ObjectNotFound):
        [c async for c in store.stream("evidence/tidak-ada.jpg")]
    assert not await store.exists("evidence/tidak-ada.jpg")
    await store.delete("evidence/tidak-ada.jpg")


async def test_a_deleted_object_is_gone(store):
    await store.put("evidence/hapus.png", b"x")
    await store.delete("evidence/hapus.png")

    assert not await store.exists("evidence/hapus.png")


async def test_only_objects_under_the_prefix_written_before_the_time_are_listed(store):
    await store.put("sweep/a.jpg", b"1")
    await store.put("sweep/deep/b.jpg", b"2")
    await store.put("kept/c.jpg", b"3")
    now = datetime.now(UTC)

    assert await store.list_older_than("sweep", now + timedelta(minutes=1)) == ["sweep/a.jpg", "sweep/deep/b.jpg"]
    assert await store.list_older_than("sweep", now - timedelta(minutes=1)) == []
    assert await store.list_older_than("nothing-here", now + timedelta(minutes=1)) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs.jpg", "a/../../b", "a\nb", ".hidden", "a//b", ""])
async def test_a_key_that_could_leave_the_store_is_refused_by_every_backend(store, key):
    with pytest.raises(ValueError):
        await store.put(key, b"x")
    with pytest.raises(ValueError):
        await store.get(key)


async def test_the_local_backend_leaves_no_partial_file_behind(tmp_path):
    store = LocalDirectoryStore(tmp_path)
    await store.put("evidence/a.jpg", b"isi")

    assert sorted(p.name for p in (tmp_path / "evidence").iterdir()) == ["a.jpg"]
