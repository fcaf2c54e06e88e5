"""Where a complaint happened: from its region code, or else from its free-text location.

The region code (Kemendagri) is what counts. When it is missing, the free text is read the way an
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
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cache
from typing import Literal

from lapor_routing import jurisdictions
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


def locate(location: Location) -> Place:
    """The jurisdiction of a complaint's location: its code when known, else its free text.

    An unknown code (older events; intake rejects them today) falls back to the free text when that
    lies in the code's province, else to the province the code starts with.
    """
    code = location.region_code
    if code and jurisdictions.is_known(code):
        return Place("resolved", code, "location.region_code")
    from_text = read_text(location.text)
    if not code:
        return from_text
    province = code.split(".", 1)[0]
    if jurisdictions.level_of(province) is not AgencyLevel.PROVINCE:
        return from_text if from_text.resolved else Place("unknown", field="location.region_code", unknown_code=code)
    if from_text.resolved and from_text.code and jurisdictions.contains(province, from_text.code):
        return Place("resolved", from_text.code, "location.text", unknown_code=code)
    return Place("resolved", province, "location.region_code", unknown_code=code)
