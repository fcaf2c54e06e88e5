"""The jurisdiction tree and the seed registry: all 552 regions load and resolve to an agency."""

from __future__ import annotations

import pytest

from lapor_routing import jurisdictions
from lapor_routing.registry import Directory
from lapor_routing.rules import decide
from lapor_routing.seed import seed_agencies
from lapor_shared.events.values import AgencyLevel, Location
from lapor_shared.regions import all_regions

REGIONS = sorted(all_regions())

pytestmark = pytest.mark.unit


def test_the_jurisdiction_tree_has_the_nation_38_provinces_and_514_regencies_and_cities():
    tree = jurisdictions.all_jurisdictions()

    assert len(REGIONS) == 552
    assert sum(j.level is AgencyLevel.PROVINCE for j in tree.values()) == 38
    assert sum(j.level is AgencyLevel.REGENCY for j in tree.values()) == 514
    assert jurisdictions.lineage("18.71") == ["18.71", "18", "ID"]
    assert all(tree[j.parent_code].level is AgencyLevel.PROVINCE for j in tree.values() if j.level == "regency")


def test_every_one_of_the_552_regions_resolves_to_its_own_general_office():
    directory = Directory(seed_agencies())

    for code in REGIONS:
        decision = decide(Location(region_code=code), directory)
        assert decision.agency is not None, code
        assert decision.agency.agency_id == f"umum.{code}"
        assert decision.jurisdiction_code == code
        assert decision.reason.code == "general_office"


def test_every_region_also_resolves_by_its_official_name():
    directory = Directory(seed_agencies())

    for code in REGIONS:
        region = all_regions()[code]
        # "Jambi", "Bengkulu" and "Gorontalo" alone also name a city: a province is named in full
        name = f"Provinsi {region.name}" if region.level == "province" else region.name
        decision = decide(Location(text=name), directory)
        assert decision.agency is not None and decision.agency.jurisdiction_code == code, code


def test_the_seed_has_lampungs_and_bandar_lampungs_departments_and_the_ministries():
    ids = {a.agency_id for a in seed_agencies()}

    for kind in ("dinkes", "disdik", "pu", "dishub", "dinsos", "dukcapil", "dlh"):
        assert {f"{kind}.18", f"{kind}.18.71", f"{kind}.ID"} <= ids
    assert {"bpjs_kesehatan.ID", "bpjs_tk.ID", "umum.ID"} <= ids
    assert not any(i.endswith(".18.01") and not i.startswith("umum.") for i in ids)
