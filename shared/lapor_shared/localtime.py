"""Local time across Indonesia's three zones: which zone a jurisdiction's clock runs in, and a moment
written the way people read it there (``14 April 2025 pukul 23.59 WITA``).

Reference data: followup runs its deadlines in the responsible agency's zone; the gateway shows a
reporter the deadline in that same zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lapor_shared.events.values import NATIONAL_CODE

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

ZONE_NAMES = {WIB.key: "WIB", WITA.key: "WITA", WIT.key: "WIT"}

PROVINCE_ZONES: dict[str, ZoneInfo] = {
    # Sumatra, Java, West and Central Kalimantan: WIB (UTC+7)
    "11": WIB, "12": WIB, "13": WIB, "14": WIB, "15": WIB, "16": WIB, "17": WIB, "18": WIB, "19": WIB,
    "21": WIB, "31": WIB, "32": WIB, "33": WIB, "34": WIB, "35": WIB, "36": WIB, "61": WIB, "62": WIB,
    # Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi: WITA (UTC+8)
    "51": WITA, "52": WITA, "53": WITA, "63": WITA, "64": WITA, "65": WITA,
    "71": WITA, "72": WITA, "73": WITA, "74": WITA, "75": WITA, "76": WITA,
    # Maluku and the six Papua provinces: WIT (UTC+9)
    "81": WIT, "82": WIT, "91": WIT, "92": WIT, "93": WIT, "94": WIT, "95": WIT, "96": WIT,
}
"""Every one of the 38 provinces (Kemendagri codes) and its time zone (a test checks the list)."""

_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def zone_of(region_code: str | None) -> ZoneInfo:
    """The time zone a jurisdiction's clock runs in: its province's; the nation and unknown codes use WIB."""
    if not region_code or region_code == NATIONAL_CODE:
        return WIB
    return PROVINCE_ZONES.get(region_code.split(".", 1)[0], WIB)


def zone_name(zone: ZoneInfo) -> str:
    return ZONE_NAMES.get(zone.key, zone.key)


def tanggal(moment: datetime | str | None, zone: ZoneInfo) -> tuple[str, str]:
    """``14 April 2025 pukul 23.59 WIB`` and ``14 April 2025, 23:59 WIB``."""
    if moment is None:
        return "-", "-"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = moment.astimezone(zone)
    zn = zone_name(zone)
    return (
        f"{local.day} {_MONTHS[local.month - 1]} {local.year} pukul {local:%H.%M} {zn}",
        f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}, {local:%H:%M} {zn}",
    )
