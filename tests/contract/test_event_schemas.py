"""The published JSON Schemas (docs/events) match the code, and the catalogue follows its naming rules."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from lapor_shared.events import CATALOGUE
from tools.event_schemas import (
    AGENCY_STREAM_TEMPLATE,
    INDEX_FILE,
    JURISDICTION_TOPIC_TEMPLATE,
    SUPPLEMENTARY_DESCRIPTIONS,
    TRIAGE_STREAM_TEMPLATE,
    UNDOCUMENTED,
    compare,
    docstring_of,
    file_name,
    fixed_topics_table,
    main,
    render_all,
    write_all,
)

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = REPO_ROOT / "docs" / "events"

EVENT_PREFIXES = ("complaint", "submission", "notification", "reporter", "registry")
COMMAND_PREFIXES = ("agency", "reporter", "admin", "registry")
IRREGULAR_PAST = frozenset({"held", "set", "sent"})
NOT_PAST_TENSE_BUT_ACCEPTED = {
    # Published names that read as facts without a past-tense verb. Do not add to this list:
    # name new events in the past tense.
    "complaint.deadline_warning": "a notice that a deadline is near",
    "complaint.needs_triage": "a state: routing could not decide",
}


@cache
def rendered() -> dict[str, str]:
    return render_all()


def committed(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def is_past_tense(word: str) -> bool:
    return word.endswith("ed") or word in IRREGULAR_PAST


# --- drift ----------------------------------------------------------------------------------------


def test_the_repository_root_is_found_from_this_file():
    assert (REPO_ROOT / "shared" / "lapor_shared" / "events").is_dir()


def test_committed_event_schemas_match_the_code():
    problems = compare(EVENTS_DIR, render_all())

    assert not any(problems.values()), (
        f"docs/events is out of date with lapor_shared.events: {problems}. Run `make schemas` "
        "(uv run python -m tools.event_schemas docs/events) and commit the result."
    )


def test_rendering_is_deterministic_and_stably_formatted():
    first, second = render_all(), render_all()

    assert first == second
    for name, text in first.items():
        assert text.endswith("}\n") and not text.endswith("\n\n"), name
        assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text, name


def test_there_is_one_schema_file_per_catalogued_type_and_version_plus_the_index():
    expected = {file_name(t, v) for t, v in CATALOGUE} | {INDEX_FILE}

    assert set(rendered()) == expected
    assert "complaint.routed.v1.json" in expected


def test_check_mode_names_the_files_that_differ_are_missing_or_are_extra(tmp_path, capsys):
    rendered = render_all()
    write_all(tmp_path, rendered)
    assert main([str(tmp_path), "--check"]) == 0

    (tmp_path / "complaint.routed.v1.json").write_text("{}\n")
    (tmp_path / "complaint.accepted.v1.json").unlink()
    (tmp_path / "complaint.teleported.v1.json").write_text("{}\n")
    capsys.readouterr()

    assert main([str(tmp_path), "--check"]) == 1
    out = capsys.readouterr()
    assert "differ: " in out.out and "complaint.routed.v1.json" in out.out
    assert "missing: " in out.out and "complaint.accepted.v1.json" in out.out
    assert "extra: " in out.out and "complaint.teleported.v1.json" in out.out
    assert "make schemas" in out.err

    assert main([str(tmp_path)]) == 0
    assert compare(tmp_path, rendered) == {"differ": [], "missing": [], "extra": []}


def test_the_topic_table_in_the_architecture_guide_matches_the_catalogue():
    guide = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")

    assert fixed_topics_table() in guide, (
        "docs/architecture.md lists other topics than lapor_shared.topics.FIXED_TOPICS: replace its table "
        "with the output of `uv run python -m tools.event_schemas --topics-table`"
    )


# --- content --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("event_type", "version"), sorted(CATALOGUE))
def test_each_schema_describes_the_whole_envelope_with_its_type_and_version_pinned(event_type, version):
    schema = json.loads(rendered()[file_name(event_type, version)])

    assert schema["$id"].endswith(f"{event_type}:v{version}")
    assert schema["title"] == f"{event_type} v{version}"
    assert schema["properties"]["event_type"]["const"] == event_type
    assert schema["properties"]["schema_version"]["const"] == version
    assert {"event_id", "correlation_id", "occurred_at", "producer", "payload"} <= set(schema["properties"])
    assert "payload" in schema["required"]


@pytest.mark.parametrize(("event_type", "version"), sorted(CATALOGUE))
def test_every_payload_class_has_a_docstring_or_a_schema_description(event_type, version):
    model = CATALOGUE[(event_type, version)]
    description = committed(file_name(event_type, version)).get("description", "")

    assert docstring_of(model) or (description and not description.startswith(UNDOCUMENTED)), (
        f"{model.__name__} ({event_type}) is undocumented: give it a docstring"
    )


def test_supplementary_descriptions_exist_only_for_catalogued_classes_without_a_docstring():
    documented = {m.event_type for m in CATALOGUE.values() if docstring_of(m)}
    catalogued = {t for t, _ in CATALOGUE}

    assert set(SUPPLEMENTARY_DESCRIPTIONS) <= catalogued, "entries for types that no longer exist"
    assert not set(SUPPLEMENTARY_DESCRIPTIONS) & documented, "entries for classes that now have a docstring"


def test_the_index_lists_every_type_once_with_kind_schema_and_topics():
    index = json.loads(rendered()[INDEX_FILE])
    entries = {(e["type"], e["version"]): e for e in index["types"]}

    assert len(entries) == len(index["types"]) == len(CATALOGUE)
    for key, model in CATALOGUE.items():
        entry = entries[key]
        assert entry["kind"] == model.kind
        assert entry["schema"] == file_name(*key)
        assert entry["topics"], key


def test_the_index_sends_lifecycle_events_to_the_complaint_stream_and_the_jurisdiction_tree():
    topics = {e["type"]: e["topics"] for e in json.loads(rendered()[INDEX_FILE])["types"]}

    tree = [JURISDICTION_TOPIC_TEMPLATE, AGENCY_STREAM_TEMPLATE, TRIAGE_STREAM_TEMPLATE]
    assert topics["complaint.routed"] == ["lapor.complaints", *tree]
    assert topics["complaint.closed"] == ["lapor.complaints", *tree]
    assert topics["complaint.accepted"] == ["lapor.complaints"]
    assert topics["submission.accepted"] == ["lapor.submissions.results"]
    assert topics["reporter.contact_shared"] == ["lapor.restricted.contacts"]
    assert topics["agency.respond"] == ["lapor.commands.agency.<agency id>"]
    assert topics["admin.hold"] == topics["reporter.erase_contact"] == ["lapor.commands.admin.<scope>"]
    assert topics["reporter.reply"] == ["lapor.commands.reporter"]
    assert JURISDICTION_TOPIC_TEMPLATE == "lapor.jurisdiction.ID[.<prov>[.<regency>]]"
    assert AGENCY_STREAM_TEMPLATE == "lapor.jurisdiction.ID[.<prov>[.<regency>]].agency.<agency id>"
    assert TRIAGE_STREAM_TEMPLATE == "lapor.jurisdiction.ID[.<prov>].triage"


# --- naming rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted({t for t, _ in CATALOGUE}))
def test_every_type_name_is_lower_case_and_dotted(event_type):
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*", event_type)


EVENTS = sorted(t for (t, _), m in CATALOGUE.items() if m.kind == "event")
COMMANDS = sorted(t for (t, _), m in CATALOGUE.items() if m.kind == "command")


@pytest.mark.parametrize("event_type", EVENTS)
def test_events_are_past_tense_facts_about_complaints_submissions_notifications_or_reporters(event_type):
    prefix, action = event_type.split(".")

    assert prefix in EVENT_PREFIXES
    assert is_past_tense(action.split("_")[-1]) or event_type in NOT_PAST_TENSE_BUT_ACCEPTED


@pytest.mark.parametrize("command", COMMANDS)
def test_commands_are_imperatives_from_agencies_reporters_admins_or_the_registry(command):
    prefix, action = command.split(".")

    assert prefix in COMMAND_PREFIXES
    assert not is_past_tense(action.split("_")[0])


def test_every_type_under_a_command_prefix_is_a_command_except_reporter_and_registry_events():
    for (event_type, _), model in CATALOGUE.items():
        prefix = event_type.split(".")[0]
        if prefix in {"agency", "admin"}:
            assert model.kind == "command", event_type
        if prefix in {"complaint", "notification"}:
            assert model.kind == "event", event_type


def test_the_past_tense_exceptions_are_still_catalogued():
    assert set(NOT_PAST_TENSE_BUT_ACCEPTED) <= set(EVENTS)
