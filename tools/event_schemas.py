"""JSON Schemas of the event contract, generated from the payload classes, for clients in any language.

``python -m tools.event_schemas OUT_DIR`` (``make schemas``) writes, for every catalogued payload type and version,
``<event_type>.v<version>.json``: the JSON Schema of the whole envelope ``Envelope[PayloadClass]`` as a
message body on Kafka carries it. ``index.json`` lists every type with its version, kind (event or
command) and destination topics (from ``lapor_shared.topics.destinations``).

``--check`` writes nothing: it exits 1 and names the files that differ, are missing or are extra when
the committed files are out of date. The output is deterministic (sorted keys, two-space indentation,
trailing newline) so that a test can compare bytes.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from lapor_shared.events.envelope import Envelope, Payload, envelope_type
from lapor_shared.events.registry import CATALOGUE
from lapor_shared.events.values import NATIONAL_CODE
from lapor_shared.onboarding import Onboarding
from lapor_shared.topics import (
    AGENCY_SEGMENT,
    DAY_MS,
    FAMILIES,
    FIXED_TOPICS,
    JURISDICTION_PREFIX,
    TRIAGE_SEGMENT,
    destinations,
    family_of,
    sender_kind,
)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:lapor:events:"
INDEX_FILE = "index.json"
REGENERATE_COMMAND = "uv run python -m tools.event_schemas docs/events"
JURISDICTION_TOPIC_TEMPLATE = f"{JURISDICTION_PREFIX}.{NATIONAL_CODE}[.<prov>[.<regency>]]"
"""How ``index.json`` names the jurisdiction topic an event also goes to (it depends on the envelope's
``jurisdiction_code``: ``ID`` national, ``18`` Lampung, ``18.71`` Kota Bandar Lampung)."""
AGENCY_STREAM_TEMPLATE = f"{JURISDICTION_TOPIC_TEMPLATE}.{AGENCY_SEGMENT}.<agency id>"
"""The responsible agency's own stream (its ``agency_id``, when the agency is onboarded)."""
TRIAGE_STREAM_TEMPLATE = f"{JURISDICTION_PREFIX}.{NATIONAL_CODE}[.<prov>].{TRIAGE_SEGMENT}"
"""The triage desk's stream (no agency responsible; the nation or a province whose admins are onboarded)."""
FAMILY_TEMPLATES = {"lapor.commands.agency": "lapor.commands.agency.<agency id>",
                    "lapor.commands.admin": "lapor.commands.admin.<scope>"}
"""How ``index.json`` names a command's topic: its sender's own."""
_PROBE = Onboarding({"x.18.71": "18.71"}, (NATIONAL_CODE, "18"))

UNDOCUMENTED = "Undocumented: add a docstring to"
"""Start of the description of a payload class that has neither a docstring nor an entry below."""

SUPPLEMENTARY_DESCRIPTIONS: dict[str, str] = {
    # Descriptions of payload classes that have no docstring yet. A docstring takes precedence; when
    # one is written, delete the entry here (a test fails on entries that are no longer needed).
    "admin.close": "An admin asks to close a complaint, with a reason.",
    "admin.hold": "An admin asks to put a complaint on hold (tunda), with a reason.",
    "admin.reopen": "An admin asks to reopen a closed complaint, with a reason.",
    "agency.acknowledge": "The responsible agency acknowledges that it has received the complaint.",
    "agency.request_extension": (
        "The agency asks for more working days (1 to 60) to follow up, with a reason."
    ),
    "agency.resolve": "The agency declares the complaint resolved, optionally with a closing text.",
    "agency.respond": (
        "The agency's follow-up (tindak lanjut) for the reporter; ``internal_note`` is never shown "
        "to the reporter."
    ),
    "complaint.acknowledged": "The responsible agency acknowledged the complaint.",
    "complaint.archived": (
        "The complaint was archived (rejected at verification: unclear, or not about a public service), "
        "with the reason and who decided."
    ),
    "complaint.closed": (
        "The complaint was closed (selesai): resolved, auto-closed, closed by an admin, or archived."
    ),
    "complaint.deadline_breached": "A deadline passed: ``stage`` was due at ``due_at`` and is still owed.",
    "complaint.deadline_extended": (
        "A running deadline for ``stage`` was moved to ``due_at``, with the reason."
    ),
    "complaint.deadline_warning": "A deadline is near: ``stage`` is due at ``due_at`` and still owed.",
    "complaint.held": "The complaint was put on hold (tunda), with the reason and who decided.",
    "complaint.rated": "The reporter rated the handling (1 to 5), optionally with a comment.",
    "complaint.reopened": "A closed complaint was reopened, by whom and (optionally) why.",
    "complaint.reporter_replied": (
        "The reporter replied to the agency's follow-up; the reply goes back to the agency."
    ),
    "notification.failed": (
        "Notify gave up sending a message after ``attempts`` attempts; ``reason`` says why."
    ),
    "notification.sent": (
        "Notify sent a message, caused by ``source_event_id``, to a reporter, officer or supervisor."
    ),
    "registry.deactivate_agency": "Take an agency out of the agency registry at run time.",
    "reporter.rate": "The reporter rates the handling of their complaint (1 to 5).",
    "reporter.reopen": "The reporter asks to reopen their complaint.",
    "reporter.reply": "The reporter replies to the agency's follow-up.",
}


