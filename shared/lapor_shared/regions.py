"""Kemendagri region codes (38 provinces, 514 regencies and cities) as reference data.

Reference data, not a business rule: the jurisdiction topics are named after these codes, and routing
builds its registry on them. Keyed on the code, never on the name (names change between decrees).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, TypeAlias

from lapor_shared.events.values import NATIONAL_CODE

Level: TypeAlias = Literal["province", "regency", "city"]


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: Level
    parent_code: str | None

    @property
    def province_code(self) -> str:
        return self.parent_code or self.code


_LEVELS: dict[str, Level] = {"province": "province", "regency": "regency", "city": "city"}
"""The ``level`` column's words (a KeyError names any other)."""


@cache
def all_regions() -> dict[str, Region]:
    text = resources.files("lapor_shared.data").joinpath("wilayah.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        row["code"]: Region(row["code"], row["name"], _LEVELS[row["level"]], row["parent_code"] or None)
        for row in rows
    }


def parent_of(code: str) -> str | None:
    """The jurisdiction one level up: regency → province → nation → None."""
    if code == NATIONAL_CODE:
        return None
    region = all_regions().get(code)
    if region is None:
        raise KeyError(code)
    return region.parent_code or NATIONAL_CODE


def is_known(code: str) -> bool:
    return code == NATIONAL_CODE or code in all_regions()
