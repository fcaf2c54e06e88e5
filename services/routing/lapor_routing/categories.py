"""Which kind of agency handles each category of the taxonomy, and at which level of government.

The taxonomy itself (codes, names, aliases) is reference data in ``lapor_shared.categories``, shared
with the gateway; who handles a category is routing's decision and lives here:

- ``kind`` is the kind of agency that handles the category (``dinkes``: a health office). The seed
  registry gives every regional government's departments and every national body a kind.
- ``scope``: ``daerah`` categories are regional-government affairs (UU 23/2014): the department of the
  government where it happened answers, else that government's general office. ``nasional``
  categories are handled by a national body wherever they happen (BPJS, PLN, the land agency, taxes,
  religious affairs), unless a regional office of that body is registered.

A category added to the taxonomy without an entry in ``HANDLING`` fails routing's tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from lapor_shared.categories import CATEGORIES, GENERAL, Category, by_code, general, resolve

__all__ = ["AGENCY_KINDS", "CATEGORIES", "GENERAL", "HANDLING", "AgencyKind", "Category", "Handling", "by_code",
           "categories_of_kind", "general", "kind_of", "kinds", "resolve", "scope_of"]

Scope = Literal["daerah", "nasional"]


@dataclass(frozen=True, slots=True)
class Handling:
    kind: str
    scope: Scope = "daerah"


HANDLING: dict[str, Handling] = {
    GENERAL: Handling("umum"),
    "kesehatan": Handling("dinkes"),
    "pendidikan": Handling("disdik"),
    "infrastruktur": Handling("pu"),
    "administrasi_kependudukan": Handling("dukcapil"),
    "perhubungan": Handling("dishub"),
    "bantuan_sosial": Handling("dinsos"),
    "lingkungan_hidup": Handling("dlh"),
    "perizinan": Handling("dpmptsp"),
    "ketenagakerjaan": Handling("disnaker"),
    "perumahan": Handling("perkim"),
    "ketertiban_umum": Handling("satpolpp"),
    "pertanian": Handling("distan"),
    "perdagangan": Handling("disdag"),
    "komunikasi_informatika": Handling("diskominfo"),
    "penanggulangan_bencana": Handling("bpbd"),
    "perlindungan_perempuan_anak": Handling("dp3a"),
    "aparatur": Handling("inspektorat"),
    "jaminan_kesehatan": Handling("bpjs_kesehatan", "nasional"),
    "jaminan_ketenagakerjaan": Handling("bpjs_tk", "nasional"),
    "listrik": Handling("pln", "nasional"),
    "pertanahan": Handling("atr_bpn", "nasional"),
    "perpajakan": Handling("djp", "nasional"),
    "keagamaan": Handling("kemenag", "nasional"),
}
"""Category code → the kind of agency that handles it and whether it is a regional or a national affair."""


@dataclass(frozen=True, slots=True)
class AgencyKind:
    """What an agency of this kind is called: a regional department, and the national body."""

    code: str
    regional_name: str | None
    """Name of the department in a regional government (``None``: no regional department)."""
    national_name: str


AGENCY_KINDS: tuple[AgencyKind, ...] = (
    AgencyKind("umum", "Unit Pengaduan", "Unit Pengaduan Nasional SP4N-LAPOR! (Kementerian PANRB)"),
    AgencyKind("dinkes", "Dinas Kesehatan", "Kementerian Kesehatan"),
    AgencyKind("disdik", "Dinas Pendidikan", "Kementerian Pendidikan Dasar dan Menengah"),
    AgencyKind("pu", "Dinas Pekerjaan Umum dan Penataan Ruang", "Kementerian Pekerjaan Umum"),
    AgencyKind("dukcapil", "Dinas Kependudukan dan Pencatatan Sipil",
               "Direktorat Jenderal Kependudukan dan Pencatatan Sipil, Kementerian Dalam Negeri"),
    AgencyKind("dishub", "Dinas Perhubungan", "Kementerian Perhubungan"),
    AgencyKind("dinsos", "Dinas Sosial", "Kementerian Sosial"),
    AgencyKind("dlh", "Dinas Lingkungan Hidup", "Kementerian Lingkungan Hidup"),
    AgencyKind("dpmptsp", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
               "Kementerian Investasi dan Hilirisasi/BKPM"),
    AgencyKind("disnaker", "Dinas Tenaga Kerja", "Kementerian Ketenagakerjaan"),
    AgencyKind("perkim", "Dinas Perumahan dan Kawasan Permukiman", "Kementerian Perumahan dan Kawasan Permukiman"),
    AgencyKind("satpolpp", "Satuan Polisi Pamong Praja", "Kementerian Dalam Negeri"),
    AgencyKind("distan", "Dinas Pertanian", "Kementerian Pertanian"),
    AgencyKind("disdag", "Dinas Perdagangan", "Kementerian Perdagangan"),
    AgencyKind("diskominfo", "Dinas Komunikasi dan Informatika", "Kementerian Komunikasi dan Digital"),
    AgencyKind("bpbd", "Badan Penanggulangan Bencana Daerah", "Badan Nasional Penanggulangan Bencana"),
    AgencyKind("dp3a", "Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
               "Kementerian Pemberdayaan Perempuan dan Perlindungan Anak"),
    AgencyKind("inspektorat", "Inspektorat", "Badan Kepegawaian Negara"),
    AgencyKind("bpjs_kesehatan", None, "BPJS Kesehatan"),
    AgencyKind("bpjs_tk", None, "BPJS Ketenagakerjaan"),
    AgencyKind("pln", None, "PT PLN (Persero)"),
    AgencyKind("atr_bpn", None, "Kementerian Agraria dan Tata Ruang/Badan Pertanahan Nasional"),
    AgencyKind("djp", None, "Direktorat Jenderal Pajak, Kementerian Keuangan"),
    AgencyKind("kemenag", None, "Kementerian Agama"),
)


@cache
def kinds() -> dict[str, AgencyKind]:
    return {k.code: k for k in AGENCY_KINDS}


def kind_of(category: Category) -> str:
    return HANDLING[category.code].kind


def scope_of(category: Category) -> Scope:
    return HANDLING[category.code].scope


def categories_of_kind(kind: str) -> tuple[str, ...]:
    return tuple(c.code for c in CATEGORIES if HANDLING[c.code].kind == kind)
