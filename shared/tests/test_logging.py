"""Logs never carry a reporter's phone number or e-mail address, whatever a developer passes in."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import structlog

from lapor_shared import logging as logging_module
from lapor_shared.logging import configure_logging, get_logger, log_scope, redact_text
from lapor_shared.reporter_proof import issue as issue_reporter_key
from lapor_shared.testing.factories import tracking_number

pytestmark = pytest.mark.unit

PHONES = [
    "+62 812-3456-7890",
    "+62-812-3456-7890",
    "+6281234567890",
    "6281234567890",
    "081234567890",
    "0812 3456 7890",
    "0812-3456-7890",
    "0857 1234 567",
]
EMAILS = ["siti.aminah@example.co.id", "budi+lapor@mail.example.com", "A_B-c@Sub.Domain.ID"]

@pytest.mark.parametrize("phone", PHONES)
def test_redact_text_masks_an_indonesian_mobile_number_in_its_usual_forms(phone):
    masked = redact_text(f"Pelapor minta dihubungi di {phone} sore ini")

    assert masked == "Pelapor minta dihubungi di [telepon-disamarkan] sore ini"


@pytest.mark.parametrize("email", EMAILS)
def test_redact_text_masks_an_email_address(email):
    assert redact_text(f"balas ke {email}, terima kasih") == "balas ke [email-disamarkan], terima kasih"


@pytest.mark.parametrize(
    "text",
    [
        str(uuid4()),
        "3f2a9c1e-0812-4345-8678-901234567890",  # digits that look like a phone number inside a UUID
        pytest.param(
            "08123456-7890-4abc-8def-0123456789ab"
        ),
        tracking_number(),
        "LPR-0812-34567",
        "18.71",
        "18.71.01.2001",
        "ID",
        "2025-03-03T08:12:34.567890+07:00",
        "lapor.commands.agency:2:812345678",
    ],
)
def test_redact_text_leaves_ids_tracking_numbers_region_codes_and_timestamps_alone(text):
    assert redact_text(f"complaint {text} routed") == f"complaint {text} routed"


def test_a_value_seen_clean_stays_clean_and_a_value_holding_a_contact_is_masked_every_time_and_never_kept():
    clean, contact = "complaint_routed.officer", "balas ke warga@example.org"

    assert [redact_text(clean) for _ in range(3)] == [clean] * 3
    assert [redact_text(contact) for _ in range(3)] == ["balas ke [email-disamarkan]"] * 3
    assert clean in logging_module._CLEAN and contact not in logging_module._CLEAN


@pytest.mark.parametrize("text", [str(uuid4()), uuid4().hex, str(uuid4()).upper()])
def test_ids_are_left_alone_without_a_search_and_an_upper_case_one_after_it(text):
    assert redact_text(text) == text


# --- the configured pipeline ------------------------------------------------------------------------------


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list[dict]]]:
    """Turns on ``configure_logging(fmt="json")`` (writing to the captured stderr) and returns a reader
    of the JSON lines written since; the previous logging set-up is restored afterwards.

    Configured inside the test itself: pytest hands a test another ``sys.stderr`` than its fixtures.
    """
    saved_config = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in ("faststream", "lapor")}
    configured = False

    def read() -> list[dict]:
        nonlocal configured
        if not configured:
            configure_logging("test-service", fmt="json", level="INFO")
            configured = True
            return []
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]

    try:
        yield read
    finally:
        structlog.configure(**saved_config)
        structlog.contextvars.clear_contextvars()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


def test_a_json_log_line_masks_contact_keys_and_contact_like_values(json_logs):
    json_logs()
    get_logger(component="intake").info(
        "reporter_contact_received",
        email="siti.aminah@example.co.id",
        phone="081234567890",
        note="minta dihubungi di 0812 3456 7890 atau siti.aminah@example.co.id",
        tracking_number="LPR-0812-34567",
    )

    [line] = json_logs()
    assert line["event"] == "reporter_contact_received"
    assert line["email"] == line["phone"] == "[disamarkan]"
    assert line["note"] == "minta dihubungi di [telepon-disamarkan] atau [email-disamarkan]"
    assert line["tracking_number"] == "LPR-0812-34567"
    assert line["service"] == "test-service" and line["level"] == "info"


def test_a_reporters_key_is_masked_by_its_name_and_by_its_shape(json_logs):
    json_logs()
    key = issue_reporter_key()
    get_logger(component="gateway").info("reporter_key_seen", reporter_key=key, kunci=key,
                                          note=f"kunci {key} untuk {tracking_number()}")

    [line] = json_logs()
    assert key not in json.dumps(line)
    assert line["reporter_key"] == line["kunci"] == "[disamarkan]"
    assert "[kunci-disamarkan]" in line["note"] and "LPR-" in line["note"]


def test_a_standard_library_log_line_is_masked_too(json_logs):
    json_logs()
    logging.getLogger("aiokafka.consumer").warning("gagal mengirim ke %s", "0812-3456-7890")

    [line] = json_logs()
    assert line["event"] == "gagal mengirim ke [telepon-disamarkan]"


def test_a_faststream_log_line_comes_out_as_masked_json_too(json_logs):
    json_logs()
    logging.getLogger("faststream.lapor").warning("gagal mengirim ke %s", "0812-3456-7890")

    [line] = json_logs()
    assert line["event"] == "gagal mengirim ke [telepon-disamarkan]"


def test_contact_details_nested_in_a_logged_structure_are_masked(json_logs):
    json_logs()
    get_logger(component="notify").info("sending", recipient={"channel": "sms", "to": "081234567890"})

    [line] = json_logs()
    assert "081234567890" not in json.dumps(line)


def test_an_exception_quoting_contact_details_is_masked_in_the_traceback(json_logs):
    json_logs()
    try:
        raise ValueError("duplicate key (email)=(siti.aminah@example.co.id)")
    except ValueError:
        get_logger(component="intake").exception("store_failed")

    [line] = json_logs()
    assert line["event"] == "store_failed"
    assert "siti.aminah@example.co.id" not in json.dumps(line)


def test_a_log_scope_binds_its_values_to_every_line_inside_and_none_after(json_logs):
    json_logs()
    log = get_logger(component="notify")
    with log_scope({"event_id": "e-1", "topic": "lapor.complaints"}):
        log.info("inside")
    log.info("after")

    inside, after = json_logs()
    assert inside["event_id"] == "e-1" and inside["topic"] == "lapor.complaints"
    assert "event_id" not in after and "topic" not in after


def test_an_inner_scope_adds_to_the_outer_and_the_lines_own_keys_win_over_both(json_logs):
    json_logs()
    log = get_logger(component="notify")
    with log_scope({"topic": "outer", "partition": 1}), log_scope({"topic": "inner", "offset": 7}):
        log.info("nested", offset=8)

    [line] = json_logs()
    assert (line["topic"], line["partition"], line["offset"]) == ("inner", 1, 8)


def test_a_scoped_value_is_masked_like_any_other(json_logs):
    json_logs()
    with log_scope({"note": "hubungi 0812-3456-7890", "email": "siti.aminah@example.co.id"}):
        get_logger(component="intake").info("scoped")

    [line] = json_logs()
    assert line["note"] == "hubungi [telepon-disamarkan]" and line["email"] == "[disamarkan]"


def test_a_value_json_cannot_hold_is_written_as_its_text_its_structlog_form_or_its_repr(json_logs):
    class Described:
        def __structlog__(self) -> str:
            return "described"

    json_logs()
    identifier, at = uuid4(), datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    get_logger(component="intake").info("odd_values", described=Described(), identifier=identifier, at=at,
                                        huge=2**70, odd=object)
    get_logger(component="intake").info("odd_values", identifier=identifier, at=at)  # orjson writes it all

    lines = json_logs()
    assert [(line["identifier"], line["at"]) for line in lines] == [(str(identifier), "2026-12-07T18:00:00+00:00")] * 2
    assert lines[0]["described"] == "described" and lines[0]["huge"] == 2**70
    assert lines[0]["odd"] == repr(object)
