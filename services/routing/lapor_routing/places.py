"""Where a complaint happened: from its point on the map, its region code, or its free-text location.

**Precedence** (``locate``): a point *inside* a regency's boundary is the best evidence (a phone's
position, given on purpose with "Gunakan lokasi saya"), so it wins, also over a region code that
disagrees (the reason says which code it overruled); then a known region code; then a point just off
every boundary (within ``max_point_distance_m``: the coast, a small island), as an *approximate*
location; then the free text. A point at sea farther than that counts as no point.

When only text is left, it is read the way an
Indonesian address is written, as comma-separated parts (``Jl. Teuku Umar 12, Kedaton, Kota Bandar
Lampung, Lampung 35141``): a part matches a region when, normalised, it *equals* one of that region's
names (``kota bandar lampung``, ``bandar lampung``, ``bandarlampung``, ``kab. lampung selatan``,
``provinsi lampung``, ``jabar``). Street names never match, since a part must be a whole name.

The answer is ``resolved`` only when exactly one region fits every matching part (a province part
only confirms a regency inside it). ``Bandung`` (a kabupaten and a kota) is ``ambiguous``, and so are
two different regencies; nothing matching is ``unknown``. Routing never guesses: both go to triage.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from functools import cache
from typing import Literal

from lapor_routing import jurisdictions
from lapor_shared import geo
from lapor_shared.events.values import AgencyLevel, Location
from lapor_shared.regions import all_regions

_WORDS = {
    "kab": "kabupaten", "kabupaten": "kabupaten", "prov": "provinsi", "propinsi": "provinsi",
    "adm": "administrasi", "kep": "kepulauan", "kepl": "kepulauan", "sumatra": "sumatera",
}
_FILLERS = ("di", "wilayah", "kawasan")
_SEGMENT_SPLIT = re.compile(r"[,;\n|/()]|\s-\s")

_PROVINCE_ALIASES = {
    "11": ("nanggroe aceh darussalam", "nad"),
    "12": ("sumut",), "13": ("sumbar",), "16": ("sumsel",),
    "19": ("bangka belitung", "babel"), "21": ("kepri",),
    "31": ("dki jakarta", "dki", "jakarta", "daerah khusus jakarta"),
    "32": ("jabar",), "33": ("jateng",), "35": ("jatim",),
    "34": ("di yogyakarta", "diy", "yogyakarta", "jogja", "jogjakarta"),
    "52": ("ntb",), "53": ("ntt",),
    "61": ("kalbar",), "62": ("kalteng",), "63": ("kalsel",), "64": ("kaltim",), "65": ("kaltara",),
    "71": ("sulut",), "72": ("sulteng",), "73": ("sulsel",), "74": ("sultra",), "76": ("sulbar",),
    "82": ("malut",),
}


@dataclass(frozen=True, slots=True)
class Place:
    status: Literal["resolved", "ambiguous", "unknown"]
    code: str | None = None
    """The resolved jurisdiction (a regency, a province, or ``ID``)."""
    field: str = "location"
    """Which part of the location decided: ``location.region_code`` or ``location.text``."""
    candidates: frozenset[str] = dataclass_field(default_factory=frozenset)
    """For an ambiguous text: every region it could mean."""
    unknown_code: str | None = None
    """A region code that is not in the tree (its province was used, if known)."""
    point: tuple[float, float] | None = None
    """The (latitude, longitude) that decided, when the point did."""
    distance_m: float | None = None
    """For an approximate point: how far it lies from the region's boundary."""
    overruled_code: str | None = None
    """A known region code that the point (inside another region) overruled."""

    @property
    def approximate(self) -> bool:
        return self.distance_m is not None and self.distance_m > 0

    @property
    def resolved(self) -> bool:
        return self.status == "resolved"


