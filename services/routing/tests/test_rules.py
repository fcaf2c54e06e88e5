"""Routing rules, table-driven over categories, levels, fall-backs, hints and free-text locations."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest

from lapor_routing.registry import Agency, Directory
from lapor_routing.rules import decide
from lapor_routing.seed import seed_agencies
from lapor_shared.events.values import Location

pytestmark = pytest.mark.unit


@cache
def seeded() -> Directory:
    return Directory(seed_agencies())


def agency(directory: Directory, agency_id: str) -> Agency:
    found = directory.get(agency_id)
    assert found is not None, f"{agency_id} is not in the seed registry"
    return found


def without(*agency_ids: str) -> Directory:
    """The seed registry with some agencies deactivated."""
    directory = seeded()
    return directory.with_agencies(*(agency(directory, i).evolve(active=False) for i in agency_ids))


@dataclass(frozen=True)
class Case:
    name: str
    code: str | None = None
    text: str | None = None
    category: str | None = None
    hint: str | None = None
    inactive: tuple[str, ...] = ()
    agency: str | None = None
    reason: str = ""
    triage: str = "ID"
    field: str | None = None


CASES = [
    # a regency's department for its category, by code
    Case("city health office", "18.71", category="kesehatan", agency="dinkes.18.71", reason="category_department"),
    Case("city roads office by alias", "18.71", category="jalan", agency="pu.18.71", reason="category_department"),
    Case("city civil registry by alias", "18.71", category="KTP", agency="dukcapil.18.71",
         reason="category_department"),
    Case("city social office", "18.71", category="bansos", agency="dinsos.18.71", reason="category_department"),
    Case("city environment office", "18.71", category="sampah", agency="dlh.18.71", reason="category_department"),
    Case("city transport office", "18.71", category="perhubungan", agency="dishub.18.71",
         reason="category_department"),
    # a regency without departments: its general office
    Case("regency without health office", "18.01", category="kesehatan", agency="umum.18.01", reason="general_office"),
    Case("regency in another province", "11.01", category="pendidikan", agency="umum.11.01",
         reason="general_office"),
    Case("no category", "18.71", agency="umum.18.71", reason="general_office"),
    Case("unknown category is general", "18.71", category="astrologi", agency="umum.18.71",
         reason="general_office"),
    # the province level
    Case("province education office", "18", category="pendidikan", agency="disdik.18", reason="category_department"),
    Case("province general office", "18", agency="umum.18", reason="general_office"),
    Case("other province has no departments", "32", category="kesehatan", agency="umum.32",
         reason="general_office"),
    Case("unknown regency code: its province", "18.99", category="kesehatan", agency="dinkes.18",
         reason="category_department", field="location.region_code"),
    # the national level
    Case("national code: the ministry", "ID", category="kesehatan", agency="dinkes.ID", reason="category_department"),
    Case("national code without category", "ID", agency="umum.ID", reason="general_office"),
    Case("national category anywhere", "18.71", category="bpjs", agency="bpjs_kesehatan.ID", reason="national_body"),
    Case("national category without location", category="pertanahan", agency="atr_bpn.ID", reason="national_body"),
    Case("electricity goes to PLN", "11.01", category="listrik", agency="pln.ID", reason="national_body"),
    Case("national body inactive: the general office", "18.71", category="haji", inactive=("kemenag.ID",),
         agency="umum.18.71", reason="general_office"),
    # fall-back up the tree
    Case("department inactive: the city's general office", "18.71", category="kesehatan",
         inactive=("dinkes.18.71",), agency="umum.18.71", reason="general_office"),
    Case("city offices inactive: the province's department", "18.71", category="kesehatan",
         inactive=("dinkes.18.71", "umum.18.71"), agency="dinkes.18", reason="parent_fallback"),
    Case("city and province department inactive: the province office", "18.71", category="kesehatan",
         inactive=("dinkes.18.71", "umum.18.71", "dinkes.18"), agency="umum.18", reason="parent_fallback"),
    Case("nothing active up to the province: national triage", "18.71", category="kesehatan",
         inactive=("dinkes.18.71", "umum.18.71", "dinkes.18", "umum.18"), reason="no_active_agency"),
    Case("regency office inactive: the province office", "18.01", inactive=("umum.18.01",), agency="umum.18",
         reason="parent_fallback"),
    # target-agency hints
    Case("hint inside the location", "18.71", category="jalan", hint="dinsos.18", agency="dinsos.18",
         reason="target_agency_hint"),
    Case("hint of a national body", "18.01", hint="dinkes.ID", agency="dinkes.ID", reason="target_agency_hint"),
    Case("hint of a national body without location", hint="disdik.ID", agency="disdik.ID",
         reason="target_agency_hint"),
    Case("hint outside the location is ignored", "18.71", category="kesehatan", hint="umum.11",
         agency="dinkes.18.71", reason="category_department"),
    Case("hint narrower than the location is ignored", "18", hint="dinkes.18.71", agency="umum.18",
         reason="general_office"),
    Case("unknown hint is ignored", "18.71", hint="kemenkes-palsu", agency="umum.18.71", reason="general_office"),
    Case("inactive hint is ignored", "18.71", category="kesehatan", hint="dinsos.18.71", inactive=("dinsos.18.71",),
         agency="dinkes.18.71", reason="category_department"),
    Case("regional hint without location: triage", hint="dinkes.18.71", reason="location_unknown"),
    # free-text locations
    Case("full city name", text="Kota Bandar Lampung", category="kesehatan", agency="dinkes.18.71",
         reason="category_department", field="location.text"),
    Case("bare city name in lower case", text="bandar lampung", category="pendidikan", agency="disdik.18.71",
         reason="category_department", field="location.text"),
    Case("abbreviated regency", text="Kab. Lampung Selatan", agency="umum.18.01", reason="general_office",
         field="location.text"),
    Case("address with the city as one part", text="Jl. Teuku Umar 12, Kedaton, Kota Bandar Lampung, Lampung 35141",
         category="jalan", agency="pu.18.71", reason="category_department", field="location.text"),
    Case("province name", text="Provinsi Lampung", category="kesehatan", agency="dinkes.18",
         reason="category_department", field="location.text"),
    Case("province confirms an ambiguous name", text="Banjar, Jawa Barat", agency="umum.32.79",
         reason="general_office", field="location.text"),
    Case("code wins over text", "18.01", text="Kota Bandar Lampung", agency="umum.18.01", reason="general_office",
         field="location.region_code"),
    Case("kabupaten and kota of one name: provincial triage", text="Bandung", reason="location_ambiguous",
         triage="32", field="location.text"),
    Case("two regencies of one province: provincial triage", text="Kota Bandar Lampung, Kab. Lampung Selatan",
         reason="location_ambiguous", triage="18", field="location.text"),
    Case("one name in two provinces: national triage", text="Banjar", reason="location_ambiguous", triage="ID",
         field="location.text"),
    Case("street name only: national triage", text="Jalan Jambi No. 3", reason="location_unknown",
         field="location"),
    Case("no location at all: national triage", category="kesehatan", reason="location_unknown", field="location"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_location_and_category_route_to_the_most_specific_active_agency(case: Case):
    directory = without(*case.inactive) if case.inactive else seeded()

    decision = decide(
        Location(region_code=case.code, text=case.text), directory, category_hint=case.category,
        target_agency_hint=case.hint,
    )

    assert (decision.agency.agency_id if decision.agency else None) == case.agency
    assert decision.reason.code == case.reason
    assert decision.reason.message_id and decision.reason.message_en
    if decision.agency is None:
        assert decision.triage_jurisdiction == case.triage
        assert decision.jurisdiction_code == case.triage
    else:
        assert decision.jurisdiction_code == decision.agency.jurisdiction_code
    if case.field is not None:
        assert decision.reason.field == case.field


def test_an_ignored_hint_and_an_unknown_category_are_explained_in_both_languages():
    decision = decide(
        Location(region_code="18.71"), seeded(), category_hint="astrologi", target_agency_hint="umum.11"
    )

    assert "Instansi tujuan 'umum.11' tidak dipakai" in decision.reason.message_id
    assert "The target agency 'umum.11' was not used" in decision.reason.message_en
    assert "Kategori 'astrologi' tidak dikenal" in decision.reason.message_id
    assert "Category 'astrologi' is unknown" in decision.reason.message_en


def test_the_resolved_category_is_the_taxonomy_code_not_the_alias():
    assert decide(Location(region_code="18.71"), seeded(), category_hint="Jalan").category.code == "infrastruktur"
    assert decide(Location(region_code="18.71"), seeded()).category.code == "umum"


def test_two_active_agencies_for_one_category_in_one_place_resolve_to_the_most_specialised():
    broad = agency(seeded(), "dinkes.18.71").evolve(
        agency_id="a-broad.18.71", categories=("kesehatan", "pendidikan", "bantuan_sosial"),
    )
    directory = seeded().with_agencies(broad)

    decision = decide(Location(region_code="18.71"), directory, category_hint="kesehatan")

    assert decision.agency is not None and decision.agency.agency_id == "dinkes.18.71"
