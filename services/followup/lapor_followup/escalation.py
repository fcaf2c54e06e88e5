"""Who is one level up: regency/city → its province's general office → the national office.

Agency ids follow routing's registry convention (services/routing/lapor_routing/registry.py), which is
read, not imported (services share only ``lapor_shared``): the general complaints office of a
government is ``umum.<code>`` (``umum.18.71`` Kota Bandar Lampung, ``umum.18`` Lampung, ``umum.ID``
the nation). Any agency of a regency or city (its general office or a department) escalates to the
province's general office first, a province's agency to the national office, a national body nowhere.
"""

from __future__ import annotations

from lapor_shared.events.values import NATIONAL_CODE, AgencyLevel, AgencyRef
from lapor_shared.regions import all_regions


def general_office(code: str) -> AgencyRef:
    """The general complaints office (Unit Pengaduan) of the government at ``code``."""
    if code == NATIONAL_CODE:
        return AgencyRef(
            agency_id="umum.ID", name="Unit Pengaduan Nasional (KemenPANRB)", level=AgencyLevel.NATIONAL,
            jurisdiction_code=NATIONAL_CODE,
        )
    region = all_regions()[code]
    if region.level == "province":
        return AgencyRef(
            agency_id=f"umum.{code}", name=f"Unit Pengaduan Pemerintah Provinsi {region.name}",
            level=AgencyLevel.PROVINCE, jurisdiction_code=code,
        )
    return AgencyRef(
        agency_id=f"umum.{code}", name=f"Unit Pengaduan Pemerintah {region.name}", level=AgencyLevel.REGENCY,
        jurisdiction_code=code,
    )


def escalation_chain(jurisdiction_code: str) -> list[AgencyRef]:
    """The offices above an agency at ``jurisdiction_code``, nearest first (level 1, level 2, …)."""
    if jurisdiction_code == NATIONAL_CODE:
        return []
    region = all_regions().get(jurisdiction_code)
    if region is None:
        return [general_office(NATIONAL_CODE)]
    if region.level == "province":
        return [general_office(NATIONAL_CODE)]
    return [general_office(region.province_code), general_office(NATIONAL_CODE)]


def escalation_target(jurisdiction_code: str, level: int) -> AgencyRef | None:
    """The office at escalation ``level`` (1 = one up) or None when the top has been reached."""
    chain = escalation_chain(jurisdiction_code)
    return chain[level - 1] if 1 <= level <= len(chain) else None
