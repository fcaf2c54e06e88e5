"""The catalogue: every payload type by (event type, schema version)."""

from __future__ import annotations

from lapor_shared.events import commands, intake, lifecycle, notifications
from lapor_shared.events.envelope import Payload


def _collect() -> dict[tuple[str, int], type[Payload]]:
    found: dict[tuple[str, int], type[Payload]] = {}
    for module in (intake, lifecycle, notifications, commands):
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Payload) and "event_type" in vars(obj):
                key = (obj.event_type, obj.schema_version)
                if key in found and found[key] is not obj:
                    raise RuntimeError(f"two payload classes claim {key}")
                found[key] = obj
    return found


CATALOGUE: dict[tuple[str, int], type[Payload]] = _collect()


def payload_type(event_type: str, schema_version: int) -> type[Payload] | None:
    return CATALOGUE.get((event_type, schema_version))
