"""Routing by where the citizen stands: a point inside a boundary wins (also over a region code that
disagrees, and the reason says so in both languages); a point near a boundary is approximate and yields to
a region code; a point at sea counts for nothing."""

from __future__ import annotations

from functools import cache

import pytest

from lapor_routing.places import locate
from lapor_routing.registry import Directory
from lapor_routing.rules import decide
from lapor_routing.seed import seed_agencies
from lapor_shared.events.values import Location

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

TUGU_ADIPURA = (-5.4176, 105.2583)
"""Kota Bandar Lampung (18.71)."""
KOTA_METRO = (-5.1131, 105.3067)
"""Kota Metro (18.72), in the same province."""
MONAS = (-6.1754, 106.8272)
"""Jakarta Pusat (31.71), another province."""
OFF_BANDAR_LAMPUNG = (-5.47, 105.30)
"""In Teluk Lampung, about 1.5 km off Bandar Lampung's simplified shore."""
AT_SEA = (-6.5, 104.5)


@cache
def seeded() -> Directory:
    return Directory(seed_agencies())


def at(point: tuple[float, float], **fields) -> Location:
    return Location(latitude=point[0], longitude=point[1], **fields)


def test_a_point_alone_is_routed_to_the_general_office_of_its_city():
    decision = decide(at(TUGU_ADIPURA), seeded())

    assert decision.agency is not None and decision.agency.agency_id == "umum.18.71"
    assert decision.reason.field == "location.point"
    assert "-5.41760, 105.25830" in decision.reason.message_id
    assert "berada di dalam batas wilayahnya" in decision.reason.message_id
    assert "lies within its boundary" in decision.reason.message_en


def test_a_point_inside_another_regency_overrules_the_region_code_and_says_so():
    decision = decide(at(MONAS, region_code="18.71"), seeded(), category_hint="kesehatan")

    assert decision.jurisdiction_code.startswith("31")
    assert decision.place.code == "31.71" and decision.place.overruled_code == "18.71"
    assert "lebih tepat daripada kode wilayah '18.71'" in decision.reason.message_id
    assert "better evidence than the chosen region code '18.71'" in decision.reason.message_en


def test_a_province_code_is_made_precise_by_a_point_inside_it():
    place = locate(at(KOTA_METRO, region_code="18"))

    assert (place.code, place.field, place.overruled_code) == ("18.72", "location.point", None)


def test_a_point_that_agrees_with_the_region_code_keeps_the_code_as_the_reason():
    place = locate(at(TUGU_ADIPURA, region_code="18.71"))

    assert (place.code, place.field) == ("18.71", "location.region_code")


def test_an_approximate_point_yields_to_a_region_code():
    place = locate(at(OFF_BANDAR_LAMPUNG, region_code="18.01"))

    assert (place.code, place.field) == ("18.01", "location.region_code")


def test_an_approximate_point_alone_routes_with_its_distance_in_the_reason():
    decision = decide(at(OFF_BANDAR_LAMPUNG), seeded())

    assert decision.place.approximate and decision.place.code == "18.71"
    assert decision.agency is not None and decision.agency.agency_id == "umum.18.71"
    assert "perkiraan" in decision.reason.message_id and "approximate" in decision.reason.message_en


def test_an_approximate_point_comes_before_the_free_text():
    place = locate(at(OFF_BANDAR_LAMPUNG, text="Kabupaten Pesawaran"))

    assert place.code == "18.71" and place.approximate


def test_the_distance_an_approximate_point_may_be_off_is_a_setting():
    decision = decide(at(OFF_BANDAR_LAMPUNG), seeded(), max_point_distance_m=100)

    assert decision.needs_triage


def test_a_point_at_sea_falls_back_to_the_text():
    place = locate(at(AT_SEA, text="Kota Metro"))

    assert (place.code, place.field) == ("18.72", "location.text")


def test_a_point_at_sea_and_nothing_else_goes_to_national_triage_with_a_reason():
    decision = decide(at(AT_SEA), seeded())

    assert decision.needs_triage and decision.jurisdiction_code == "ID"
    assert decision.reason.code == "location_unknown"


def test_a_point_outside_indonesia_counts_for_nothing_in_an_older_event():
    place = locate(at((13.7563, 100.5018), region_code="18.71"))  # intake refuses these today

    assert (place.code, place.field) == ("18.71", "location.region_code")
