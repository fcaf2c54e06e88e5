"""Routing rules: from where a complaint happened to the agency that must answer, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from lapor_routing.registry import Agency, general_office
from lapor_shared.events.values import NATIONAL_CODE, Location, Reason
from lapor_shared.regions import all_regions


@dataclass(frozen=True, slots=True)
class Decision:
    agency: Agency | None
    reason: Reason

    @property
    def needs_triage(self) -> bool:
        return self.agency is None


def decide(location: Location) -> Decision:
    code = location.region_code
    regions = all_regions()
    if code in regions:
        region = regions[code]
        what = "provinsi" if region.level == "province" else "kabupaten/kota"
        return Decision(general_office(code), Reason(
            code="region_general_office", field="location.region_code",
            message_id=f"Dialamatkan ke unit pengaduan {what} {region.name} sesuai kode wilayah {code}.",
            message_en=f"Sent to the general complaints office of {region.name} by region code {code}.",
        ))
    if code and code.split(".", 1)[0] in regions:
        province = regions[code.split(".", 1)[0]]
        return Decision(general_office(province.code), Reason(
            code="province_fallback", field="location.region_code",
            message_id=f"Kode wilayah {code} tidak dikenal; dialamatkan ke Provinsi {province.name}.",
            message_en=f"Region code {code} is unknown; sent to the province of {province.name}.",
        ))
    return Decision(None, Reason(
        code="no_jurisdiction", field="location",
        message_id="Lokasi tidak dapat ditentukan; menunggu keputusan admin nasional.",
        message_en="The location could not be determined; waiting for a national admin's decision.",
    ))


TRIAGE_JURISDICTION = NATIONAL_CODE
