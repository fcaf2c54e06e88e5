"""The gateway's public pages and a rahasia complaint (docs/privacy.md, "Every read surface"; the row ids are
the table's): what a citizen's browser reads answers as for a number no complaint has."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .conftest import complaint_body, valid_tracking_number

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def masked(page: str, number: str) -> str:
    """The page with the number it was asked for (as typed and as quoted in a link) blanked out."""
    return page.replace(quote(number, safe=""), "N").replace(number, "N")


async def test_p02_the_web_status_page_of_a_rahasia_complaint_is_the_page_an_unknown_number_gets(adapters):
    async with adapters() as a:
        secret = "RAHASIA-HALAMAN-4417"
        body = complaint_body(confidential=True, title=f"Pungli {secret}",
                              description=f"Petugas meminta uang tambahan {secret} di loket pelayanan.")
        number = (await a.http.post("/api/v1/complaints", json=body)).json()["tracking_number"]
        await a.until(lambda: a.view_status(number))
        other = valid_tracking_number()

        pages = {lang: (await a.http.get("/lapor/status", params={"nomor": number, "lang": lang}),
                        await a.http.get("/lapor/status", params={"nomor": other, "lang": lang}))
                 for lang in ("id", "en")}

    for rahasia, unknown in pages.values():
        assert rahasia.status_code == unknown.status_code == 404
        assert masked(rahasia.text, number) == masked(unknown.text, other)
        assert secret not in rahasia.text and "Unit Pengaduan" not in rahasia.text
