"""The complaint categories the adapters offer (Open311 ``services``, the web form, ``/api/v1/categories``).

The codes are routing's taxonomy (``services/routing/lapor_routing/categories.py``, served by routing
at ``GET /categories``), copied here because services share nothing but ``lapor_shared``: the
``code`` travels as the submission's ``category_hint`` and is the Open311 ``service_code``; the
aliases are what people and older apps send instead (``jalan``, ``ktp``, ``bpjs``). When routing adds
a category, add it here with the same code. Codes are stable; names may change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_id: str
    name_en: str
    description_id: str
    group: str
    aliases: tuple[str, ...] = ()


_LAYANAN, _INFRA, _ADMIN, _SOSIAL, _NASIONAL, _TATA = (
    "Layanan Dasar", "Infrastruktur dan Lingkungan", "Administrasi dan Perizinan", "Sosial dan Ekonomi",
    "Layanan Nasional", "Tata Kelola",
)

CATEGORIES: tuple[Category, ...] = (
    Category("infrastruktur", "Infrastruktur, jalan dan jembatan", "Infrastructure, roads and bridges",
             "Jalan rusak atau berlubang, jembatan, drainase, trotoar, lampu jalan.", _INFRA,
             ("jalan", "jembatan", "drainase", "pekerjaan_umum")),
    Category("perumahan", "Perumahan, permukiman dan air bersih", "Housing, settlements and clean water",
             "Air bersih dan PDAM, rumah tidak layak huni, permukiman.", _INFRA, ("permukiman", "air_bersih", "pdam")),
    Category("lingkungan_hidup", "Lingkungan hidup dan kebersihan", "Environment and waste",
             "Sampah tidak diangkut, pencemaran, kebersihan.", _INFRA, ("lingkungan", "sampah", "kebersihan")),
    Category("perhubungan", "Perhubungan dan transportasi", "Transport",
             "Angkutan umum, lalu lintas, parkir, terminal.", _INFRA, ("transportasi", "parkir", "lalu_lintas")),
    Category("penanggulangan_bencana", "Penanggulangan bencana", "Disaster management",
             "Banjir, longsor, kebakaran, dan penanganan bencana.", _INFRA, ("bencana", "banjir")),
    Category("kesehatan", "Kesehatan", "Health services",
             "Puskesmas, rumah sakit daerah, tenaga kesehatan, obat.", _LAYANAN, ("puskesmas", "rumah_sakit", "rsud")),
    Category("pendidikan", "Pendidikan", "Education",
             "Sekolah, PPDB, guru, pungutan sekolah.", _LAYANAN, ("sekolah", "ppdb")),
    Category("bantuan_sosial", "Bantuan sosial", "Social aid",
             "PKH, BLT, bantuan pangan, data penerima bantuan.", _SOSIAL, ("bansos", "pkh")),
    Category("perlindungan_perempuan_anak", "Perlindungan perempuan dan anak", "Protection of women and children",
             "Kekerasan terhadap perempuan dan anak, KDRT.", _SOSIAL, ("perlindungan_anak", "kdrt")),
    Category("ketenagakerjaan", "Ketenagakerjaan", "Employment and labour",
             "Upah, PHK, hubungan kerja, pelatihan kerja.", _SOSIAL, ("tenaga_kerja", "phk")),
    Category("pertanian", "Pertanian dan pangan", "Agriculture and food",
             "Pupuk, bibit, irigasi, harga pangan.", _SOSIAL, ("pangan", "pupuk")),
    Category("perdagangan", "Perdagangan, pasar dan UMKM", "Trade, markets and small businesses",
             "Pasar, harga barang, UMKM.", _SOSIAL, ("pasar", "umkm")),
    Category("administrasi_kependudukan", "Administrasi kependudukan", "Civil registration",
             "KTP-el, Kartu Keluarga, akta kelahiran, pindah domisili.", _ADMIN,
             ("kependudukan", "dukcapil", "ktp", "kk", "akta")),
    Category("perizinan", "Perizinan dan penanaman modal", "Permits and investment",
             "Izin usaha, PBG, layanan OSS, penanaman modal.", _ADMIN, ("izin", "investasi")),
    Category("komunikasi_informatika", "Komunikasi dan informatika", "Communications and public information",
             "Informasi publik, layanan internet pemerintah.", _ADMIN, ("kominfo", "informasi_publik")),
    Category("ketertiban_umum", "Ketertiban umum", "Public order",
             "Gangguan ketertiban, pedagang kaki lima, bangunan liar.", _TATA, ("ketertiban", "satpol_pp", "pkl")),
    Category("aparatur", "Perilaku aparatur dan pungutan liar", "Civil servants' conduct and illegal levies",
             "Pungutan liar, pelayanan tidak ramah, aparatur tidak disiplin.", _TATA, ("pungli", "asn", "pegawai")),
    Category("jaminan_kesehatan", "Jaminan kesehatan (BPJS Kesehatan, JKN-KIS)", "Health insurance (BPJS Kesehatan)",
             "Kepesertaan dan layanan BPJS Kesehatan, JKN-KIS.", _NASIONAL, ("bpjs", "bpjs_kesehatan", "jkn", "kis")),
    Category("jaminan_ketenagakerjaan", "Jaminan sosial ketenagakerjaan (BPJS Ketenagakerjaan)",
             "Employment social security", "JHT, jaminan kecelakaan kerja, BPJS Ketenagakerjaan.", _NASIONAL,
             ("bpjs_ketenagakerjaan", "bpjs_tk", "jht")),
    Category("listrik", "Listrik", "Electricity supply",
             "Pemadaman, sambungan baru, tagihan listrik PLN.", _NASIONAL, ("pln",)),
    Category("pertanahan", "Pertanahan dan sertifikat tanah", "Land and land titles",
             "Sertifikat tanah, sengketa pertanahan, BPN.", _NASIONAL, ("tanah", "bpn")),
    Category("perpajakan", "Perpajakan (pajak pusat)", "Taxes (central government)",
             "Pajak pusat, NPWP, layanan kantor pajak.", _NASIONAL, ("pajak", "npwp")),
    Category("keagamaan", "Keagamaan, haji dan pencatatan nikah", "Religious affairs, hajj and marriage registration",
             "Haji, KUA, pencatatan nikah, madrasah.", _NASIONAL, ("agama", "haji", "kua", "nikah")),
    Category("umum", "Umum dan lainnya", "General and other matters",
             "Laporan yang tidak termasuk kategori lain.", "Lainnya", ("lainnya", "lain_lain", "pelayanan_publik")),
)

_BY_KEY = {key: c for c in CATEGORIES for key in (c.code, *c.aliases)}
OTHER = _BY_KEY["umum"]


def _key(text: str | None) -> str:
    return (text or "").strip().lower().replace(" ", "_").replace("-", "_")


def by_code(code: str | None) -> Category | None:
    """The category of a code or one of its aliases (``jalan`` → ``infrastruktur``)."""
    return _BY_KEY.get(_key(code))


def for_hint(hint: str | None) -> Category:
    """The category a complaint's hint names, or ``umum`` when it names none we list."""
    return by_code(hint) or OTHER
