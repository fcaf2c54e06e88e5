"""Published messages stay readable: every golden example decodes with today's code.

A breaking change to an event already on the wire (a renamed or removed field, a new required field,
a narrower type) makes its golden example fail here — such a change must be a new schema version.
"""

from __future__ import annotations

import json

import pytest

from lapor_shared.events import CATALOGUE, decode
from tests.contract.golden import GOLDEN_DIR, path_of

pytestmark = pytest.mark.unit

GOLDEN = sorted(GOLDEN_DIR.glob("*.json"))


def test_every_catalogued_event_and_command_has_a_pinned_golden_example():
    missing = [f"{t} v{v}" for (t, v) in sorted(CATALOGUE) if not path_of(t, v).exists()]
    assert not missing, f"add golden examples with `uv run python -m tests.contract.golden`: {missing}"


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_a_golden_example_still_decodes_with_todays_code(path):
    envelope = decode(path.read_bytes())

    assert (envelope.event_type, envelope.schema_version) == tuple(
        json.loads(path.read_text())[k] for k in ("event_type", "schema_version")
    )


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_a_consumer_ignores_fields_it_does_not_know_yet(path):
    data = json.loads(path.read_text())
    data["field_from_the_future"] = {"anything": 1}
    data["payload"]["another_new_field"] = "nilai baru"

    envelope = decode(json.dumps(data).encode())

    assert not hasattr(envelope.payload, "another_new_field")


def test_golden_examples_belong_to_the_catalogue():
    stray = [p.name for p in GOLDEN if (json.loads(p.read_text())["event_type"],
                                        json.loads(p.read_text())["schema_version"]) not in CATALOGUE]
    assert not stray, f"a golden example whose type left the catalogue (versions are never removed): {stray}"
