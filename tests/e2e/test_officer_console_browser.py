"""The whole loop of issues 15 and 18 in a real headless Chromium, on the whole platform (every service a
process): a citizen files on the gateway's web form with a phone photo (GPS in its EXIF) → an officer of the
routed agency logs in to the officer console, sees it at the top of the work list, sees the photo (stored
without its GPS) on the complaint page, acknowledges and responds with a PDF → the reporter opens the
tracking page with the number and key, reads the response with both files and replies → the officer sees
the reply arrive without reloading, and resolves → the reporter rates → the province's dashboard shows the
rating.

Three tabs of one browser: the officer's, the reporter's, the province official's. Screenshots of the work
list, the complaint page and the tracking page go to ``results/`` (git-ignored); ``docs/img/`` holds copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from PIL import Image

from shared.tests.evidence.images import GPS_IFD, encoded, pattern
from tests.e2e.browser import RESULTS, click_when_live, wait_until
from tests.hostile.files import pdf_with

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first run may install Chromium (minutes)

REPLY = "Terima kasih, tapi lampu di ujung gang masih mati."
RESPONSE = "Petugas sudah mengganti tiga lampu jalan pada pagi ini."


def text_of(driver: WebDriver, css: str) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def outcome_of(driver: WebDriver, command: str) -> str | None:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, f'#state [data-command="{command}"]')
    return found[0].get_attribute("data-outcome") if found else None


def status_of(driver: WebDriver) -> str | None:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.ID, "status")
    return found[0].get_attribute("data-status") if found else None


def loaded(driver: WebDriver, css: str) -> bool:
    """Whether the first image ``css`` finds has been fetched and decoded (scrolled into view: lazy)."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, css)
    if not found:
        return False
    driver.execute_script("arguments[0].scrollIntoView()", found[0])
    return bool(driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", found[0]))


def act(driver: WebDriver, section: str, button: str, **fields: str) -> None:
    """Open an action's section of the complaint page, fill it in and send it."""
    from selenium.webdriver.common.by import By

    if section:
        driver.find_element(By.CSS_SELECTOR, f"details#{section} summary").click()
    for name, value in fields.items():
        driver.find_element(By.ID, name).send_keys(value)
    driver.find_element(By.ID, button).click()


async def test_the_officer_and_the_reporter_close_the_loop_in_the_browser(chromium, platform, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.set_window_size(1280, 1000)
    gateway = f"http://127.0.0.1:{platform.services['gateway'].port}"
    console = f"http://127.0.0.1:{platform.services['console'].port}"
    dashboard = f"http://127.0.0.1:{platform.services['dashboard'].port}"
    RESULTS.mkdir(exist_ok=True)

    # the citizen files on the web form and keeps the number and the key
    driver.get(f"{gateway}/lapor")
    driver.find_element(By.ID, "title").send_keys("Lampu jalan mati di Jl. Kartini")
    driver.find_element(By.ID, "description").send_keys("Lampu jalan di depan pasar mati sudah tiga malam, rawan.")
    Select(driver.find_element(By.ID, "region_code")).select_by_value("18.71")
    driver.find_element(By.ID, "phone").send_keys("081377700055")
    photo, report = RESULTS / "console-foto-hp.jpg", RESULTS / "console-laporan.pdf"
    photo.write_bytes(encoded(pattern(640, 480), "JPEG"))  # a phone photo: GPS, camera serial, orientation
    report.write_bytes(pdf_with(b""))
    assert Image.open(photo).getexif().get_ifd(GPS_IFD) != {}
    driver.find_element(By.ID, "files").send_keys(str(photo))
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, ".key"), "the key on the submission page", 90)
    number = driver.find_element(By.CSS_SELECTOR, ".number").text
    key = driver.find_element(By.CSS_SELECTOR, ".key").text
    reporter_tab = driver.current_window_handle

    # the officer of the routed agency (umum.18.71) logs in and finds it at the top of the work list
    driver.switch_to.new_window("tab")
    officer_tab = driver.current_window_handle
    driver.get(f"{console}/")
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "username").send_keys("petugas.bdl")
    driver.find_element(By.ID, "password").send_keys("lapor1708")
    driver.find_element(By.ID, "login-button").click()

    def first_row() -> str | None:
        rows = driver.find_elements(By.CSS_SELECTOR, "#worklist tbody tr")
        return rows[0].get_attribute("data-tracking-number") if rows else None

    wait_until(lambda: first_row() == number, "the new complaint at the top of the work list (live)", 90)
    wait_until(lambda: "ok" in driver.find_element(By.ID, "live-state").get_attribute("class"), "the live stream")
    driver.save_screenshot(str(RESULTS / "console-worklist.png"))

    click_when_live(lambda: driver.find_element(By.LINK_TEXT, number), "the complaint's link in the live work list")
    wait_until(lambda: text_of(driver, "#tracking-number") == number, "the complaint page")
    wait_until(lambda: loaded(driver, "#evidence img"), "the photo's thumbnail on the officer's page (signed link)")
    [stored] = [p for p in (platform.evidence_dir / "evidence").iterdir() if p.suffix == ".jpg"
                and not p.name.endswith(".thumb.jpg")]
    assert Image.open(stored).getexif().get_ifd(GPS_IFD) == {} and Image.open(stored).size == (640, 480)
    act(driver, "", "do-acknowledge")
    wait_until(lambda: outcome_of(driver, "agency.acknowledge") == "accepted" and status_of(driver) == "acknowledged",
               "the acknowledgement accepted by followup")
    act(driver, "respond", "do-respond", text=RESPONSE, note="Tim PJU turun pukul 07.00", files=str(report))
    wait_until(lambda: outcome_of(driver, "agency.respond") == "accepted" and status_of(driver) == "responded",
               "the response accepted by followup")
    # the internal note; the live stream may be replacing the timeline as we read it
    wait_until(lambda: "Tim PJU turun pukul 07.00" in text_of(driver, "#timeline"), "the internal note on the timeline")
    [pdf] = [p.name for p in (platform.evidence_dir / "evidence").iterdir() if p.suffix == ".pdf"]
    assert (platform.evidence_dir / "evidence" / pdf).read_bytes() == report.read_bytes()
    wait_until(lambda: f"/bukti/{pdf}" in driver.find_element(By.ID, "timeline").get_attribute("innerHTML"),
               "the signed link to the officer's report on the timeline")
    driver.execute_script("window.notReloaded = true;")

    # the reporter opens the tracking page with the number and the key, reads the response and replies
    driver.switch_to.window(reporter_tab)

    def tracking_page_shows(text: str) -> bool:
        driver.get(f"{gateway}/lacak?nomor={number}&kunci={key}")
        return text in driver.page_source

    wait_until(lambda: tracking_page_shows("Balas tindak lanjut"), "the response on the tracking page", 60)
    assert RESPONSE in driver.page_source and "Tim PJU" not in driver.page_source  # the note stays internal
    assert f"/bukti/{pdf}" in driver.page_source and f"/bukti/{stored.name}" in driver.page_source  # both files
    wait_until(lambda: loaded(driver, ".evidence img"), "the photo's thumbnail on the tracking page")
    driver.save_screenshot(str(RESULTS / "console-tracking-page.png"))
    driver.find_element(By.ID, "text").send_keys(REPLY)
    driver.find_element(By.XPATH, "//form[starts-with(@action, '/lacak/balas')]//button").click()
    wait_until(lambda: "Balasan Anda telah diteruskan ke instansi." in driver.page_source, "the reply's outcome")

    # the officer sees the reply arrive on the open page, then resolves
    driver.switch_to.window(officer_tab)
    wait_until(lambda: REPLY in driver.find_element(By.ID, "timeline").text, "the reply on the officer's page", 60)
    assert driver.execute_script("return window.notReloaded === true;"), "the page was reloaded"
    assert "081377700055" not in driver.page_source  # never the reporter's identity
    driver.save_screenshot(str(RESULTS / "console-complaint.png"))
    act(driver, "resolve", "do-resolve", closing="Lampu di ujung gang diganti siang ini.")
    wait_until(lambda: outcome_of(driver, "agency.resolve") == "accepted" and status_of(driver) == "closed",
               "the complaint closed")

    # the reporter rates
    driver.switch_to.window(reporter_tab)
    wait_until(lambda: tracking_page_shows("Kirim penilaian"), "the rating form once closed", 60)
    driver.find_element(By.CSS_SELECTOR, "input[name=rating][value='5']").click()
    driver.find_element(By.ID, "comment").send_keys("Cepat ditangani.")
    driver.find_element(By.XPATH, "//form[starts-with(@action, '/lacak/nilai')]//button").click()
    wait_until(lambda: "Terima kasih, penilaian Anda tercatat." in driver.page_source, "the rating recorded")

    # the province's dashboard shows the rating
    driver.switch_to.new_window("tab")
    driver.get(f"{dashboard}/dashboard?node=18")
    driver.find_element(By.ID, "username").send_keys("lampung")
    driver.find_element(By.ID, "password").send_keys("lapor1708")
    driver.find_element(By.ID, "login-button").click()
    wait_until(lambda: text_of(driver, '#kpis [data-figure="satisfaction"]') == "5,0 / 5",
               "the rating in Lampung's satisfaction figure", 60)
