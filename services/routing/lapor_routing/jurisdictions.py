"""The jurisdiction tree: the nation (``ID``), 38 provinces and 514 regencies and cities, by
Kemendagri code, built from ``lapor_shared.regions`` (shared/lapor_shared/data/wilayah.csv).

Keyed on codes, never on names; names are used only to read a free-text location (``places``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from lapor_shared.events.values import NATIONAL_CODE, AgencyLevel
from lapor_shared.regions import all_regions


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    name: str
    level: AgencyLevel
    parent_code: str | None

    @property
    def government(self) -> str:
        """How the government is named after it: ``Provinsi Lampung``, ``Kota Bandar Lampung``."""
        if self.level is AgencyLevel.PROVINCE:
            return f"Provinsi {self.name}"
        return self.name


NATION = Jurisdiction(NATIONAL_CODE, "Indonesia", AgencyLevel.NATIONAL, None)


@cache
def all_jurisdictions() -> dict[str, Jurisdiction]:
    """The nation, then every province and regency/city, by code."""
    tree = {NATIONAL_CODE: NATION}
    for region in all_regions().values():
        level = AgencyLevel.PROVINCE if region.level == "province" else AgencyLevel.REGENCY
        tree[region.code] = Jurisdiction(region.code, region.name, level, region.parent_code or NATIONAL_CODE)
    return tree


def get(code: str | None) -> Jurisdiction | None:
    return all_jurisdictions().get(code) if code else None


def is_known(code: str | None) -> bool:
    return get(code) is not None


def lineage(code: str) -> list[str]:
    """``code`` and every jurisdiction above it, most specific first: ``18.71`` → 18.71, 18, ID."""
    chain = []
    node = get(code)
    while node is not None:
        chain.append(node.code)
        node = get(node.parent_code)
    return chain


def contains(outer: str, inner: str) -> bool:
    """Whether ``inner`` lies in ``outer`` (a jurisdiction contains itself)."""
    return outer in lineage(inner)


def province_of(code: str) -> str | None:
    """The province of a province or regency code; None for the nation or an unknown code."""
    node = get(code)
    if node is None or node.level is AgencyLevel.NATIONAL:
        return None
    return node.code if node.level is AgencyLevel.PROVINCE else node.parent_code


def level_of(code: str) -> AgencyLevel | None:
    node = get(code)
    return node.level if node else None


def common_province(codes: set[str]) -> str | None:
    """The one province all ``codes`` lie in, if there is one."""
    provinces = {province_of(code) for code in codes}
    if len(provinces) == 1:
        (province,) = provinces
        return province
    return None
