"""The complaint category taxonomy: what a complaint can be about, as reference data.

One table for every service that shows or reads categories: the gateway offers them (the web form,
Open311 ``services``, ``GET /api/v1/categories``), routing resolves a submission's ``category_hint``
with them and publishes the code in ``complaint.routed.category``. Which kind of agency handles a
category is routing's decision (``lapor_routing.categories``), not part of the taxonomy.

- ``code`` is the stable identifier that travels in events and in the agency registry. Never rename a
  code; add a new one.
- ``aliases`` are what channels send instead of the code (``jalan``, ``ktp``, ``bpjs``); a hint is read
  in any case, with spaces, dashes or underscores.
- ``group`` is for people choosing from a list (Open311 ``group``, the web form); names may change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

GENERAL = "umum"
"""The category of everything else, handled by every government's general complaints office."""


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_id: str
    name_en: str
    description_id: str
    group: str
    aliases: tuple[str, ...] = ()


_LAYANAN, _INFRA, _ADMIN, _SOSIAL, _NASIONAL, _TATA, _LAIN = (
    "Layanan Dasar", "Infrastruktur dan Lingkungan", "Administrasi dan Perizinan", "Sosial dan Ekonomi",
    "Layanan Nasional", "Tata Kelola", "Lainnya",
)

