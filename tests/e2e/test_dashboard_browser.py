"""The oversight dashboard in a real headless Chromium, on the whole platform (five processes).

A Lampung province official logs in, reads the figures of the province's regencies and cities, sees
them change while complaints are published (without reloading the page), follows a link down to Kota
Bandar Lampung, and the pages are saved as screenshots in ``results/`` (git-ignored).

The browser (fixtures ``chromium`` and ``browser``, ``tests/e2e/browser.py``) is Debian's ``chromium``
driven through Debian's ``chromedriver`` by Selenium.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lapor_shared.events.values import Location
from lapor_shared.testing.kafka_io import publish
from lapor_shared.topics import SUBMISSIONS
from tests.conftest import submission
from tests.e2e.browser import RESULTS, click_when_live, wait_until

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first run may install Chromium (minutes)


def figure(driver: WebDriver, row_key: str, name: str) -> int | None:
    """The number in the regency table's row ``row_key``, column ``name`` (None while absent; read it in
    ``wait_until``, which looks again when the live part was re-rendered under the read)."""
    from selenium.webdriver.common.by import By

    cells = driver.find_elements(
        By.CSS_SELECTOR, f'table[data-table="children"] tr[data-key="{row_key}"] td[data-figure="{name}"]')
    try:
        return int(cells[0].text) if cells else None
    except ValueError:
        return None


def kpi(driver: WebDriver, name: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'#kpis [data-figure="{name}"]').text


async def test_a_province_official_watches_its_regencies_live_and_drills_down(chromium, platform, browser):
    from selenium.webdriver.common.by import By

    driver = browser
    base = f"http://127.0.0.1:{platform.services['dashboard'].port}"
    RESULTS.mkdir(exist_ok=True)

    driver.get(f"{base}/dashboard?node=18")
    assert "/login" in driver.current_url  # no session: the login page, and back to the page afterwards
    driver.find_element(By.ID, "username").send_keys("lampung")
    driver.find_element(By.ID, "password").send_keys("lapor1708")
    driver.find_element(By.ID, "login-button").click()
    wait_until(lambda: driver.find_element(By.ID, "node-title").get_attribute("data-node") == "18",
               "the Lampung dashboard after the login")
    assert "Angka untuk Lampung" in driver.find_element(By.ID, "node-title").text
    # the live part may be re-rendered as soon as its stream connects, so even the first reads are waits
    wait_until(lambda: len(driver.find_elements(By.CSS_SELECTOR, 'table[data-table="children"] tbody tr')) == 15,
               "every regency and city of Lampung, also those without complaints")
    wait_until(lambda: figure(driver, "18.71", "total") == 0 and figure(driver, "18.01", "total") == 0,
               "no complaints yet in Bandar Lampung and Lampung Selatan")
    driver.execute_script("window.notReloaded = true;")

    await publish(platform.bootstrap_servers, SUBMISSIONS.name, [
        *[submission(location=Location(region_code="18.71")) for _ in range(3)],
        *[submission(location=Location(region_code="18.01")) for _ in range(2)],
    ])
    wait_until(lambda: figure(driver, "18.71", "total") == 3 and figure(driver, "18.01", "total") == 2
               and kpi(driver, "total") == "5", "the published complaints in the regencies' figures")
    assert driver.execute_script("return window.notReloaded === true;"), "the page was reloaded"
    # the live part is re-rendered while we read it, so every later read is a wait, never a bare find
    wait_until(lambda: figure(driver, "18.71", "open") == 3, "the three Bandar Lampung complaints open")
    wait_until(lambda: "ok" in driver.find_element(By.ID, "live-state").get_attribute("class"),
               "the live stream connected")
    wait_until(lambda: "Kota Bandar Lampung" in driver.find_element(By.ID, "table-agencies").text,
               "routing's agency in the ranking of agencies")
    driver.save_screenshot(str(RESULTS / "dashboard.png"))

    click_when_live(lambda: driver.find_element(By.CSS_SELECTOR, 'table[data-table="children"] tr[data-key="18.71"] a'),
                    "Bandar Lampung's link in the live table")
    wait_until(lambda: driver.find_element(By.ID, "node-title").get_attribute("data-node") == "18.71",
               "the Kota Bandar Lampung dashboard after following its link")
    assert driver.current_url.endswith("/dashboard?node=18.71")
    wait_until(lambda: kpi(driver, "total") == "3", "Bandar Lampung's own three complaints")
    wait_until(lambda: "Lampung" in driver.find_element(By.CSS_SELECTOR, "nav.crumbs").text,
               "the breadcrumb back to the province")
    driver.save_screenshot(str(RESULTS / "dashboard-18.71.png"))

    driver.get(f"{base}/dashboard?node=11")  # Aceh is outside Lampung's scope
    assert "403" in driver.find_element(By.TAG_NAME, "h1").text
