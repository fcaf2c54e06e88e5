"""The oversight dashboard in a real headless Chromium, on the whole platform (five processes).

A Lampung province official logs in, reads the figures of the province's regencies and cities, sees
them change while complaints are published (without reloading the page), follows a link down to Kota
Bandar Lampung, and the pages are saved as screenshots in ``results/`` (git-ignored).

The browser is Debian's ``chromium`` driven through Debian's ``chromedriver`` by Selenium; the set-up
installs both with apt-get when /usr/bin/chromium is missing (as root, as CI runs). Nothing is downloaded
by Selenium itself (the driver's path is given, so Selenium Manager never runs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lapor_shared.events.values import Location
from lapor_shared.testing.kafka_io import publish
from lapor_shared.topics import SUBMISSIONS
from tests.conftest import submission

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first run may install Chromium (minutes)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
RESULTS = Path(__file__).resolve().parents[2] / "results"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1366,2600", "--lang=id-ID",
)
WAIT_S = 40.0


def _loud_skip(reason: str) -> None:
    banner = "!" * 100
    message = f"\n{banner}\nBROWSER TEST SKIPPED: {reason}\n{banner}\n"
    print(message, file=sys.stderr, flush=True)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> tuple[Path, Path]:
    """Debian's chromium and chromedriver, installed with apt-get when missing (root only)."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return CHROMIUM, CHROMEDRIVER
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        _loud_skip("/usr/bin/chromium is missing and this is not root with apt-get; "
                   "install the Debian packages chromium and chromium-driver")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium",
                                             "chromium-driver"]):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=720)
        except (OSError, subprocess.TimeoutExpired) as exc:
            _loud_skip(f"{' '.join(command)} failed: {exc!r}")
        if done.returncode != 0:
            _loud_skip(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        _loud_skip("apt-get installed chromium and chromium-driver but /usr/bin/chromium or chromedriver is absent")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def browser(chromium: tuple[Path, Path]) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium
    profile = tempfile.mkdtemp(prefix="lapor-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()  # closes the live stream before the platform stops
        shutil.rmtree(profile, ignore_errors=True)


def figure(driver: WebDriver, row_key: str, name: str) -> int | None:
    """The number in the regency table's row ``row_key``, column ``name`` (None while absent)."""
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


def wait_until(condition, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # the live part is being replaced under our feet; look again
            pass
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout} s: {what}")


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
    regencies = driver.find_elements(By.CSS_SELECTOR, 'table[data-table="children"] tbody tr')
    assert len(regencies) == 15  # every regency and city of Lampung, also those without complaints
    before = {code: figure(driver, code, "total") for code in ("18.71", "18.01")}
    assert before == {"18.71": 0, "18.01": 0}
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

    driver.find_element(By.CSS_SELECTOR, 'table[data-table="children"] tr[data-key="18.71"] a').click()
    wait_until(lambda: driver.find_element(By.ID, "node-title").get_attribute("data-node") == "18.71",
               "the Kota Bandar Lampung dashboard after following its link")
    assert driver.current_url.endswith("/dashboard?node=18.71")
    wait_until(lambda: kpi(driver, "total") == "3", "Bandar Lampung's own three complaints")
    wait_until(lambda: "Lampung" in driver.find_element(By.CSS_SELECTOR, "nav.crumbs").text,
               "the breadcrumb back to the province")
    driver.save_screenshot(str(RESULTS / "dashboard-18.71.png"))

    driver.get(f"{base}/dashboard?node=11")  # Aceh is outside Lampung's scope
    assert "403" in driver.find_element(By.TAG_NAME, "h1").text