def file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def docstring_of(model: type[Payload]) -> str | None:
    """The class's own docstring (never one inherited from ``Payload`` or ``Command``)."""
    doc = vars(model).get("__doc__")
    return inspect.cleandoc(doc) if doc and doc.strip() else None


def description_of(model: type[Payload]) -> str:
    """The docstring, else the supplementary description, else a reminder to write one."""
    return (
        docstring_of(model)
        or SUPPLEMENTARY_DESCRIPTIONS.get(model.event_type)
        or f"{UNDOCUMENTED} {model.__module__}.{model.__qualname__}."
    )


def topics_of(model: type[Payload]) -> list[str]:
    """Where envelopes of ``model`` are published; a jurisdiction-, agency- or sender-dependent topic as its
    template."""
    sender = sender_kind(model.event_type)
    if sender is not None:
        return [FAMILY_TEMPLATES[family_of(sender).prefix]]

    def probe(jurisdiction_code: str | None, agency_id: str | None = None) -> list[str]:
        routed_by: dict[str, Any] = {  # all that decides a topic; the rest of the envelope is not needed
            "event_type": model.event_type, "schema_version": model.schema_version,
            "jurisdiction_code": jurisdiction_code, "agency_id": agency_id,
        }
        envelope: Envelope[Any] = Envelope.model_construct(**routed_by)
        return destinations(envelope, _PROBE)

    fixed = probe(None)
    varying = {t for code, agency in ((NATIONAL_CODE, None), ("18", None), ("18.71", "x.18.71"))
               for t in probe(code, agency) if t not in fixed}
    if not varying:
        return fixed
    if not all(t.startswith(f"{JURISDICTION_PREFIX}.") for t in varying):
        raise RuntimeError(f"{model.event_type}: unexpected jurisdiction-dependent topics {sorted(varying)}")
    templates = [JURISDICTION_TOPIC_TEMPLATE]
    if any(f".{AGENCY_SEGMENT}." in t for t in varying):
        templates.append(AGENCY_STREAM_TEMPLATE)
    if any(t.endswith(f".{TRIAGE_SEGMENT}") for t in varying):
        templates.append(TRIAGE_STREAM_TEMPLATE)
    return [*fixed, *templates]


def schema_of(model: type[Payload]) -> dict[str, Any]:
    """The JSON Schema of ``Envelope[model]``, with id, title, description and the type pinned."""
    schema = envelope_type(model).model_json_schema()
    event_type, version = model.event_type, model.schema_version
    kind = model.kind
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = f"{ID_PREFIX}{event_type}:v{version}"
    schema["title"] = f"{event_type} v{version}"
    schema["description"] = (
        f"{description_of(model)}\n\n"
        f"The {kind} {event_type} (schema version {version}, payload class {model.__name__}) in the "
        f"common LAPOR! envelope. Published to: {', '.join(topics_of(model))}."
    )
    properties = schema["properties"]
    properties["event_type"]["const"] = event_type
    properties["schema_version"]["const"] = version
    return schema


