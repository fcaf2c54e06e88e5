"""Deadline policies as versioned data, and the state machine as a table."""

from __future__ import annotations

from datetime import datetime

import pytest

from lapor_followup import service
from lapor_followup.policies import PolicyBook, PolicyError
from lapor_followup.states import LABELS, OWED, TRANSITIONS, Status, check
from lapor_followup.workcalendar import WIB
from lapor_shared.events.registry import CATALOGUE
from lapor_shared.events.values import ReportType

pytestmark = pytest.mark.unit

TWO_VERSIONS = """
[[version]]
id = "a"
effective_from = 2018-01-01
[version.defaults]
verification = 3
follow_up = 5
auto_close = 10
escalation = 5
warning_before = 1
extension_per_request = 14
extension_total = 28
reopen_window = 10
hard_cap_days = 60
[version.report_types.permintaan_informasi]
follow_up = 10

[[version]]
id = "b"
effective_from = 2026-01-01
[version.defaults]
verification = 2
follow_up = 4
auto_close = 10
escalation = 3
warning_before = 1
extension_per_request = 7
extension_total = 14
reopen_window = 5
hard_cap_days = 60
"""


def test_the_packaged_policy_has_the_published_numbers_for_every_report_type():
    book = PolicyBook.load()
    for report_type in ReportType:
        policy = book.for_new_complaint(datetime(2025, 7, 7, tzinfo=WIB), report_type)
        assert policy.version == "permenpanrb-62-2018"
        assert (policy.verification, policy.follow_up, policy.auto_close, policy.hard_cap_days) == (3, 5, 10, 60)


def test_a_version_is_in_force_from_its_date_in_wib_and_report_types_can_differ():
    book = PolicyBook.parse(TWO_VERSIONS)
    assert book.version_at(datetime(2025, 12, 31, 23, 59, tzinfo=WIB)) == "a"
    assert book.version_at(datetime(2026, 1, 1, 0, 0, tzinfo=WIB)) == "b"
    assert book.policy("a", ReportType.PERMINTAAN_INFORMASI).follow_up == 10
    assert book.policy("a", ReportType.PENGADUAN).follow_up == 5
    assert book.policy("b", "permintaan_informasi").follow_up == 4
    assert book.versions[0].fingerprint() != PolicyBook.parse(TWO_VERSIONS.replace("= 10\n\n", "= 9\n\n")).versions[
        0].fingerprint()


def test_a_policy_without_all_its_numbers_is_refused():
    with pytest.raises(PolicyError, match="lacks"):
        PolicyBook.parse(TWO_VERSIONS.replace("hard_cap_days = 60\n[version.report_types", "[version.report_types"))
    with pytest.raises(PolicyError, match="unknown policy version"):
        PolicyBook.parse(TWO_VERSIONS).policy("c", ReportType.ASPIRASI)


def test_every_command_has_a_row_in_the_state_machine_and_a_use_case():
    commands = {key[0] for key, cls in CATALOGUE.items() if cls.kind == "command"
                and key[0].split(".")[0] in ("agency", "reporter", "admin")}
    handled = {cls.event_type for cls in service.COMMANDS}
    assert set(TRANSITIONS) == handled
    assert handled <= commands
    assert handled == {
        "agency.acknowledge", "agency.respond", "agency.request_extension", "agency.resolve",
        "reporter.reply", "reporter.rate", "reporter.reopen", "admin.hold", "admin.close", "admin.reopen",
    }
    # forwarding belongs to routing, triage decisions too: followup follows their events instead
    assert {"agency.forward", "admin.decide_triage"} <= commands - handled
    assert set(LABELS) == set(Status)


def test_the_table_allows_and_refuses_with_a_reason_in_both_languages():
    assert check("agency.respond", Status.ACKNOWLEDGED) is None
    assert check("reporter.reply", Status.RESPONDED) is None
    refused = check("reporter.reply", Status.CLOSED)
    assert refused is not None and refused.code == "illegal_transition"
    assert "Selesai" in refused.message_id and "closed" in refused.message_en
    for status in Status:
        assert (check("agency.request_extension", status) is None) == (status in OWED)
    assert check("admin.close", Status.CLOSED) is not None
    assert check("reporter.rate", Status.CLOSED) is None
