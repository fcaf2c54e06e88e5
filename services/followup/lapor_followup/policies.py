"""Deadline policies as versioned data: per report type and stage, in working days.

The 2018 numbers (PermenPANRB 62/2018, as published by LAPOR!) are the default; PermenPANRB 5/2025
replaced them but its numbers were not available, so a new version is a new entry, never an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_shared.events.values import ReportType


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    verification: int
    follow_up: int
    auto_close: int
    max_extension: int
    hard_cap_calendar_days: int


POLICIES: dict[str, dict[ReportType, Policy]] = {
    "permenpanrb-62-2018": {
        ReportType.PENGADUAN: Policy("permenpanrb-62-2018", 3, 5, 10, 55, 60),
        ReportType.ASPIRASI: Policy("permenpanrb-62-2018", 3, 5, 10, 55, 60),
        ReportType.PERMINTAAN_INFORMASI: Policy("permenpanrb-62-2018", 3, 5, 10, 55, 60),
    },
}
CURRENT_VERSION = "permenpanrb-62-2018"


def policy_for(report_type: ReportType, version: str = CURRENT_VERSION) -> Policy:
    return POLICIES[version][report_type]
