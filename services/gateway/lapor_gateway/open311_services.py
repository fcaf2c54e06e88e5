"""What an Open311 GeoReport v2 client reads before it submits: the discovery document, the service
list, each service's definition (the ``attribute[…]`` extensions this API accepts) and which
``jurisdiction_id`` values it answers to.

The definition is the contract: ``POST requests`` refuses an attribute it does not declare (or one of
the documented aliases) and a value that does not fit the declared datatype or list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lapor_gateway.contract import parse_bool
from lapor_shared import categories, regions
from lapor_shared.events.values import ReportType

CHANGESET = "2026-12-04T00:00:00Z"
"""When the service list or the definitions last changed (the discovery document's ``changeset``)."""

_YES_NO = [{"key": "true", "name": "Ya / Yes"}, {"key": "false", "name": "Tidak / No"}]

ATTRIBUTES: tuple[dict[str, Any], ...] = (
    {"code": "region_code", "datatype": "string",
     "description": "Kode wilayah Kemendagri (mis. 18.71) / Kemendagri region code (e.g. 18.71)",
     "datatype_description": "NN, NN.NN, NN.NN.NN or NN.NN.NN.NNNN"},
    {"code": "title", "datatype": "string", "description": "Judul laporan / Title of the report",
     "datatype_description": "at most 200 characters"},
    {"code": "report_type", "datatype": "singlevaluelist", "description": "Jenis laporan / Report type",
     "values": [{"key": t.value, "name": t.value.replace("_", " ")} for t in ReportType]},
    {"code": "incident_date", "datatype": "datetime", "description": "Tanggal kejadian / Date of the incident",
     "datatype_description": "W3C date or datetime, e.g. 2026-12-01"},
    {"code": "anonim", "datatype": "singlevaluelist", "values": _YES_NO,
     "description": "Sembunyikan identitas pelapor dari instansi / Hide the reporter from the agency"},
    {"code": "rahasia", "datatype": "singlevaluelist", "values": _YES_NO,
     "description": "Laporan rahasia, tidak tampil publik / Confidential, never shown publicly"},
    {"code": "request_id", "datatype": "string",
     "description": "Kunci idempotensi klien / The client's idempotency key (like the Idempotency-Key header)",
     "datatype_description": "at most 200 characters"},
)
"""The extension attributes, in the spec's shape; none is required."""

ALIASES = {"kode_wilayah": "region_code", "anonymous": "anonim", "confidential": "rahasia"}
"""Other names accepted for a declared attribute (documented in docs/adapters.md)."""

_BY_CODE = {a["code"]: a for a in ATTRIBUTES}
_MAX_STRING = 200


def service(category: categories.Category) -> dict[str, Any]:
    return {
        "service_code": category.code, "service_name": category.name_id, "description": category.description_id,
        "metadata": True, "type": "realtime", "keywords": ", ".join(category.aliases), "group": category.group,
    }


def definition(category: categories.Category) -> dict[str, Any]:
    attributes = [
        {"variable": True, "required": False, "order": order, "datatype_description": None, **attribute}
        for order, attribute in enumerate(ATTRIBUTES, start=1)
    ]
    return {"service_code": category.code, "attributes": attributes}


def attribute_problems(attributes: dict[str, str]) -> list[str]:
    """Why these ``attribute[…]`` values do not fit the definition (bilingual sentences), or none."""
    problems = []
    for name, value in attributes.items():
        declared = _BY_CODE.get(ALIASES.get(name, name))
        if declared is None:
            problems.append(f"attribute[{name}] tidak dikenal. / attribute[{name}] is not in the service definition.")
            continue
        text = value.strip()
        if not text:
            continue
        if declared.get("values") is _YES_NO:
            fits = parse_bool(text) is not None
        elif declared["datatype"] == "singlevaluelist":
            fits = text in {v["key"] for v in declared["values"]}
        elif declared["datatype"] == "datetime":
            fits = _is_datetime(text)
        else:
            fits = len(text) <= _MAX_STRING
        if not fits:
            problems.append(f"attribute[{name}] tidak sesuai definisi layanan. / attribute[{name}] does not fit"
                            f" the service definition ({declared['datatype']}).")
    return problems


def _is_datetime(text: str) -> bool:
    for parse in (datetime.fromisoformat, date.fromisoformat):
        try:
            parse(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        return True
    return False


@dataclass(frozen=True)
class Jurisdiction:
    """Where a request is placed and which requests a listing shows: everywhere, or one region."""

    region_code: str | None


def jurisdiction(value: str | None, platform_id: str) -> Jurisdiction | None:
    """The jurisdiction a ``jurisdiction_id`` names (absent or the platform's id: everywhere; a known
    Kemendagri code: that region and everything inside it); None when it names nothing we serve."""
    text = (value or "").strip()
    if not text or text == platform_id:
        return Jurisdiction(region_code=None)
    return Jurisdiction(region_code=text) if regions.is_known(text) else None


def discovery(base_url: str, platform_id: str) -> dict[str, Any]:
    """The spec's discovery document: where the endpoint is, what it speaks, whom to ask."""
    return {
        "changeset": CHANGESET,
        "contact": "SP4N-LAPOR! — https://www.lapor.go.id, Kementerian PANRB; kirim surel ke / email"
                   " open311@lapor.go.id. jurisdiction_id: " + platform_id + " atau kode wilayah Kemendagri"
                   " / or a Kemendagri region code (e.g. 18.71).",
        "key_service": "Minta api_key ke pengelola SP4N-LAPOR! / Ask the SP4N-LAPOR! operators for an api_key.",
        "endpoints": [
            {"specification": "http://wiki.open311.org/GeoReport_v2", "url": base_url,
             "changeset": CHANGESET, "type": "production", "formats": ["application/json", "text/xml"]},
        ],
    }