CATEGORIES: tuple[Category, ...] = (
    Category("infrastruktur", "Infrastruktur, jalan dan jembatan", "Infrastructure, roads and bridges",
             "Jalan rusak atau berlubang, jembatan, drainase, trotoar, lampu jalan.", _INFRA,
             ("jalan", "jembatan", "drainase", "pekerjaan_umum", "infrastructure", "roads")),
    Category("perumahan", "Perumahan, permukiman dan air bersih", "Housing, settlements and clean water",
             "Air bersih dan PDAM, rumah tidak layak huni, permukiman.", _INFRA,
             ("permukiman", "rumah", "air_bersih", "pdam", "housing")),
    Category("lingkungan_hidup", "Lingkungan hidup dan kebersihan", "Environment and waste",
             "Sampah tidak diangkut, pencemaran, kebersihan.", _INFRA,
             ("lingkungan", "sampah", "kebersihan", "pencemaran", "environment")),
    Category("perhubungan", "Perhubungan dan transportasi", "Transport",
             "Angkutan umum, lalu lintas, parkir, terminal.", _INFRA,
             ("transportasi", "transport", "angkutan_umum", "parkir", "lalu_lintas")),
    Category("penanggulangan_bencana", "Penanggulangan bencana", "Disaster management",
             "Banjir, longsor, kebakaran, dan penanganan bencana.", _INFRA, ("bencana", "banjir", "disaster")),
    Category("kesehatan", "Kesehatan", "Health services",
             "Puskesmas, rumah sakit daerah, tenaga kesehatan, obat.", _LAYANAN,
             ("health", "puskesmas", "rumah_sakit", "rsud")),
    Category("pendidikan", "Pendidikan", "Education",
             "Sekolah, PPDB, guru, pungutan sekolah.", _LAYANAN, ("education", "sekolah", "ppdb")),
    Category("bantuan_sosial", "Bantuan sosial", "Social aid",
             "PKH, BLT, bantuan pangan, data penerima bantuan.", _SOSIAL, ("bansos", "sosial", "pkh", "social_aid")),
    Category("perlindungan_perempuan_anak", "Perlindungan perempuan dan anak", "Protection of women and children",
             "Kekerasan terhadap perempuan dan anak, KDRT.", _SOSIAL, ("perlindungan_anak", "kekerasan_anak", "kdrt")),
    Category("ketenagakerjaan", "Ketenagakerjaan", "Employment and labour",
             "Upah, PHK, hubungan kerja, pelatihan kerja.", _SOSIAL,
             ("tenaga_kerja", "naker", "phk", "employment", "labour")),
    Category("pertanian", "Pertanian dan pangan", "Agriculture and food",
             "Pupuk, bibit, irigasi, harga pangan.", _SOSIAL, ("pangan", "pupuk", "agriculture")),
    Category("perdagangan", "Perdagangan, pasar dan UMKM", "Trade, markets and small businesses",
             "Pasar, harga barang, UMKM.", _SOSIAL, ("pasar", "umkm", "trade")),
    Category("administrasi_kependudukan", "Administrasi kependudukan",
             "Civil registration (ID card, family card, certificates)",
             "KTP-el, Kartu Keluarga, akta kelahiran, pindah domisili.", _ADMIN,
             ("kependudukan", "dukcapil", "ktp", "e_ktp", "kk", "akta")),
    Category("perizinan", "Perizinan dan penanaman modal", "Permits and investment",
             "Izin usaha, PBG, layanan OSS, penanaman modal.", _ADMIN, ("izin", "investasi", "permits")),
    Category("komunikasi_informatika", "Komunikasi dan informatika", "Communications and public information",
             "Informasi publik, layanan internet pemerintah.", _ADMIN, ("kominfo", "informasi_publik", "internet")),
    Category("ketertiban_umum", "Ketertiban umum", "Public order",
             "Gangguan ketertiban, pedagang kaki lima, bangunan liar.", _TATA,
             ("ketertiban", "satpol_pp", "pkl", "public_order")),
    Category("aparatur", "Perilaku aparatur dan pungutan liar", "Civil servants' conduct and illegal levies",
             "Pungutan liar, pelayanan tidak ramah, aparatur tidak disiplin.", _TATA,
             ("pungli", "asn", "kepegawaian", "pegawai")),
    Category("jaminan_kesehatan", "Jaminan kesehatan (BPJS Kesehatan, JKN-KIS)", "Health insurance (BPJS Kesehatan)",
             "Kepesertaan dan layanan BPJS Kesehatan, JKN-KIS.", _NASIONAL, ("bpjs", "bpjs_kesehatan", "jkn", "kis")),
    Category("jaminan_ketenagakerjaan", "Jaminan sosial ketenagakerjaan (BPJS Ketenagakerjaan)",
             "Employment social security (BPJS Ketenagakerjaan)",
             "JHT, jaminan kecelakaan kerja, BPJS Ketenagakerjaan.", _NASIONAL,
             ("bpjs_ketenagakerjaan", "bpjs_tk", "jht")),
    Category("listrik", "Listrik", "Electricity supply",
             "Pemadaman, sambungan baru, tagihan listrik PLN.", _NASIONAL, ("pln", "energi", "electricity")),
    Category("pertanahan", "Pertanahan dan sertifikat tanah", "Land and land titles",
             "Sertifikat tanah, sengketa pertanahan, BPN.", _NASIONAL, ("tanah", "sertifikat_tanah", "bpn", "land")),
    Category("perpajakan", "Perpajakan (pajak pusat)", "Taxes (central government)",
             "Pajak pusat, NPWP, layanan kantor pajak.", _NASIONAL, ("pajak", "npwp", "tax")),
    Category("keagamaan", "Keagamaan, haji dan pencatatan nikah", "Religious affairs, hajj and marriage registration",
             "Haji, KUA, pencatatan nikah, madrasah.", _NASIONAL, ("agama", "haji", "kua", "nikah", "madrasah")),
    Category(GENERAL, "Umum dan lainnya", "General and other matters",
             "Laporan yang tidak termasuk kategori lain.", _LAIN,
             ("lainnya", "lain_lain", "general", "other", "pelayanan_publik")),
)
"""In the order people choose from (grouped, the general category last)."""


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


@cache
def by_code() -> dict[str, Category]:
    """Every category by its code (aliases are not codes: use ``resolve``)."""
    return {c.code: c for c in CATEGORIES}


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
    """The category a code or alias names, in any case (``Jalan`` → ``infrastruktur``); None if unknown."""
    if not hint or not hint.strip():
        return None
    return _lookup().get(_key(hint))


def general() -> Category:
    return by_code()[GENERAL]


def resolve_or_general(hint: str | None) -> Category:
    """The category a hint names, or the general one when it names none we list."""
    return resolve(hint) or general()
