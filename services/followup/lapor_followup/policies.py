"""Deadline policies as versioned data: per report type and stage, in working days.

The numbers live in a TOML data file (``data/deadline_policies.toml`` by default, or the file named by
``LAPOR_POLICY_FILE``), one ``[[version]]`` per decree. The 2018 numbers (PermenPANRB 62/2018, as
published by LAPOR!) are the first version; PermenPANRB 5/2025 replaced them but its numbers were not
available, so a new version is a new entry with a later ``effective_from``, never an edit.

A complaint takes the version in force when it was first routed and keeps it for its whole life; every
deadline event carries that version and the number of working days, so a running clock stays
explainable after a policy change. At start the versions are recorded in the table
``deadline_policies``; a version whose numbers differ from what was recorded stops the service.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from lapor_followup import reference_data
from lapor_followup.workcalendar import WIB
from lapor_shared.events.values import ReportType


@dataclass(frozen=True, slots=True)
class Policy:
    """The numbers one complaint runs under (working days unless the name says otherwise)."""

    version: str
    report_type: ReportType
    verification: int
    follow_up: int
    auto_close: int
    escalation: int
    warning_before: int
    extension_per_request: int
    extension_total: int
    reopen_window: int
    hard_cap_days: int

    def numbers(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k not in ("version", "report_type")}


NUMBER_FIELDS = tuple(f.name for f in fields(Policy) if f.name not in ("version", "report_type"))


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    id: str
    effective_from: date
    source: str
    by_type: dict[ReportType, Policy]

    def document(self) -> dict[str, Any]:
        return {
            "effective_from": self.effective_from.isoformat(),
            "report_types": {t.value: p.numbers() for t, p in sorted(self.by_type.items())},
        }

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.document(), sort_keys=True).encode()).hexdigest()


class PolicyError(ValueError):
    pass


class PolicyBook:
    """Every known version; which one is in force at a moment; the numbers for a complaint."""

    def __init__(self, versions: list[PolicyVersion]) -> None:
        if not versions:
            raise PolicyError("no deadline policy version defined")
        ids = [v.id for v in versions]
        if len(set(ids)) != len(ids):
            raise PolicyError(f"duplicate policy version ids: {ids}")
        self.versions = sorted(versions, key=lambda v: v.effective_from)
        self._by_id = {v.id: v for v in versions}

    @classmethod
    def load(cls, path: str | Path | None = None) -> PolicyBook:
        if path is None:
            text = resources.files("lapor_followup.data").joinpath("deadline_policies.toml").read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str) -> PolicyBook:
        data = tomllib.loads(text)
        versions = []
        for entry in data.get("version", []):
            defaults = entry.get("defaults", {})
            per_type = entry.get("report_types", {})
            by_type: dict[ReportType, Policy] = {}
            for report_type in ReportType:
                numbers = {**defaults, **per_type.get(report_type.value, {})}
                missing = [name for name in NUMBER_FIELDS if name not in numbers]
                if missing:
                    raise PolicyError(f"policy {entry.get('id')!r}/{report_type.value} lacks {missing}")
                if any(not isinstance(numbers[n], int) or numbers[n] < 0 for n in NUMBER_FIELDS):
                    raise PolicyError(f"policy {entry.get('id')!r}/{report_type.value}: numbers must be ints ≥ 0")
                by_type[report_type] = Policy(
                    version=entry["id"], report_type=report_type, **{n: numbers[n] for n in NUMBER_FIELDS}
                )
            versions.append(PolicyVersion(entry["id"], entry["effective_from"], entry.get("source", ""), by_type))
        return cls(versions)

    def version_at(self, moment: datetime) -> str:
        """The version in force at ``moment`` (by its date in UTC+7, the national reference zone)."""
        day = moment.astimezone(WIB).date()
        in_force = [v for v in self.versions if v.effective_from <= day]
        return (in_force[-1] if in_force else self.versions[0]).id

    def policy(self, version: str, report_type: ReportType | str) -> Policy:
        try:
            return self._by_id[version].by_type[ReportType(report_type)]
        except KeyError:
            raise PolicyError(f"unknown policy version {version!r}") from None

    def for_new_complaint(self, moment: datetime, report_type: ReportType | str) -> Policy:
        return self.policy(self.version_at(moment), report_type)


async def record_versions(conn: Any, book: PolicyBook) -> None:
    """Record every version in the database; refuse to run when a recorded version was edited since."""
    async with conn.transaction():
        recorded = await reference_data.recorded_policies(conn)
        for version in book.versions:
            fingerprint = version.fingerprint()
            if version.id in recorded and recorded[version.id] != fingerprint:
                raise PolicyError(
                    f"deadline policy {version.id!r} differs from the version recorded earlier: a published"
                    " version must never be edited; add a new version with a later effective_from instead"
                )
            await reference_data.record_policy(conn, version=version.id, fingerprint=fingerprint,
                                               document=version.document())
