"""Golden examples of every published event and command: written once, then pinned.

``uv run python -m tests.contract.golden`` writes an example for every catalogued (type, version) that
has none yet — existing files are never rewritten, since they stand for messages already on the wire.
"""

from __future__ import annotations

import json
import types
import typing
import zlib
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from uuid import UUID

from pydantic import AnyUrl, AwareDatetime, BaseModel

from lapor_shared.events import CATALOGUE, Envelope

GOLDEN_DIR = Path(__file__).parent / "golden"
_STAMP = datetime(2026, 3, 17, 9, 30, tzinfo=UTC)
_SAMPLE_STR = {
    "region_code": "18.71", "jurisdiction_code": "18.71", "agency_id": "umum.18.71", "to_agency_id": "umum.18",
    "email": "pelapor@example.id", "phone": "+6281234567890", "media_type": "image/jpeg",
    "sha256": "0" * 64, "channel_message_id": "web-0001", "stage": "follow_up",
    "reporter_key": "7K3Q-9XW2-HM4T-A8RZ", "reporter_phone_hash": "0" * 64,
}


def _example(annotation: Any, name: str) -> Any:
    origin = get_origin(annotation)
    if annotation is AwareDatetime:
        return _STAMP.isoformat()
    if origin is typing.Annotated:
        return _example(get_args(annotation)[0], name)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in get_args(annotation) if a is not type(None)]
        return _example(options[0], name)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict:
        return {}
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return example_payload(annotation)
        if issubclass(annotation, Enum):
            return next(iter(annotation)).value
        if issubclass(annotation, bool):
            return False
        if issubclass(annotation, int):
            return 1
        if issubclass(annotation, float):
            return 1.0
        if issubclass(annotation, UUID):
            return str(UUID(int=zlib.crc32(name.encode()) * 2**96 + 0x4000_8000_0000_0000))
        if issubclass(annotation, datetime):
            return _STAMP.isoformat()
        if issubclass(annotation, date):
            return _STAMP.date().isoformat()
        if issubclass(annotation, AnyUrl):
            return "https://lapor.go.id/lampiran/contoh.jpg"
        if issubclass(annotation, str):
            return _SAMPLE_STR.get(name, f"contoh {name}")
    if annotation is AnyUrl:
        return "https://lapor.go.id/lampiran/contoh.jpg"
    return f"contoh {name}"


def example_payload(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON-ready example of ``model`` with every field filled (optional ones too)."""
    return {name: _example(field.annotation, name) for name, field in model.model_fields.items()}


def example_envelope(event_type: str, version: int) -> dict[str, Any]:
    model = CATALOGUE[(event_type, version)]
    data = {
        "event_id": "6f1c2d3e-4a5b-4c6d-8e7f-901234567890",
        "event_type": event_type,
        "schema_version": version,
        "occurred_at": _STAMP.isoformat(),
        "complaint_id": "0b6f4c1e-2d3a-4b5c-9d8e-7f6a5b4c3d2e",
        "tracking_number": "LPR-7Y17-M5MCV",
        "jurisdiction_code": "18.71",
        "correlation_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "causation_id": None,
        "producer": "contoh",
        "payload": example_payload(model),
    }
    Envelope[model].model_validate(data)  # the example must be valid when written
    return data


def path_of(event_type: str, version: int) -> Path:
    return GOLDEN_DIR / f"{event_type}.v{version}.json"


def write_missing() -> list[Path]:
    GOLDEN_DIR.mkdir(exist_ok=True)
    written = []
    for event_type, version in sorted(CATALOGUE):
        path = path_of(event_type, version)
        if not path.exists():
            path.write_text(json.dumps(example_envelope(event_type, version), indent=2, ensure_ascii=False) + "\n")
            written.append(path)
    return written


if __name__ == "__main__":
    for p in write_missing():
        print("wrote", p)
