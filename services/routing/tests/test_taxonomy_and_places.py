"""The category taxonomy and the reading of free-text locations."""

from __future__ import annotations

import pytest

from lapor_routing import categories, places
from lapor_routing.seed import seed_agencies
from lapor_shared.events.values import Location

pytestmark = pytest.mark.unit


def test_the_taxonomy_has_about_twenty_categories_with_unique_codes_and_both_languages():
    codes = [c.code for c in categories.CATEGORIES]

    assert 20 <= len(codes) <= 26
    assert len(set(codes)) == len(codes)
    assert all(c.name_id and c.name_en for c in categories.CATEGORIES)
    assert {"kesehatan", "pendidikan", "infrastruktur", "administrasi_kependudukan", "perhubungan",
            "bantuan_sosial", "lingkungan_hidup", "perizinan", "ketenagakerjaan"} <= set(codes)


@pytest.mark.parametrize("category", categories.CATEGORIES, ids=lambda c: c.code)
def test_every_category_and_alias_resolves_to_itself_in_any_case(category):
    assert categories.resolve(category.code) is category
    assert categories.resolve(category.code.upper()) is category
    for alias in category.aliases:
        assert categories.resolve(alias) is category
        assert categories.resolve(alias.replace("_", " ").title()) is category


def test_every_category_of_the_taxonomy_is_handled_by_a_known_kind_of_agency():
    assert set(categories.HANDLING) == {c.code for c in categories.CATEGORIES}
    assert all(categories.kind_of(c) in categories.kinds() for c in categories.CATEGORIES)


def test_an_unknown_or_empty_hint_is_no_category():
    assert categories.resolve("astrologi") is None
    assert categories.resolve("  ") is None
    assert categories.resolve(None) is None


def test_every_category_has_a_national_body_that_handles_it():
    national = [a for a in seed_agencies() if a.jurisdiction_code == "ID"]

    for category in categories.CATEGORIES:
        assert [a.agency_id for a in national if a.handles(category.code)], category.code


@pytest.mark.parametrize(("text", "code"), [
    ("Kota Bandar Lampung", "18.71"),
    ("bandar lampung", "18.71"),
    ("BANDARLAMPUNG", "18.71"),
    ("Kab. Lampung Selatan", "18.01"),
    ("kab lampung selatan", "18.01"),
    ("di Bandar Lampung", "18.71"),
    ("Jl. Teuku Umar 12, Kedaton, Kota Bandar Lampung 35141", "18.71"),
    ("Kabupaten Lampung Selatan, Provinsi Lampung", "18.01"),
    ("Lampung", "18"),
    ("DKI Jakarta", "31"),
    ("Jakarta Selatan", "31.74"),
    ("Kabupaten Kepulauan Seribu", "31.01"),
    ("Kab. Kep. Siau Tagulandang Biaro", "71.09"),
    ("Toli-Toli", "72.04"),
    ("Kota Bandung", "32.73"),
    ("Bandung (Kabupaten Bandung)", "32.04"),
    ("Jatim", "35"),
])
def test_a_free_text_location_that_names_one_region_resolves_to_its_code(text, code):
    place = places.read_text(text)

    assert place.status == "resolved"
    assert place.code == code


@pytest.mark.parametrize(("text", "candidates"), [
    ("Bandung", {"32.04", "32.73"}),
    ("Bengkulu", {"17", "17.71"}),
    ("Banjar", {"32.79", "63.03"}),
    ("Kota Bandar Lampung, Kabupaten Lampung Selatan", {"18.71", "18.01"}),
    ("Kota Bandung, Lampung", {"32.73", "18"}),
])
def test_a_free_text_location_that_may_mean_several_regions_is_ambiguous(text, candidates):
    place = places.read_text(text)

    assert place.status == "ambiguous"
    assert set(place.candidates) == candidates


@pytest.mark.parametrize("text", ["Jalan Jambi No. 3", "Pasar Kedaton", "", "   ", None, "RT 05/RW 02"])
def test_a_free_text_location_without_a_region_name_is_unknown(text):
    assert places.read_text(text).status == "unknown"


def test_the_region_code_wins_over_the_text_and_an_unknown_code_falls_back_to_its_province():
    assert places.locate(Location(region_code="18.01", text="Kota Bandar Lampung")).code == "18.01"
    assert places.locate(Location(region_code="18.99")).code == "18"
    assert places.locate(Location(region_code="18.99", text="Kota Bandar Lampung")).code == "18.71"
    assert places.locate(Location(region_code="18.99", text="Kota Bandung")).code == "18"
    assert places.locate(Location(region_code="99.99")).status == "unknown"
