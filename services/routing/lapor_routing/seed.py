"""The registry every installation starts with (loaded idempotently at startup).

- a general complaints office (``umum.<code>``, category ``umum``) for the nation, each of the 38
  provinces and each of the 514 regencies and cities;
- a national body for every agency kind (``<kind>.ID``): the ministries for the regional categories
  (reached by a target-agency hint, a forwarding or an admin's disposition) and the national bodies
  that handle the ``nasional`` categories wherever they happen (BPJS, PLN, ATR/BPN, DJP, Kemenag);
- the departments (dinas) of Lampung province (``18``) and Kota Bandar Lampung (``18.71``) as the
  worked example (``dinkes.18.71`` = Dinas Kesehatan Kota Bandar Lampung). Other governments add
  theirs at run time with ``registry.upsert_agency``.

Ids are ``<kind>.<jurisdiction code>``; every agency's channel is its jurisdiction topic.
"""

from __future__ import annotations

from lapor_routing import categories, jurisdictions
from lapor_routing.registry import Agency
from lapor_shared.events.values import NATIONAL_CODE, AgencyLevel
from lapor_shared.topics import jurisdiction_topic

WORKED_EXAMPLE: tuple[str, ...] = ("18", "18.71")
"""Governments whose departments are seeded: Lampung province and Kota Bandar Lampung."""


def agency_id(kind: str, code: str) -> str:
    return f"{kind}.{code}"


def _channels(code: str) -> tuple[str, ...]:
    return (f"kafka:{jurisdiction_topic(code)}",)


def general_office(code: str) -> Agency:
    """The general complaints office (Unit Pengaduan) of the government at ``code``."""
    place = jurisdictions.get(code)
    if place is None:
        raise KeyError(code)
    if place.level is AgencyLevel.NATIONAL:
        name, parent = categories.kinds()["umum"].national_name, None
    else:
        name, parent = f"Unit Pengaduan Pemerintah {place.government}", agency_id("umum", place.parent_code or "")
    return Agency(
        agency_id("umum", code), name, place.level, code, (categories.GENERAL,), parent, _channels(code)
    )


def department(kind: str, code: str) -> Agency:
    """The department of ``kind`` in the regional government at ``code``."""
    place = jurisdictions.get(code)
    agency_kind = categories.kinds()[kind]
    if place is None or agency_kind.regional_name is None or place.level is AgencyLevel.NATIONAL:
        raise ValueError(f"no regional {kind} department at {code}")
    return Agency(
        agency_id(kind, code), f"{agency_kind.regional_name} {place.government}", place.level, code,
        categories.categories_of_kind(kind), agency_id("umum", code), _channels(code),
    )


def national_body(kind: str) -> Agency:
    agency_kind = categories.kinds()[kind]
    return Agency(
        agency_id(kind, NATIONAL_CODE), agency_kind.national_name, AgencyLevel.NATIONAL, NATIONAL_CODE,
        categories.categories_of_kind(kind), None, _channels(NATIONAL_CODE),
    )


def seed_agencies() -> list[Agency]:
    """The seed registry, parents before children."""
    agencies = [general_office(code) for code in jurisdictions.all_jurisdictions()]
    agencies += [national_body(kind.code) for kind in categories.AGENCY_KINDS if kind.code != "umum"]
    agencies += [
        department(kind.code, code)
        for code in WORKED_EXAMPLE
        for kind in categories.AGENCY_KINDS
        if kind.regional_name is not None and kind.code != "umum"
    ]
    return agencies
