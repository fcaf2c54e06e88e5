"""The reporter's loop in a real headless Chromium the size of a phone, on the whole platform: a citizen
files on the web form with a phone photo (the upload's progress script sends it), keeps the key the page
shows once, opens the tracking page from it and sees the photo, reads the agency's response with its PDF
when it comes and replies; followup carries the reply out. Screenshots of the pages go
to ``results/`` (git-ignored); ``docs/screenshots/`` holds copies of them.

The browser is ``tests/e2e/browser.py``'s (Debian's ``chromium`` and ``chromedriver`` through Selenium).
"""

from __future__ import annotations

import asyncpg
import pytest
from PIL import Image

from lapor_shared.events import Envelope
from lapor_shared.events.commands import RespondToComplaint
from lapor_shared.evidence import EvidenceLimits, EvidenceUploads
from lapor_shared.evidence.local import LocalDirectoryStore
from lapor_shared.testing.kafka_io import publish, wait_for
from lapor_shared.topics import destinations
from shared.tests.evidence.images import GPS_IFD, encoded, pattern
from tests.e2e.browser import RESULTS, wait_until
from tests.hostile.files import pdf_with

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PHONE = (412, 915)
"""A small Android phone's viewport, in CSS pixels."""


async def test_a_citizen_files_keeps_the_key_reads_the_response_and_replies_on_a_phone(chromium, platform, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.set_window_size(*PHONE)
    base = f"http://127.0.0.1:{platform.services['gateway'].port}"
    RESULTS.mkdir(exist_ok=True)

    driver.get(f"{base}/lapor")
    driver.find_element(By.ID, "title").send_keys("Lampu jalan mati di Jl. Kartini")
    driver.find_element(By.ID, "description").send_keys("Lampu jalan di depan pasar mati sudah tiga malam, rawan.")
    Select(driver.find_element(By.ID, "region_code")).select_by_value("18.71")
    driver.find_element(By.ID, "phone").send_keys("081377700044")
    photo = RESULTS / "foto-hp.jpg"
    photo.write_bytes(encoded(pattern(640, 480), "JPEG"))  # a phone photo: GPS, camera serial, orientation
    driver.find_element(By.ID, "files").send_keys(str(photo))
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, ".key"), "the key on the submission page", 90)
    number = driver.find_element(By.CSS_SELECTOR, ".number").text
    key = driver.find_element(By.CSS_SELECTOR, ".key").text
    driver.save_screenshot(str(RESULTS / "submission-key.png"))
    assert number.startswith("LPR-") and len(key) == 19

    driver.find_element(By.XPATH, "//form[@action='/lacak?lang=id']//button").click()
    wait_until(lambda: "Riwayat" in driver.page_source, "the tracking page opened from the submission page")
    assert number in driver.page_source and not driver.find_elements(By.TAG_NAME, "script")
    def photo_shown() -> bool:
        driver.get(f"{base}/lacak?nomor={number}&kunci={key}")
        return bool(driver.find_elements(By.CSS_SELECTOR, ".evidence img"))

    wait_until(photo_shown, "the photo on the tracking page", 60)
    thumbnail = driver.find_element(By.CSS_SELECTOR, ".evidence img")
    driver.execute_script("arguments[0].scrollIntoView()", thumbnail)  # loaded lazily, once in view
    wait_until(lambda: driver.execute_script("return arguments[0].naturalWidth", thumbnail) > 0,
               "the thumbnail served by its signed link")
    [stored] = [p for p in (platform.evidence_dir / "evidence").iterdir() if not p.name.endswith(".thumb.jpg")]
    assert Image.open(stored).getexif().get_ifd(GPS_IFD) == {}

    conn = await asyncpg.connect(platform.database_url)
    try:
        async def routed() -> asyncpg.Record | None:
            return await conn.fetchrow("SELECT complaint_id, agency_id FROM followup.complaints"
                                       " WHERE tracking_number = $1 AND status = 'routed'", number)

        case = await wait_for(routed, timeout=60, interval=0.3)
        assert case, "the complaint was never routed"
        # the officer's console stores the PDF with the same upload helper, then names it in the response
        uploads = EvidenceUploads(LocalDirectoryStore(platform.evidence_dir), EvidenceLimits())
        report = (await uploads.accept(pdf_with(b""))).evidence
        await uploads.claim([report])
        response = Envelope.new(RespondToComplaint(agency_id=case["agency_id"], evidence=[report],
                                                   text="Lampu sudah diganti oleh petugas pada pagi ini."),
                                producer="agency-app", complaint_id=case["complaint_id"], tracking_number=number)
        for topic in destinations(response):
            await publish(platform.bootstrap_servers, topic, [response])

        def responded() -> bool:  # what notify's link opens
            driver.get(f"{base}/lacak?nomor={number}&kunci={key}")
            return "Balas tindak lanjut" in driver.page_source

        wait_until(responded, "the agency's response on the tracking page", 60)
        assert "Lampu sudah diganti oleh petugas pada pagi ini." in driver.page_source
        assert len(driver.find_elements(By.CSS_SELECTOR, ".evidence a")) == 2  # the photo and the agency's PDF
        assert f"/bukti/{report.object_id}" in driver.page_source
        driver.save_screenshot(str(RESULTS / "tracking-page.png"))

        driver.find_element(By.ID, "text").send_keys("Terima kasih, lampunya sudah menyala.")
        driver.find_element(By.XPATH, "//form[starts-with(@action, '/lacak/balas')]//button").click()
        wait_until(lambda: "Balasan Anda telah diteruskan ke instansi." in driver.page_source,
                   "the reply's outcome on the page")
        driver.save_screenshot(str(RESULTS / "tracking-page-replied.png"))

        async def replied() -> bool:
            return await conn.fetchval("SELECT status FROM followup.complaints WHERE tracking_number = $1",
                                       number) == "reporter_replied"

        assert await wait_for(replied, timeout=60, interval=0.3)
    finally:
        await conn.close()