def normalise(text: str) -> str:
    """Lower case ASCII words, abbreviations spelled out, a trailing postal code dropped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = [_WORDS.get(w, w) for w in re.sub(r"[^a-z0-9]+", " ", ascii_text).split()]
    while words and re.fullmatch(r"\d{5}", words[-1]):
        words.pop()
    return " ".join(words)


def _names_of(name: str, level: str) -> set[str]:
    full = normalise(name)
    names = {full}
    if level == "province":
        names.add(f"provinsi {full}")
        return names
    for prefix in ("kabupaten administrasi ", "kota administrasi ", "kabupaten ", "kota "):
        if full.startswith(prefix):
            bare = full.removeprefix(prefix)
            names.add(bare)
            if "administrasi" in prefix:
                names.add(prefix.replace("administrasi ", "") + bare)
            break
    return names


@cache
def name_index() -> dict[str, frozenset[str]]:
    """Every normalised name (and its spelling without spaces) → the codes it may mean."""
    index: dict[str, set[str]] = {}
    for region in all_regions().values():
        names = _names_of(region.name, region.level)
        names.update(normalise(alias) for alias in _PROVINCE_ALIASES.get(region.code, ()))
        for name in names:
            for key in (name, name.replace(" ", "")):
                index.setdefault(key, set()).add(region.code)
    return {key: frozenset(codes) for key, codes in index.items()}


def _match_segment(segment: str) -> frozenset[str]:
    text = normalise(segment)
    if not text:
        return frozenset()
    index = name_index()
    found = index.get(text) or index.get(text.replace(" ", ""))
    if found:
        return found
    words = text.split()
    if len(words) > 1 and words[0] in _FILLERS:
        return _match_segment(" ".join(words[1:]))
    return frozenset()


def _same_branch(a: str, b: str) -> bool:
    return jurisdictions.contains(a, b) or jurisdictions.contains(b, a)


def read_text(text: str | None) -> Place:
    """The region a free-text location names, if exactly one fits (see the module docstring)."""
    if not text or not text.strip():
        return Place("unknown", field="location.text")
    matches = [m for m in (_match_segment(s) for s in _SEGMENT_SPLIT.split(text)) if m]
    if not matches:
        return Place("unknown", field="location.text")
    unique = {next(iter(m)) for m in matches if len(m) == 1}
    codes: set[str] = set(unique)
    for candidates in (m for m in matches if len(m) > 1):
        narrowed = {c for c in candidates if any(_same_branch(c, u) for u in unique)}
        narrowed -= {c for c in narrowed if any(c != u and jurisdictions.contains(c, u) for u in unique)}
        if len(narrowed) != 1:
            return Place("ambiguous", field="location.text", candidates=frozenset(candidates))
        codes |= narrowed
    most_specific = {c for c in codes if not any(o != c and jurisdictions.contains(c, o) for o in codes)}
    if len(most_specific) == 1:
        return Place("resolved", next(iter(most_specific)), "location.text")
    return Place("ambiguous", field="location.text", candidates=frozenset(most_specific))


def read_point(location: Location, max_distance_m: float = geo.DEFAULT_MAX_DISTANCE_M) -> Place:
    """The regency a point lies in (or, approximately, next to); unknown at sea or outside Indonesia."""
    lat, lon = location.latitude, location.longitude
    if lat is None or lon is None or geo.outside_indonesia(lat, lon):
        return Place("unknown", field="location.point")
    found = geo.locate_point(lat, lon, max_distance_m)
    if found.code is None:
        return Place("unknown", field="location.point", point=(lat, lon))
    return Place("resolved", found.code, "location.point", point=(lat, lon), distance_m=found.distance_m)


def locate(location: Location, *, max_point_distance_m: float = geo.DEFAULT_MAX_DISTANCE_M) -> Place:
    """The jurisdiction of a complaint's location, by the precedence in the module docstring."""
    from_point = read_point(location, max_point_distance_m)
    precise = from_point.resolved and not from_point.approximate
    code = location.region_code
    if code and jurisdictions.is_known(code):
        if not precise or from_point.code == code:
            return Place("resolved", code, "location.region_code")
        assert from_point.code is not None
        if jurisdictions.contains(code, from_point.code):
            return from_point  # the point names the regency inside the province the code gave
        return replace(from_point, overruled_code=code)
    if precise:
        return replace(from_point, unknown_code=code) if code else from_point
    if from_point.resolved and not code:
        return from_point
    from_text = read_text(location.text)
    if not code:
        return from_text
    province = code.split(".", 1)[0]
    if jurisdictions.level_of(province) is not AgencyLevel.PROVINCE:
        if from_text.resolved or from_point.resolved:
            return from_point if from_point.resolved else from_text
        return Place("unknown", field="location.region_code", unknown_code=code)
    if from_point.resolved and from_point.code and jurisdictions.contains(province, from_point.code):
        return replace(from_point, unknown_code=code)
    if from_text.resolved and from_text.code and jurisdictions.contains(province, from_text.code):
        return Place("resolved", from_text.code, "location.text", unknown_code=code)
    return Place("resolved", province, "location.region_code", unknown_code=code)
