"""What an Open311 client reads before it submits: the discovery document, the services (each with
metadata), their definitions (our extension attributes) and the jurisdictions we answer to; and the
definition refusing an attribute or a value it does not declare."""

from __future__ import annotations

import pytest

from lapor_gateway import open311_services as definitions
from lapor_shared import categories

pytestmark = [pytest.mark.unit, pytest.mark.timeout(30)]

PLATFORM = "lapor.go.id"


def test_every_service_has_metadata_and_a_definition_declaring_every_extension_attribute():
    for category in categories.CATEGORIES:
        definition = definitions.definition(category)

        assert definitions.service(category)["metadata"] is True
        assert [a["code"] for a in definition["attributes"]] == [
            "region_code", "title", "report_type", "incident_date", "anonim", "rahasia", "request_id"]
        assert [a["order"] for a in definition["attributes"]] == list(range(1, 8))
        assert all(a["variable"] is True and a["required"] is False for a in definition["attributes"])


def test_list_attributes_carry_their_keys_and_others_do_not():
    attributes = {a["code"]: a for a in definitions.definition(categories.CATEGORIES[0])["attributes"]}

    assert [v["key"] for v in attributes["report_type"]["values"]] == [
        "pengaduan", "aspirasi", "permintaan_informasi"]
    assert [v["key"] for v in attributes["rahasia"]["values"]] == ["true", "false"]
    assert "values" not in attributes["title"]


@pytest.mark.parametrize("attributes", [
    {"region_code": "18.71", "title": "Jalan berlubang", "report_type": "aspirasi"},
    {"incident_date": "2026-12-01", "anonim": "ya", "rahasia": "false", "request_id": "app-1"},
    {"incident_date": "2026-12-01T08:30:00Z"},
    {"kode_wilayah": "18.71", "anonymous": "true", "confidential": "tidak"},  # the documented aliases
    {"title": ""},  # empty is absent
])
def test_attributes_the_definition_declares_are_accepted(attributes):
    assert definitions.attribute_problems(attributes) == []


@pytest.mark.parametrize(("attributes", "named"), [
    ({"warna": "merah"}, "attribute[warna]"),
    ({"report_type": "keluhan"}, "attribute[report_type]"),
    ({"rahasia": "mungkin"}, "attribute[rahasia]"),
    ({"incident_date": "kemarin"}, "attribute[incident_date]"),
    ({"title": "x" * 201}, "attribute[title]"),
])
def test_an_attribute_or_value_the_definition_does_not_declare_is_refused_by_name(attributes, named):
    [problem] = definitions.attribute_problems(attributes)

    assert named in problem and " / " in problem


@pytest.mark.parametrize(("given", "region"), [(None, None), ("", None), (PLATFORM, None), ("18", "18"),
                                               ("18.71", "18.71"), ("31.71", "31.71")])
def test_the_platform_id_means_everywhere_and_a_kemendagri_code_its_region(given, region):
    jurisdiction = definitions.jurisdiction(given, PLATFORM)

    assert jurisdiction is not None and jurisdiction.region_code == region


@pytest.mark.parametrize("given", ["99.99", "jakarta", "lapor.go.id.evil", "18.7"])
def test_a_jurisdiction_id_we_do_not_serve_is_none(given):
    assert definitions.jurisdiction(given, PLATFORM) is None


def test_the_discovery_document_has_the_fields_the_spec_names():
    document = definitions.discovery("https://lapor.go.id/open311/v2", PLATFORM)
    [endpoint] = document["endpoints"]

    assert {"changeset", "contact", "key_service", "endpoints"} <= document.keys()
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "https://lapor.go.id/open311/v2"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert endpoint["changeset"] == document["changeset"]
