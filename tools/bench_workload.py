"""Realistic complaints for benchmarks and chaos runs: every report type, ~20 categories, all 552
regions, a share of anonim and rahasia reports, and some re-sent channel messages (duplicates). Every
reporter leaves a contact of their own: an e-mail address and a phone number, or only one of them."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Channel, Location, ReporterContact, ReportType
from lapor_shared.regions import all_regions

CATEGORIES = [
    "kesehatan", "pendidikan", "infrastruktur", "administrasi_kependudukan", "perhubungan", "bantuan_sosial",
    "lingkungan_hidup", "perizinan", "ketenagakerjaan", "kepolisian", "pertanahan", "energi_listrik",
    "air_bersih", "perumahan", "pajak_retribusi", "pariwisata", "pertanian", "dana_desa", "komunikasi",
    "perbankan",
]
TOPICS = [
    ("Jalan berlubang di depan pasar", "Lubang besar di tengah jalan sudah dua minggu dan membahayakan pengendara."),
    ("Antrean BPJS terlalu lama", "Pasien lansia harus mengantre lebih dari lima jam di puskesmas tanpa kepastian."),
    ("Bantuan sosial tidak sampai", "Nama keluarga kami terdaftar sebagai penerima tetapi bantuan belum diterima."),
    ("Sampah menumpuk di sungai", "Warga membuang sampah ke sungai karena tidak ada pengangkutan selama sebulan."),
    ("Pengurusan KTP elektronik lambat", "Sudah tiga bulan menunggu pencetakan KTP-el tanpa kabar dari kecamatan."),
    ("Usulan taman bermain anak", "Kami mengusulkan lahan kosong di kelurahan dijadikan taman bermain anak."),
    ("Informasi jadwal vaksinasi", "Mohon informasi jadwal vaksinasi campak untuk balita di wilayah kami."),
]
CHANNELS = [Channel.WEB, Channel.MOBILE, Channel.SMS, Channel.TWITTER, Channel.CALL_CENTRE, Channel.OPEN311]


PIPELINE_ENV = {
    # the pipeline is measured up to the notification being recorded; outside providers (SMTP, SMS
    # gateway, agency webhooks) are not part of it and are not running on a benchmark machine
    "LAPOR_SMTP__PROVIDER": "disabled",
    "LAPOR_SMS__PROVIDER": "disabled",
    "LAPOR_WEBHOOKS__PROVIDER": "disabled",
    # abuse limits protect a national platform from floods; a benchmark is a flood on purpose
    "LAPOR_CHANNEL_RATE_LIMIT": "100000000",
    "LAPOR_REPORTER_RATE_LIMIT": "100000000",
}


class Workload:
    """Deterministic for a seed: the same run can be repeated and compared."""

    def __init__(self, seed: int = 1708, *, anonymous_share: float = 0.2, confidential_share: float = 0.1,
                 duplicate_share: float = 0.02, email_only_share: float = 0.25,
                 phone_only_share: float = 0.15) -> None:
        self.rng = random.Random(seed)
        self.regions = sorted(c for c, r in all_regions().items() if r.level != "province")
        self.provinces = sorted(c for c, r in all_regions().items() if r.level == "province")
        self.anonymous_share = anonymous_share
        self.confidential_share = confidential_share
        self.duplicate_share = duplicate_share
        self.email_only_share = email_only_share
        self.phone_only_share = phone_only_share
        self.sent: list[Envelope[ComplaintSubmitted]] = []

    def next(self) -> Envelope[ComplaintSubmitted]:
        """A new complaint, or now and then the re-send of an earlier channel message."""
        if self.sent and self.rng.random() < self.duplicate_share:
            earlier = self.rng.choice(self.sent)
            return Envelope.new(earlier.payload, producer="bench-adapter")  # same channel message id
        rng = self.rng
        title, description = rng.choice(TOPICS)
        report_type = rng.choice(list(ReportType))
        code = rng.choice(self.regions if rng.random() < 0.9 else self.provinces)
        n = len(self.sent)
        payload = ComplaintSubmitted(
            channel=rng.choice(CHANNELS),
            channel_message_id=f"bench-{uuid.UUID(int=rng.getrandbits(128)).hex}",
            report_type=report_type.value,
            title=f"{title} #{n}",
            description=f"{description} (laporan uji {n})",
            incident_date=date.today() - timedelta(days=rng.randint(0, 30)),
            location=Location(region_code=code),
            category_hint=rng.choice(CATEGORIES),
            reporter=self._contact(n),
            anonymous=rng.random() < self.anonymous_share,
            confidential=rng.random() < self.confidential_share,
            submitted_at=datetime.now(UTC),
        )
        envelope = Envelope.new(payload, producer="bench-adapter")
        self.sent.append(envelope)
        return envelope

    def _contact(self, n: int) -> ReporterContact:
        """Each reporter's own contact: most leave an e-mail address and a phone number, some only one."""
        phone = f"+62812{self.rng.randint(10**6, 10**7 - 1)}"
        email = f"pelapor.{n}.{self.rng.getrandbits(32):08x}@example.org"
        draw = self.rng.random()
        if draw < self.email_only_share:
            return ReporterContact(name=f"Pelapor {n}", email=email)
        if draw < self.email_only_share + self.phone_only_share:
            return ReporterContact(name=f"Pelapor {n}", phone=phone)
        return ReporterContact(name=f"Pelapor {n}", phone=phone, email=email)
