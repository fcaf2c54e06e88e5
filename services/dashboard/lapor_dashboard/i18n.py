"""Words and number formats of the dashboard: Bahasa Indonesia first, English second."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from lapor_shared import statuses, web_pages
from lapor_shared.web_pages import LANGS, MONTHS_EN, MONTHS_ID, decimal, duration, pick, when

__all__ = ["LANGS", "decimal", "duration", "pick", "when"]

TEXTS: dict[str, tuple[str, str]] = {
    "site": ("LAPOR! Dasbor Pengawasan", "LAPOR! Oversight dashboard"),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "login_intro": ("Dasbor untuk pemantau pengaduan: kabupaten/kota, provinsi dan nasional.",
                    "The dashboard for complaint monitors: regencies and cities, provinces, the nation."),
    "login_failed": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "scope": ("Wilayah pantauan", "Your scope"),
    "figures_of": ("Angka untuk", "Figures for"),
    "live": ("Diperbarui otomatis", "Live"),
    "live_lost": ("Koneksi terputus, menyambung ulang …", "Connection lost, reconnecting …"),
    "updated": ("Pembaruan terakhir", "Last update"),
    "total": ("Jumlah laporan", "Complaints"),
    "open": ("Belum selesai", "Open"),
    "overdue_now": ("Terlambat sekarang", "Overdue now"),
    "on_time": ("Ditanggapi tepat waktu", "Answered on time"),
    "on_time_hint": ("dari laporan yang sudah ditanggapi atau sudah lewat tenggat",
                     "of those answered or past their deadline"),
    "median_response": ("Median waktu tanggapan pertama", "Median time to first response"),
    "escalations": ("Eskalasi", "Escalations"),
    "satisfaction": ("Kepuasan pelapor", "Satisfaction"),
    "ratings": ("penilaian", "ratings"),
    "ratings_count": ("Jumlah penilaian", "Ratings"),
    "by_status": ("Laporan menurut status", "Complaints by status"),
    "trend": ("Tren", "Trend"),
    "trend_daily": ("Tren harian (30 hari)", "Daily trend (30 days)"),
    "trend_weekly": ("Tren mingguan (12 minggu)", "Weekly trend (12 weeks)"),
    "received": ("Masuk", "Received"),
    "responded_series": ("Ditanggapi", "Answered"),
    "closed_series": ("Selesai", "Closed"),
    "period": ("Periode", "Period"),
    "children_ranking": ("Peringkat wilayah (terburuk di atas)", "Jurisdictions, worst first"),
    "agency_ranking": ("Peringkat instansi (terburuk di atas)", "Agencies, worst first"),
    "overdue_list": ("Laporan terlambat (paling lama di atas)", "Overdue complaints, latest first"),
    "overdue_chart": ("Belum selesai dan terlambat per wilayah", "Open and overdue by jurisdiction"),
    "none_overdue": ("Tidak ada laporan yang terlambat.", "No complaint is overdue."),
    "jurisdiction": ("Wilayah", "Jurisdiction"),
    "agency": ("Instansi", "Agency"),
    "category": ("Kategori", "Category"),
    "status": ("Status", "Status"),
    "count": ("Jumlah", "Count"),
    "tracking_number": ("Nomor pelacakan", "Tracking number"),
    "title": ("Judul", "Title"),
    "due_at": ("Tenggat", "Deadline"),
    "late_by": ("Terlambat", "Late by"),
    "stage": ("Tahap", "Stage"),
    "own_level": ("Instansi tingkat ini", "Agencies at this level"),
    "own_level_national": ("Instansi pusat", "National bodies"),
    "unassigned": ("Belum didisposisikan", "Not yet assigned"),
    "csv": ("Unduh CSV", "Download CSV"),
    "no_data": ("Belum ada data", "No data yet"),
    "history": ("Riwayat laporan", "Complaint history"),
    "evidence": ("Bukti (foto dan dokumen)", "Evidence (photos and documents)"),
    "evidence_from_agency": ("dari tanggapan instansi", "from the agency's response"),
    "event": ("Peristiwa", "Event"),
    "time": ("Waktu", "Time"),
    "status_after": ("Status sesudahnya", "Status after"),
    "details": ("Keterangan", "Details"),
    "back": ("Kembali ke dasbor", "Back to the dashboard"),
    "report_type": ("Jenis laporan", "Report type"),
    "confidential": ("Rahasia", "Confidential"),
    "rating": ("Penilaian", "Rating"),
    "forbidden": ("Anda tidak berwenang melihat wilayah ini.", "You may not see this jurisdiction."),
    "forbidden_hint": ("Wilayah pantauan Anda:", "Your scope:"),
    "not_found": ("Halaman atau laporan tidak ditemukan.", "Page or complaint not found."),
    "privacy_note": ("Identitas pelapor tidak pernah ditampilkan; isi laporan rahasia hanya untuk instansi "
                     "yang bertanggung jawab dan tingkat di atasnya.",
                     "Reporters are never identified; confidential content is shown only to the responsible "
                     "agency and the levels above it."),
    "demo_hint": ("Akun demo: lampung, bandarlampung, nasional", "Demo accounts: lampung, bandarlampung, nasional"),
    "day": ("hari", "days"),
    "hour": ("jam", "h"),
    "minute": ("mnt", "min"),
    "nation": ("Nasional", "National"),
}

STATUS_LABELS: dict[str, tuple[str, str]] = {status.value: pair for status, pair in statuses.LABELS.items()}
"""The platform's one wording of each status (``lapor_shared.statuses``)."""

EVENT_LABELS = statuses.EVENT_LABELS

STAGE_LABELS = statuses.STAGE_LABELS


def translator(lang: str) -> Callable[[str], str]:
    return web_pages.translator(TEXTS, lang)


def status_label(status: str, lang: str) -> str:
    return pick(lang, STATUS_LABELS.get(status, (status, status)))


def event_label(event_type: str, lang: str) -> str:
    return pick(lang, EVENT_LABELS.get(event_type, (event_type, event_type)))


def stage_label(stage: str | None, lang: str) -> str:
    return pick(lang, STAGE_LABELS.get(stage, (stage, stage))) if stage else ""


def percent(share: float | None, lang: str) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


def day_label(d: date, lang: str) -> str:
    months = MONTHS_EN if lang == "en" else MONTHS_ID
    return f"{d.day} {months[d.month - 1]}"