def index_of() -> dict[str, Any]:
    entries = []
    for (event_type, version), model in sorted(CATALOGUE.items()):
        entries.append({
            "type": event_type,
            "version": version,
            "kind": model.kind,
            "topics": topics_of(model),
            "schema": file_name(event_type, version),
            "payload_class": f"{model.__module__}.{model.__qualname__}",
            "summary": description_of(model).split("\n\n", 1)[0].replace("\n", " "),
        })
    return {
        "$comment": f"Generated from lapor_shared.events by `{REGENERATE_COMMAND}`. Do not edit.",
        "jurisdiction_topic": (
            f"{JURISDICTION_TOPIC_TEMPLATE}: the shared topic of the envelope's jurisdiction_code "
            "(ID national, 18 a province, 18.71 a regency or city); a rahasia complaint's event there is "
            "without its content (lapor_shared.views)"
        ),
        "agency_stream": (
            f"{AGENCY_STREAM_TEMPLATE}: the stream of the envelope's agency_id (the agency responsible now), "
            "when it is onboarded; the event whole"
        ),
        "triage_stream": (
            f"{TRIAGE_STREAM_TEMPLATE}: with no agency responsible, the stream of the triage desk at the "
            "envelope's jurisdiction_code, when its admins are onboarded; the event whole"
        ),
        "command_topics": (
            "lapor.commands.agency.<agency id> / lapor.commands.admin.<scope>: the sender's own topic, which only "
            "its Kafka user may write; a payload naming another agency or scope is refused"
        ),
        "types": entries,
    }


def dumps(document: Any) -> str:
    """The one stable formatting of every generated file."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_all() -> dict[str, str]:
    """File name → content of every generated file (the schemas and ``index.json``)."""
    files = {
        file_name(event_type, version): dumps(schema_of(model))
        for (event_type, version), model in sorted(CATALOGUE.items())
    }
    files[INDEX_FILE] = dumps(index_of())
    return files


def compare(out_dir: Path, rendered: dict[str, str]) -> dict[str, list[str]]:
    """Which generated files in ``out_dir`` differ from ``rendered``, are missing, or are extra."""
    present = {p.name for p in out_dir.glob("*.json")} if out_dir.is_dir() else set()
    differ = [
        name for name in sorted(rendered)
        if name in present and (out_dir / name).read_text(encoding="utf-8") != rendered[name]
    ]
    return {
        "differ": differ,
        "missing": sorted(set(rendered) - present),
        "extra": sorted(present - set(rendered)),
    }


def write_all(out_dir: Path, rendered: dict[str, str]) -> list[str]:
    """Write ``rendered`` into ``out_dir`` and delete stale ``*.json`` files; return the names changed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = compare(out_dir, rendered)
    for name in [*problems["differ"], *problems["missing"]]:
        with (out_dir / name).open("w", encoding="utf-8", newline="\n") as f:
            f.write(rendered[name])
    for name in problems["extra"]:
        (out_dir / name).unlink()
    return sorted(problems["differ"] + problems["missing"] + problems["extra"])


def fixed_topics_table() -> str:
    """The Markdown table of ``lapor_shared.topics.FIXED_TOPICS`` and of the command topic families (one
    topic per onboarded agency or admin scope) that docs/architecture.md embeds."""

    def retention(ms: int) -> str:
        return f"{ms // DAY_MS} days" if ms % DAY_MS == 0 else f"{ms} ms"

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = [
        "| topic | partitions | key | retention | audience | writers | readers | carries |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows += [
        f"| `{t.name}` | {t.partitions} | {cell(t.key)} | {retention(t.retention_ms)} | {t.audience} "
        f"| {cell(', '.join(t.writers))} | {cell(', '.join(t.readers))} | {cell(t.description)} |"
        for t in FIXED_TOPICS
    ]
    rows += [
        f"| `{FAMILY_TEMPLATES[f.prefix]}` | {f.partitions} | {cell(f.key)} | {retention(f.retention_ms)} "
        f"| {f.audience} | {cell(', '.join(f.writers))} | {cell(', '.join(f.readers))} | {cell(f.description)} |"
        for f in FAMILIES
    ]
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.event_schemas",
        description="Write the JSON Schemas of every catalogued event and command, and index.json.",
    )
    parser.add_argument("out_dir", type=Path, nargs="?", help="where the files go (docs/events)")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when the files there are out of date"
    )
    parser.add_argument(
        "--topics-table", action="store_true",
        help="print the Markdown table of the fixed topics (for docs/architecture.md) and exit",
    )
    args = parser.parse_args(argv)
    if args.topics_table:
        print(fixed_topics_table(), end="")
        return 0
    if args.out_dir is None:
        parser.error("OUT_DIR is required")
    rendered = render_all()
    if args.check:
        problems = compare(args.out_dir, rendered)
        if not any(problems.values()):
            print(f"{args.out_dir}: {len(rendered)} files up to date")
            return 0
        for what, names in problems.items():
            for name in names:
                print(f"{what}: {args.out_dir / name}")
        print(f"event schemas are out of date: run `make schemas` ({REGENERATE_COMMAND})", file=sys.stderr)
        return 1
    changed = write_all(args.out_dir, rendered)
    print(f"{args.out_dir}: {len(rendered)} files, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
