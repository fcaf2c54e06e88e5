"""Headless Chromium for the browser tests (``chromium`` and ``browser`` fixtures, registered by
``tests/e2e/conftest.py``), and waiting on a page that changes under the test.

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

import pytest

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


def click_when_live(find, what: str, timeout: float = WAIT_S) -> None:
    """Click what ``find()`` returns, finding it again if a live re-render replaced it before the click."""

    def clicked() -> bool:
        find().click()
        return True

    wait_until(clicked, what, timeout)
