"""Files in the console (issue 18): the complaint's, a response's and a reply's files as links signed for the
officer's agency with their thumbnails; the response form takes photos and PDFs, stores them sanitised and
claimed before the command names them, and refuses a PDF with active content with its reason, publishing
nothing; another agency's officer gets no link and can store nothing."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from lapor_console import auth
from lapor_shared import web_sessions
from lapor_shared.events.lifecycle import ComplaintReporterReplied, ComplaintResponded
from lapor_shared.events.values import Evidence
from lapor_shared.evidence import EvidenceLimits, EvidenceUploads
from lapor_shared.evidence.local import LocalDirectoryStore
from lapor_shared.topics import AGENCY_COMMANDS
from services.console.tests.conftest import Case, csrf_of
from shared.tests.evidence.images import GPS_IFD, encoded, pattern
from tests.hostile.files import pdf_with

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

GATEWAY = "https://lapor.example.go.id"
SECRET = "rahasia-bersama-konsol"


def evidence_settings(tmp_path: Path, **more: object) -> dict[str, object]:
    return {"local_dir": str(tmp_path / "store"), "link_secret": SECRET, "public_base_url": GATEWAY, **more}


async def stored(tmp_path: Path, data: bytes) -> Evidence:
    """A file as a channel stores it (sanitised, claimed) in the store the console shares with the gateway."""
    uploads = EvidenceUploads(LocalDirectoryStore(tmp_path / "store"), EvidenceLimits())
    item = (await uploads.accept(data)).evidence
    await uploads.claim([item])
    return item


def links_in(page: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in re.findall(r'(?:href|src)="([^"]+/bukti/[^"]+)"', page)]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def served(h, tmp_path: Path, url: str) -> bytes:
    """What the gateway's /bukti answers for ``url``: the link checked with the shared secret, then the object
    (or its thumbnail) read from the shared store."""
    q = query(url)
    object_id = urlsplit(url).path.rsplit("/", 1)[1]
    assert h.settings.evidence.signer().verify(object_id, audience=q["aud"], expires=q["exp"], signature=q["sig"],
                                               now=datetime.now(UTC)), url
    name = f"{object_id}.thumb.jpg" if q.get("v") == "thumb" else object_id
    return (tmp_path / "store" / "evidence" / name).read_bytes()


async def test_the_complaints_photo_and_the_reporters_pdf_have_working_links_signed_for_the_agency(console, tmp_path):
    photo = await stored(tmp_path, encoded(pattern(640, 480), "JPEG"))
    reply_pdf = await stored(tmp_path, pdf_with(b""))
    case = Case().routed(evidence=[photo]).deadline()
    case.add(ComplaintReporterReplied(text="Ini kuitansinya.", evidence=[reply_pdf]))
    async with console(evidence=evidence_settings(tmp_path)) as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = await client.get(f"/complaints/{case.tracking_number}")

    assert page.status_code == 200 and f"img-src 'self' {GATEWAY}" in page.headers["content-security-policy"]
    links = links_in(page.text)
    assert all(u.startswith(f"{GATEWAY}/bukti/") and query(u)["aud"] == "agency:umum.18.71" for u in links)
    [thumb] = [u for u in links if query(u).get("v") == "thumb"]
    [full] = [u for u in links if photo.object_id in u and "v=thumb" not in u]
    [pdf] = [u for u in links if reply_pdf.object_id in u]
    assert max(Image.open(io.BytesIO(served(h, tmp_path, thumb))).size) == 320
    image = Image.open(io.BytesIO(served(h, tmp_path, full)))
    assert image.size == (640, 480) and image.getexif().get_ifd(GPS_IFD) == {}
    assert hashlib.sha256(served(h, tmp_path, pdf)).hexdigest() == reply_pdf.sha256
    assert 'id="evidence"' in page.text and "Ini kuitansinya." in page.text


async def test_a_pdf_answer_is_stored_and_its_reference_published_on_the_agencys_own_command_topic(console, tmp_path):
    case = Case().routed().deadline()
    report = pdf_with(b"")
    async with console(evidence=evidence_settings(tmp_path)) as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = (await client.get(f"/complaints/{case.tracking_number}")).text
            assert 'enctype="multipart/form-data"' in page and 'name="files" multiple' in page
            fields = {**csrf_of(page), "text": "Jalan sudah ditambal, laporan terlampir."}
            files = [("files", ("laporan.pdf", report, "application/pdf")),
                     ("files", ("IMG_0001.jpg", encoded(pattern(400, 300), "JPEG"), "image/jpeg"))]
            sent = await client.post(f"/complaints/{case.tracking_number}/respond", data=fields, files=files)
            await h.settle()
            (command,) = h.commands()
            await h.answer(case, ComplaintResponded(agency_id=case.agency, text=command.payload.text,
                                                    evidence=command.payload.evidence), command)
            done = (await client.get(f"/complaints/{case.tracking_number}")).text

    assert sent.status_code == 303, sent.text
    assert h.published[-1].topic == AGENCY_COMMANDS.topic("umum.18.71")
    pdf, jpeg = command.payload.evidence
    assert (pdf.media_type, pdf.sha256) == ("application/pdf", hashlib.sha256(report).hexdigest())
    store = tmp_path / "store"
    assert (store / "evidence" / pdf.object_id).read_bytes() == report  # claimed before it was published
    assert Image.open(store / "evidence" / jpeg.object_id).getexif().get_ifd(GPS_IFD) == {}
    assert not any((store / "incoming").glob("*.*"))
    assert any(pdf.object_id in u for u in links_in(done)) and any(jpeg.object_id in u for u in links_in(done))


async def test_a_pdf_with_javascript_is_refused_with_the_reason_and_nothing_is_published(console, tmp_path):
    case = Case().routed().deadline()
    hostile = pdf_with(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    async with console(evidence=evidence_settings(tmp_path)) as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = (await client.get(f"/complaints/{case.tracking_number}")).text
            fields = {**csrf_of(page), "text": "Terlampir."}
            refused = await client.post(f"/complaints/{case.tracking_number}/respond", data=fields,
                                        files=[("files", ("surat.pdf", hostile, "application/pdf"))])
            english = await client.post(f"/complaints/{case.tracking_number}/respond?lang=en", data=fields,
                                        files=[("files", ("surat.pdf", hostile, "application/pdf"))])
            await h.settle()

    assert refused.status_code == 422 and "PDF ke-1 berisi konten aktif" in refused.text
    assert english.status_code == 422 and "PDF 1 contains active content" in english.text
    assert h.commands() == [] and not (tmp_path / "store" / "evidence").exists()


async def test_another_agencys_officer_gets_no_link_and_stores_nothing(console, tmp_path):
    photo = await stored(tmp_path, encoded(pattern(64, 48), "JPEG"))
    case = Case().routed(evidence=[photo]).deadline()
    async with console(evidence=evidence_settings(tmp_path)) as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.dinkes.bdl")
            page = await client.get(f"/complaints/{case.tracking_number}")
            session = auth.Sessions(h.settings).session_id(client.cookies.get(auth.SESSION_COOKIE)) or ""
            csrf = web_sessions.csrf_token(h.settings.session_secret, session)  # a genuine token of this officer
            sent = await client.post(f"/complaints/{case.tracking_number}/respond",
                                     data={"csrf": csrf, "text": "Bukan kami."},
                                     files=[("files", ("a.pdf", pdf_with(b""), "application/pdf"))])
            await h.settle()

    assert page.status_code == 404 and "/bukti/" not in page.text
    assert sent.status_code == 404 and h.commands() == []
    assert list((tmp_path / "store" / "incoming").glob("*.pdf")) == []


async def test_files_need_the_forms_csrf_token_and_the_guard_refuses_a_body_past_the_forms_limit(console, tmp_path):
    case = Case().routed().deadline()
    small = {"max_file_bytes": 20_000, "max_total_bytes": 40_000, "max_count": 2}
    async with console(evidence=evidence_settings(tmp_path, limits=small)) as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = (await client.get(f"/complaints/{case.tracking_number}")).text
            forged = await client.post(f"/complaints/{case.tracking_number}/respond", data={"text": "x"},
                                       files=[("files", ("a.pdf", pdf_with(b""), "application/pdf"))])
            too_big = await client.post(f"/complaints/{case.tracking_number}/respond",
                                        data={**csrf_of(page), "text": "x"},
                                        files=[("files", ("a.pdf", pdf_with(b"x" * 400_000), "application/pdf"))])
            await h.settle()

    assert forged.status_code == 403 and too_big.status_code == 413
    assert h.commands() == [] and not (tmp_path / "store" / "incoming").exists()
