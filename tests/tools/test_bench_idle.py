"""``make bench-idle`` prices the quiet after a spell long enough for every hop to have taken its quiet pace."""

from __future__ import annotations

import pytest

from tools.bench_idle import quiet_enough_s

pytestmark = pytest.mark.unit


def test_the_quiet_before_a_priced_complaint_outlasts_the_services_own_quiet_setting(monkeypatch):
    monkeypatch.setenv("LAPOR_DELIVERY__QUIET_AFTER_S", "12")

    assert quiet_enough_s() == 17.0


def test_by_default_the_quiet_lasts_five_seconds_past_half_a_minute(monkeypatch):
    monkeypatch.delenv("LAPOR_DELIVERY__QUIET_AFTER_S", raising=False)

    assert quiet_enough_s() == 35.0
