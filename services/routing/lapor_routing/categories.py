"""The category taxonomy: what a complaint is about, and which kind of agency handles it.

Plain reference data that other services' engineers may read (and copy the codes from, since
services never import each other): docs/jurisdictions.md lists the same table.

- ``code`` is the stable identifier that travels in events (``complaint.routed.category``) and in
  the agency registry (``categories`` of an agency). Never rename a code; add a new one.
- ``kind`` is the kind of agency that handles the category (``dinkes``: a health office). The seed
  registry gives every regional government's departments and every national body a kind.
- ``scope``: ``daerah`` categories are regional-government affairs (UU 23/2014): the department of the
  government where it happened answers, else that government's general office. ``nasional``
  categories are handled by a national body wherever they happen (BPJS, PLN, the land agency, taxes,
  religious affairs), unless a regional office of that body is registered.
- ``aliases`` are what channels send as ``category_hint`` besides the code (``jalan``, ``ktp``, ``bpjs``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

GENERAL = "umum"
"""The category of everything else, handled by every government's general complaints office."""


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_id: str
    name_en: str
    kind: str
    scope: Literal["daerah", "nasional"] = "daerah"
    aliases: tuple[str, ...] = ()


CATEGORIES: tuple[Category, ...] = (
    Category(GENERAL, "Umum dan lainnya", "General and other matters", "umum",
             aliases=("lainnya", "lain_lain", "general", "other", "pelayanan_publik")),
    Category("kesehatan", "Kesehatan", "Health services", "dinkes",
             aliases=("health", "puskesmas", "rumah_sakit", "rsud")),
    Category("pendidikan", "Pendidikan", "Education", "disdik",
             aliases=("education", "sekolah", "ppdb")),
    Category("infrastruktur", "Infrastruktur, jalan dan jembatan", "Infrastructure, roads and bridges", "pu",
             aliases=("jalan", "jembatan", "drainase", "pekerjaan_umum", "infrastructure", "roads")),
    Category("administrasi_kependudukan", "Administrasi kependudukan", "Civil registration (ID card, family card, "
             "certificates)", "dukcapil", aliases=("kependudukan", "dukcapil", "ktp", "e_ktp", "kk", "akta")),
    Category("perhubungan", "Perhubungan dan transportasi", "Transport", "dishub",
             aliases=("transportasi", "transport", "angkutan_umum", "parkir", "lalu_lintas")),
    Category("bantuan_sosial", "Bantuan sosial", "Social aid", "dinsos",
             aliases=("bansos", "sosial", "pkh", "social_aid")),
    Category("lingkungan_hidup", "Lingkungan hidup dan kebersihan", "Environment and waste", "dlh",
             aliases=("lingkungan", "sampah", "kebersihan", "pencemaran", "environment")),
    Category("perizinan", "Perizinan dan penanaman modal", "Permits and investment", "dpmptsp",
             aliases=("izin", "investasi", "permits")),
    Category("ketenagakerjaan", "Ketenagakerjaan", "Employment and labour", "disnaker",
             aliases=("tenaga_kerja", "naker", "phk", "employment", "labour")),
    Category("perumahan", "Perumahan, permukiman dan air bersih", "Housing, settlements and clean water", "perkim",
             aliases=("permukiman", "rumah", "air_bersih", "housing")),
    Category("ketertiban_umum", "Ketertiban umum", "Public order", "satpolpp",
             aliases=("ketertiban", "satpol_pp", "pkl", "public_order")),
    Category("pertanian", "Pertanian dan pangan", "Agriculture and food", "distan",
             aliases=("pangan", "pupuk", "agriculture")),
    Category("perdagangan", "Perdagangan, pasar dan UMKM", "Trade, markets and small businesses", "disdag",
             aliases=("pasar", "umkm", "trade")),
    Category("komunikasi_informatika", "Komunikasi dan informatika", "Communications and public information",
             "diskominfo", aliases=("kominfo", "informasi_publik", "internet")),
    Category("penanggulangan_bencana", "Penanggulangan bencana", "Disaster management", "bpbd",
             aliases=("bencana", "banjir", "disaster")),
    Category("perlindungan_perempuan_anak", "Perlindungan perempuan dan anak", "Protection of women and children",
             "dp3a", aliases=("perlindungan_anak", "kekerasan_anak", "kdrt")),
    Category("aparatur", "Perilaku aparatur dan pungutan liar", "Civil servants' conduct and illegal levies",
             "inspektorat", aliases=("pungli", "asn", "kepegawaian", "pegawai")),
    Category("jaminan_kesehatan", "Jaminan kesehatan (BPJS Kesehatan, JKN-KIS)", "Health insurance (BPJS Kesehatan)",
             "bpjs_kesehatan", "nasional", aliases=("bpjs", "bpjs_kesehatan", "jkn", "kis")),
    Category("jaminan_ketenagakerjaan", "Jaminan sosial ketenagakerjaan (BPJS Ketenagakerjaan)",
             "Employment social security (BPJS Ketenagakerjaan)", "bpjs_tk", "nasional",
             aliases=("bpjs_ketenagakerjaan", "bpjs_tk", "jht")),
    Category("listrik", "Listrik", "Electricity supply", "pln", "nasional",
             aliases=("pln", "energi", "electricity")),
    Category("pertanahan", "Pertanahan dan sertifikat tanah", "Land and land titles", "atr_bpn", "nasional",
             aliases=("tanah", "sertifikat_tanah", "bpn", "land")),
    Category("perpajakan", "Perpajakan (pajak pusat)", "Taxes (central government)", "djp", "nasional",
             aliases=("pajak", "npwp", "tax")),
    Category("keagamaan", "Keagamaan, haji dan pencatatan nikah", "Religious affairs, hajj and marriage registration",
             "kemenag", "nasional", aliases=("agama", "haji", "kua", "nikah", "madrasah")),
)


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
def by_code() -> dict[str, Category]:
    return {c.code: c for c in CATEGORIES}


@cache
def kinds() -> dict[str, AgencyKind]:
    return {k.code: k for k in AGENCY_KINDS}


def categories_of_kind(kind: str) -> tuple[str, ...]:
    return tuple(c.code for c in CATEGORIES if c.kind == kind)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


@cache
def _lookup() -> dict[str, Category]:
    table: dict[str, Category] = {}
    for category in CATEGORIES:
        for key in (category.code, *category.aliases):
            if _key(key) in table:
                raise RuntimeError(f"category key {key!r} claimed twice")
            table[_key(key)] = category
    return table


def resolve(hint: str | None) -> Category | None:
    """The category a channel's ``category_hint`` names (code or alias, any case); None if unknown."""
    if not hint or not hint.strip():
        return None
    return _lookup().get(_key(hint))


def general() -> Category:
    return by_code()[GENERAL]
