"""One rahasia rule everywhere: every row of the read-surface table in docs/privacy.md ("Every read surface")
has tests, and the tests it names exist (issue 14).

``ROWS`` maps each row id to the tests that prove the row, as pytest node ids. A test written for a row carries
its id in its name (``test_p14_…``, in a service's ``test_rahasia_surfaces.py`` beside the fixtures it needs);
a row an older test already proves names that test. This module fails when the table has a row without tests,
names a row the table does not have, when a named test is gone or renamed, or when a ``test_pNN_`` test is not
listed under its row: the table and the tests cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PRIVACY = ROOT / "docs" / "privacy.md"
TABLE_HEADING = "## Every read surface: one rahasia rule"

GATEWAY, FOLLOWUP, NOTIFY = "services/gateway/tests", "services/followup/tests", "services/notify/tests"
DASHBOARD, ROUTING, INTAKE = "services/dashboard/tests", "services/routing/tests", "services/intake/tests"
CONSOLE = "services/console/tests"
ACCESS, KAFKA = "shared/tests/test_access.py", "tests/deploy/test_kafka_access.py"
ANONIM_EVERYWHERE = "tests/e2e/test_intake_privacy.py::test_an_anonim_reporters_identity_leaks_into_no_topic_log_or_response"

ROWS: dict[str, list[str]] = {
    "P01": [f"{GATEWAY}/test_http_api.py::test_the_public_status_of_a_rahasia_complaint_is_the_answer_an_unknown_number_gets",
            f"{GATEWAY}/test_http_api.py::test_no_answer_nor_log_line_ever_contains_the_reporter_of_an_anonim_complaint"],
    "P02": [f"{GATEWAY}/test_rahasia_surfaces.py::test_p02_the_web_status_page_of_a_rahasia_complaint_is_the_page_an_unknown_number_gets"],
    "P03": [f"{GATEWAY}/test_reporter_key.py::test_the_api_shows_the_key_once_and_keeps_only_its_verifier",
            f"{GATEWAY}/test_reporter_key.py::test_the_web_forms_page_shows_the_key_once_and_opens_the_tracking_page_without_a_link",
            "tests/reporter/test_reporter_api.py::test_the_key_is_shown_once_and_travels_nowhere_an_agency_or_an_operator_reads"],
    "P04": [f"{GATEWAY}/test_open311.py::test_the_listing_never_shows_a_rahasia_complaint_nor_any_reporter"],
    "P05": [f"{GATEWAY}/test_open311.py::test_the_listing_never_shows_a_rahasia_complaint_nor_any_reporter",
            f"{GATEWAY}/test_open311.py::test_a_request_accepted_moments_ago_shows_once_the_complaint_stream_says_it_is_not_rahasia"],
    "P06": [f"{GATEWAY}/test_open311.py::test_a_civic_app_gets_the_reporters_key_once_in_the_answer_or_the_token_poll",
            f"{GATEWAY}/test_open311.py::test_when_intake_answers_late_the_token_poll_carries_the_key_once"],
    "P07": ["tests/reporter/test_tracking_page.py::test_a_wrong_key_and_an_unknown_number_get_the_same_page_and_publish_nothing",
            "tests/reporter/test_tracking_page.py::test_the_reporter_opens_the_page_with_number_and_key_reads_the_response_and_replies",
            "tests/reporter/test_reporter_api.py::test_the_reporter_reads_replies_rates_and_reopens_with_the_key_and_followup_carries_it_out",
            "tests/reporter/test_reporter_api.py::test_a_command_with_a_wrong_or_missing_key_or_another_complaints_key_publishes_nothing"],
    "P08": ["tests/reporter/test_sms_commands.py::test_cek_of_a_rahasia_complaint_answers_its_reporter_and_tells_anyone_else_it_is_unknown"],
    "P09": [f"{GATEWAY}/test_sms.py::test_a_bad_or_missing_secret_is_401_and_nothing_is_published",
            f"{GATEWAY}/test_sms.py::test_a_reply_sent_by_the_gateway_leaves_the_outbox_and_forgets_the_number",
            f"{GATEWAY}/test_reporter_key.py::test_an_sms_complaints_reply_carries_the_key_until_the_provider_has_sent_it"],
    "P10": [f"{FOLLOWUP}/test_read_models.py::test_a_confidential_complaint_answers_the_public_as_an_unknown_number_does",
            f"{FOLLOWUP}/test_read_models.py::test_the_reporter_reads_the_history_in_bahasa_indonesia_without_notes_or_identities"],
    "P11": [f"{FOLLOWUP}/test_rahasia_surfaces.py::test_p11_the_work_list_shows_a_rahasia_complaint_to_its_agency_and_nothing_of_it_to_a_sibling",
            f"{FOLLOWUP}/test_read_models.py::test_an_agency_reads_only_its_own_work_list_ordered_by_deadline"],
    "P12": [f"{FOLLOWUP}/test_rahasia_surfaces.py::test_p12_statistics_at_every_level_count_a_rahasia_complaint_and_show_none_of_it",
            f"{FOLLOWUP}/test_read_models.py::test_statistics_of_a_province_are_the_sum_of_its_regencies"],
    "P13": [f"{NOTIFY}/test_http.py::test_the_inbox_shows_no_contact_key_or_free_text_reason_and_a_rahasia_one_answers_as_unknown"],
    "P14": [f"{DASHBOARD}/test_rahasia_surfaces.py::test_p14_pages_show_the_title_to_the_responsible_level_and_above_and_refuse_another_regency",
            f"{DASHBOARD}/test_projection.py::test_a_confidential_title_is_shown_to_the_responsible_level_and_above_only",
            f"{DASHBOARD}/test_http.py::test_a_regency_user_is_refused_another_regency_and_its_province_everywhere",
            f"{DASHBOARD}/test_http.py::test_without_a_login_pages_lead_to_the_login_and_data_answers_401"],
    "P15": [f"{DASHBOARD}/test_rahasia_surfaces.py::test_p15_csv_exports_carry_the_title_within_scope_and_never_the_answer_or_the_reporter",
            f"{DASHBOARD}/test_http.py::test_the_history_page_lists_the_lifecycle_of_a_complaint"],
    "P16": [f"{DASHBOARD}/test_rahasia_surfaces.py::test_p16_the_live_stream_of_a_regency_carries_nothing_of_another_regencys_rahasia_complaint"],
    "P17": [f"{ROUTING}/test_triage_access.py::test_without_a_good_token_the_triage_queue_is_401_with_the_reason_in_both_languages",
            f"{ROUTING}/test_triage_access.py::test_an_admin_sees_only_the_triage_items_inside_its_scope",
            f"{ROUTING}/test_triage_access.py::test_a_jurisdiction_outside_the_tokens_scope_is_403_whatever_the_request_claims",
            f"{ROUTING}/test_http.py::test_the_endpoints_list_categories_agencies_and_the_triage_queue_without_content"],
    "P18": [f"{ROUTING}/test_http.py::test_the_endpoints_list_categories_agencies_and_the_triage_queue_without_content"],
    "P19": [f"{NOTIFY}/test_rahasia_surfaces.py::test_p19_officers_get_no_rahasia_content_and_a_sibling_agency_gets_nothing",
            f"{NOTIFY}/test_privacy.py::test_anonymous_reporter_identity_never_reaches_officers_events_or_logs"],
    "P20": [f"{KAFKA}::test_only_intake_reads_the_submissions_with_their_contacts_in_clear"],
    "P21": [f"{INTAKE}/test_reporter_key.py::test_the_channel_hears_the_number_and_the_key_and_nothing_of_the_complaint",
            f"{KAFKA}::test_a_channel_adapter_publishes_submissions_and_reporter_commands_and_reads_only_the_answers"],
    "P22": [f"{KAFKA}::test_no_outside_party_reads_the_platforms_own_complaint_stream",
            f"{INTAKE}/test_privacy.py::test_a_complaint_without_contact_has_no_reporter_ref_and_shares_nothing",
            ANONIM_EVERYWHERE],
    "P23": ["shared/tests/test_views.py::test_a_rahasia_complaints_event_on_the_shared_topic_carries_none_of_its_content",
            "tests/e2e/test_agency_isolation.py::test_a_sibling_agency_reads_no_rahasia_content_from_any_topic_it_is_granted",
            f"{FOLLOWUP}/test_senders.py::test_a_rahasia_complaints_answer_is_whole_on_its_agencys_stream_and_withheld_on_the_shared_topic",
            f"{ROUTING}/test_privacy.py::test_an_anonymous_reporter_never_reaches_any_jurisdiction_topic"],
    "P24": [f"{ACCESS}::test_a_sibling_agency_reaches_neither_the_stream_nor_the_command_topic_of_another",
            f"{ACCESS}::test_a_monitoring_level_reads_its_whole_subtree_and_writes_nothing",
            f"{KAFKA}::test_an_agency_reads_no_sibling_stream_and_writes_no_sibling_command_topic",
            f"{ROUTING}/test_privacy.py::test_a_rahasia_complaints_content_is_only_on_its_agencys_and_its_triage_desks_streams"],
    "P25": [f"{FOLLOWUP}/test_senders.py::test_a_complaint_waiting_for_triage_is_on_the_triage_desks_stream_not_an_agencys",
            f"{ACCESS}::test_an_admin_writes_its_scopes_command_topic_and_reads_its_subtree_with_the_triage_stream"],
    "P26": [f"{KAFKA}::test_only_notify_can_read_the_restricted_contacts_and_only_intake_and_the_replay_write_them",
            f"{INTAKE}/test_privacy.py::test_contacts_never_leave_intake_except_encrypted_for_notify"],
    "P27": ["tests/e2e/test_agency_isolation.py::test_agency_a_cannot_act_on_agency_bs_complaint_by_naming_b_and_bs_own_topic_works",
            f"{FOLLOWUP}/test_senders.py::test_agency_a_cannot_act_on_agency_bs_complaint_even_by_naming_b",
            f"{KAFKA}::test_the_admins_of_each_onboarded_scope_write_its_command_topic_and_read_its_subtree",
            "tests/reporter/test_reporter_api.py::test_a_command_with_a_wrong_or_missing_key_or_another_complaints_key_publishes_nothing"],
    "P28": [f"{NOTIFY}/test_rahasia_surfaces.py::test_p28_the_notification_events_carry_ids_channel_template_and_codes_never_content",
            f"{KAFKA}::test_the_operator_inspects_everything_reads_dead_letters_and_notifications_and_writes_nothing"],
    "P29": ["shared/tests/test_consumer_hostile.py::test_a_dead_letter_masks_names_nik_and_addresses_anywhere_but_keeps_agency_names",
            "tests/reporter/test_reporter_api.py::test_the_key_is_shown_once_and_travels_nowhere_an_agency_or_an_operator_reads"],
    "P30": [f"{GATEWAY}/call_centre/test_importer.py::test_each_accepted_rows_key_is_in_the_owners_results_file_and_never_on_the_terminal"],
    "P31": [f"{CONSOLE}/test_worklist.py::test_another_agencys_officer_never_sees_the_complaint_and_its_page_answers_404_like_an_unknown_one",
            f"{CONSOLE}/test_worklist.py::test_the_complaint_page_shows_rahasia_content_location_attachments_and_the_reporters_reply",
            f"{CONSOLE}/test_worklist.py::test_an_anonim_complaint_shows_no_identity_anywhere_in_the_console",
            f"{CONSOLE}/test_actions.py::test_an_officer_of_another_agency_cannot_act_on_the_complaint",
            f"{CONSOLE}/test_accounts_and_live.py::test_the_live_stream_brings_a_new_complaint_and_a_reporters_reply_without_a_reload"],
    "P32": [f"{GATEWAY}/test_evidence_links.py::test_the_public_gets_a_working_signed_link_to_a_non_rahasia_complaints_photo",
            f"{GATEWAY}/test_evidence_links.py::test_a_rahasia_complaints_photo_gets_no_public_link_but_the_reporter_sees_it",
            f"{GATEWAY}/test_evidence_links.py::test_a_link_is_refused_once_expired_or_changed",
            f"{GATEWAY}/test_evidence_links.py::test_the_tracking_page_shows_the_agencys_response_files_with_working_links",
            f"{CONSOLE}/test_evidence.py::test_another_agencys_officer_gets_no_link_and_stores_nothing",
            f"{CONSOLE}/test_evidence.py::test_the_complaints_photo_and_the_reporters_pdf_have_working_links_signed_for_the_agency",
            f"{DASHBOARD}/test_evidence_page.py::test_the_responsible_jurisdiction_sees_the_files_as_links_signed_for_its_scope",
            "shared/tests/evidence/test_sanitise.py::test_a_jpeg_loses_its_exif_gps_serial_xmp_and_comment_and_keeps_its_pixels",
            f"{GATEWAY}/test_evidence_uploads.py::test_a_file_name_with_separators_and_control_characters_is_never_used"],
}


def table_ids() -> list[str]:
    """The row ids of the read-surface table, in order."""
    text = PRIVACY.read_text(encoding="utf-8")
    assert TABLE_HEADING in text, f"docs/privacy.md has no section {TABLE_HEADING!r}"
    section = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (P\d{2}) \|", section, flags=re.MULTILINE)


@cache
def defined_tests(path: str) -> frozenset[str]:
    """``name`` and ``Class::name`` of every test function a test file defines (read, not imported)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
            found.add(node.name)
        elif isinstance(node, ast.ClassDef):
            found.update(f"{node.name}::{item.name}" for item in node.body
                         if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test_"))
    return frozenset(found)


def row_tests_in_tree() -> dict[str, str]:
    """Every ``test_pNN_…`` function in the repository's tests, as node ids."""
    found = {}
    for folder in ("shared/tests", "services", "tests"):
        for path in sorted((ROOT / folder).rglob("test_*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if ".venv" in relative:
                continue
            for name in defined_tests(relative):
                if re.match(r"test_p\d{2}_", name.split("::")[-1]):
                    found[f"{relative}::{name}"] = name.split("::")[-1][5:8].upper()
    return found


def test_the_table_lists_every_read_surface_once_with_ids_in_order():
    ids = table_ids()

    assert len(ids) >= 30
    assert ids == sorted(set(ids)), "row ids must be unique and in order"


def test_every_row_of_the_read_surface_table_has_tests_and_every_mapped_row_is_in_the_table():
    ids = table_ids()

    assert [i for i in ids if not ROWS.get(i)] == [], "rows of docs/privacy.md without a test"
    assert [i for i in ROWS if i not in ids] == [], "ROWS names a row docs/privacy.md does not have"


@pytest.mark.parametrize("row", sorted(ROWS))
def test_every_test_a_row_names_exists(row):
    for node_id in ROWS[row]:
        path, _, name = node_id.partition("::")
        assert (ROOT / path).is_file(), f"{row}: {path} is gone"
        assert name.split("[")[0] in defined_tests(path), f"{row}: {node_id} is gone or renamed"


def test_a_test_written_for_a_row_is_listed_under_that_row():
    written = row_tests_in_tree()

    assert len(written) >= 8  # the tests written for rows so far: P02 P11 P12 P14 P15 P16 P19 P28
    for node_id, row in written.items():
        assert node_id in ROWS.get(row, []), f"{node_id} carries {row} but ROWS does not list it there"
