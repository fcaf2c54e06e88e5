"""Fixtures of the end-to-end tests beside the root ``tests/conftest.py``: the headless browser."""

from tests.e2e.browser import browser, chromium  # noqa: F401  (fixtures)
