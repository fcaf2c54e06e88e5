"""Who can answer where: the jurisdiction tree (Kemendagri codes) and the agencies in it.

The skeleton registry knows one general complaints office (Unit Pengaduan) per government: the
nation, each of the 38 provinces and each of the 514 regencies and cities. Departments and
categories are added by the routing issue on the same seams.
"""

from __future__ import annotations

from dataclasses import dataclass

from lapor_shared.events.values import NATIONAL_CODE, AgencyLevel, AgencyRef
from lapor_shared.regions import all_regions


@dataclass(frozen=True, slots=True)
class Agency:
    agency_id: str
    name: str
    level: AgencyLevel
    jurisdiction_code: str

    def ref(self) -> AgencyRef:
        return AgencyRef(
            agency_id=self.agency_id, name=self.name, level=self.level, jurisdiction_code=self.jurisdiction_code
        )


def general_office(code: str) -> Agency:
    """The general complaints office of the government at ``code`` (``ID`` for the nation)."""
    if code == NATIONAL_CODE:
        return Agency("umum.ID", "Unit Pengaduan Nasional (KemenPANRB)", AgencyLevel.NATIONAL, NATIONAL_CODE)
    region = all_regions()[code]
    level = AgencyLevel.PROVINCE if region.level == "province" else AgencyLevel.REGENCY
    government = f"Pemerintah Provinsi {region.name}" if level is AgencyLevel.PROVINCE else f"Pemerintah {region.name}"
    return Agency(f"umum.{code}", f"Unit Pengaduan {government}", level, code)
