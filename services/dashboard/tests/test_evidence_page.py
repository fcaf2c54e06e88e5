"""A complaint's files on its dashboard page: signed links for the viewer's scope, the agency's own
response files marked, thumbnails allowed from the gateway by the page's Content-Security-Policy."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from lapor_shared.events.lifecycle import ComplaintResponded
from lapor_shared.events.values import Evidence
from lapor_shared.testing import factories

from .conftest import SECRET_TITLE, Story

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

PHOTO = Evidence(object_id="a" * 32 + ".jpg", media_type="image/jpeg", size_bytes=1234, sha256="1" * 64)
PDF = Evidence(object_id="b" * 32 + ".pdf", media_type="application/pdf", size_bytes=999, sha256="2" * 64)
GATEWAY = "https://lapor.example.go.id"


def _story() -> Story:
    story = Story("18.71", confidential=True, title=SECRET_TITLE)
    story.agency = factories.agency_ref()
    routed = factories.complaint_routed(agency=story.agency, confidential=True, title=SECRET_TITLE, evidence=[PHOTO])
    story._add(routed, hours=1, jurisdiction_code="18.71")
    story._add(ComplaintResponded(agency_id=story.agency.agency_id, text="Sudah.", evidence=[PDF]), hours=2)
    return story


async def test_the_responsible_jurisdiction_sees_the_files_as_links_signed_for_its_scope(dashboard):
    async with dashboard(evidence={"link_secret": "rahasia-bersama", "public_base_url": GATEWAY}) as h:
        story = _story()
        await h.tell(story)
        async with h.client() as client:
            await h.login(client, "bandarlampung")
            page = await client.get(f"/complaints/{story.tracking_number}")

        assert page.status_code == 200 and 'id="evidence"' in page.text
        assert f"img-src 'self' {GATEWAY}" in page.headers["content-security-policy"]
        urls = [u.split('"')[0].replace("&amp;", "&") for u in page.text.split('href="')[1:]
                if u.startswith(GATEWAY)]
        assert any(PHOTO.object_id in u for u in urls) and any(PDF.object_id in u for u in urls)
        signer = h.settings.evidence.signer()
        link = urlsplit(next(u for u in urls if PHOTO.object_id in u))
        q = {k: v[0] for k, v in parse_qs(link.query).items()}
        assert q["aud"] == "admin:18.71"
        assert signer.verify(PHOTO.object_id, audience=q["aud"], expires=q["exp"], signature=q["sig"],
                             now=datetime.now(UTC))
        assert "dari tanggapan instansi" in page.text and f'src="{GATEWAY}/bukti/{PHOTO.object_id}' in page.text
