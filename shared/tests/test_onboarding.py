"""Who is onboarded to Kafka: one file, checked when read, re-read by a running process when it changes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from lapor_shared import onboarding
from lapor_shared.onboarding import Onboarding, OnboardingError

pytestmark = pytest.mark.unit


@pytest.fixture
def fresh() -> Iterator[None]:
    onboarding.forget()
    yield
    onboarding.forget()


def test_the_development_default_onboards_lampung_kota_bandar_lampung_and_the_national_office(fresh):
    default = Onboarding.load()

    assert default.agency_code("dinkes.18.71") == "18.71"
    assert default.agency_code("pu.18") == "18"
    assert default.agency_code("umum.ID") == "ID"
    assert default.agency_code("dinkes.18.01") is None
    assert default.admin_scopes == ("ID", "18", "18.71")


@pytest.mark.parametrize("text", [
    '[agencies]\n".pu" = "18"',
    '[agencies]\n"pu 18" = "18"',
    '[agencies]\n"pu.18" = "18.99"',
    '[admins]\nscopes = ["Lampung"]',
    '[agencies]\n"pu.18" = 18',
])
def test_an_invalid_agency_id_or_an_unknown_code_is_refused_when_the_file_is_read(text):
    with pytest.raises(OnboardingError):
        Onboarding.from_toml(text)


def test_the_file_named_by_the_setting_replaces_the_default_and_is_read_again_when_it_changes(
        fresh, tmp_path, monkeypatch):
    path = tmp_path / "onboarding.toml"
    path.write_text('[agencies]\n"dinkes.18.01" = "18.01"\n')
    monkeypatch.setenv(onboarding.ENV_VAR, str(path))
    monkeypatch.setattr(onboarding, "RECHECK_S", 0.0)

    assert onboarding.current().agencies == {"dinkes.18.01": "18.01"}

    path.write_text('[agencies]\n"dinkes.18.01" = "18.01"\n"pu.18.01" = "18.01"\n')
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))

    assert onboarding.current().agency_code("pu.18.01") == "18.01"


def test_a_running_process_looks_at_the_file_at_most_every_recheck_interval(fresh, tmp_path, monkeypatch):
    path = tmp_path / "onboarding.toml"
    path.write_text('[admins]\nscopes = ["18"]\n')
    monkeypatch.setenv(onboarding.ENV_VAR, str(path))
    first = onboarding.current()
    path.write_text('[admins]\nscopes = ["19"]\n')

    assert onboarding.current() is first
