"""Words of the officer console: Bahasa Indonesia first, English second (formats: ``lapor_shared.web_pages``)."""

from __future__ import annotations

from collections.abc import Callable

from lapor_shared import statuses, web_pages
from lapor_shared.web_pages import pick

TEXTS: dict[str, tuple[str, str]] = {
    "site": ("LAPOR! Konsol Petugas", "LAPOR! Officer console"),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "login_intro": ("Konsol untuk petugas instansi: kerjakan laporan yang didisposisikan ke instansi Anda.",
                    "The console for agency officers: work the complaints routed to your agency."),
    "login_failed": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "demo_hint": ("Akun demo (hanya mode pengembangan): petugas.bdl, kepala.bdl, petugas.dinkes.bdl",
                  "Demo accounts (development only): petugas.bdl, kepala.bdl, petugas.dinkes.bdl"),
    "worklist": ("Daftar kerja", "Work list"),
    "open": ("Belum selesai", "Open"),
    "overdue": ("Terlambat", "Overdue"),
    "warning": ("Mendekati tenggat", "Due soon"),
    "on_time": ("Masih dalam tenggat", "On time"),
    "new": ("Baru", "New"),
    "replied": ("Ditanggapi pelapor", "Reporter replied"),
    "filter": ("Saring", "Filter"),
    "all": ("Semua", "All"),
    "search": ("Cari (nomor, judul, isi)", "Search (number, title, text)"),
    "status": ("Status", "Status"),
    "category": ("Kategori", "Category"),
    "region": ("Wilayah", "Region"),
    "tracking_number": ("Nomor pelacakan", "Tracking number"),
    "title": ("Judul", "Title"),
    "due_at": ("Tenggat", "Deadline"),
    "none": ("Tidak ada laporan.", "No complaints."),
    "live": ("Diperbarui otomatis", "Live"),
    "live_lost": ("Koneksi terputus, menyambung ulang …", "Connection lost, reconnecting …"),
    "back": ("Kembali ke daftar kerja", "Back to the work list"),
    "content": ("Isi laporan", "Complaint"),
    "confidential": ("Rahasia: hanya untuk instansi Anda dan tingkat di atasnya",
                     "Confidential: for your agency and the levels above only"),
    "anonymous": ("Pelapor anonim", "Anonymous reporter"),
    "reporter_note": ("Identitas pelapor tidak pernah ditampilkan di konsol.",
                      "The reporter's identity is never shown in the console."),
    "location": ("Lokasi", "Location"),
    "incident_date": ("Tanggal kejadian", "Incident date"),
    "attachments": ("Lampiran", "Attachments"),
    "evidence": ("Bukti (foto dan dokumen)", "Evidence (photos and documents)"),
    "evidence_files": ("Lampirkan foto atau dokumen PDF", "Attach photos or PDF documents"),
    "evidence_limits": ("Paling banyak %d berkas, %d MB per berkas, %d MB seluruhnya (JPEG, PNG, WebP, HEIC, PDF). "
                        "Data lokasi dan kamera dihapus dari foto.",
                        "At most %d files, %d MB each, %d MB in all (JPEG, PNG, WebP, HEIC, PDF). "
                        "Location and camera data are removed from photos."),
    "timeline": ("Riwayat", "Timeline"),
    "internal_note": ("Catatan internal (tidak untuk pelapor)", "Internal note (not for the reporter)"),
    "actions": ("Tindakan", "Actions"),
    "acknowledge": ("Terima laporan", "Acknowledge"),
    "respond": ("Kirim tindak lanjut", "Send follow-up"),
    "response_text": ("Tindak lanjut untuk pelapor", "Follow-up for the reporter"),
    "attachment_links": ("Tautan lampiran (https, satu per baris)", "Attachment links (https, one per line)"),
    "extend": ("Minta perpanjangan tenggat", "Request an extension"),
    "working_days": ("Hari kerja", "Working days"),
    "reason": ("Alasan", "Reason"),
    "preview": ("Lihat tenggat baru", "Show the new deadline"),
    "new_deadline": ("Tenggat baru", "New deadline"),
    "preview_note": ("Perkiraan menurut kalender hari kerja; tenggat resmi ditetapkan sistem.",
                     "Estimated with the working-day calendar; the system sets the official deadline."),
    "confirm": ("Kirim permintaan", "Send the request"),
    "cancel": ("Batal", "Cancel"),
    "resolve": ("Selesaikan laporan", "Resolve"),
    "closing_text": ("Keterangan penyelesaian (opsional)", "Closing note (optional)"),
    "forward": ("Limpahkan ke instansi lain", "Forward to another agency"),
    "find_agency": ("Cari instansi", "Find an agency"),
    "to_agency": ("Instansi tujuan", "Receiving agency"),
    "outcome": ("Hasil tindakan", "Outcome"),
    "pending": ("Menunggu jawaban sistem …", "Waiting for the system's answer …"),
    "accepted": ("Diterima", "Accepted"),
    "rejected": ("Ditolak", "Refused"),
    "forwarded_away": ("Laporan telah dilimpahkan dan tidak lagi di instansi Anda.",
                       "The complaint was forwarded and is no longer your agency's."),
    "figures": ("Kinerja instansi", "Agency figures"),
    "answered_on_time": ("Ditanggapi tepat waktu", "Answered on time"),
    "median_response": ("Median tanggapan pertama", "Median first response"),
    "rating": ("Penilaian pelapor", "Reporter rating"),
    "ratings": ("penilaian", "ratings"),
    "not_found": ("Halaman atau laporan tidak ditemukan.", "Page or complaint not found."),
    "forbidden": ("Anda tidak berwenang.", "You may not do this."),
    "csrf": ("Formulir kedaluwarsa; muat ulang halaman lalu coba lagi.",
             "The form expired; reload the page and try again."),
    "role_supervisor": ("Kepala unit", "Supervisor"),
    "role_officer": ("Petugas", "Officer"),
}

EVENT_LABELS: dict[str, tuple[str, str]] = {
    **statuses.EVENT_LABELS,
    "complaint.routed": ("Didisposisikan ke instansi", "Routed to the agency"),
    "complaint.responded": ("Tindak lanjut instansi", "Agency follow-up"),
    "complaint.reporter_replied": ("Tanggapan pelapor", "Reporter's reply"),
    "complaint.action_rejected": ("Tindakan ditolak", "Action refused"),
    "internal_note": ("Catatan internal", "Internal note"),
}
"""The platform's wording of the timeline (``lapor_shared.statuses``), a few entries as an agency reads them."""

COMMAND_LABELS: dict[str, str] = {
    "agency.acknowledge": "acknowledge", "agency.respond": "respond", "agency.request_extension": "extend",
    "agency.resolve": "resolve", "agency.forward": "forward",
}


def translator(lang: str) -> Callable[[str], str]:
    return web_pages.translator(TEXTS, lang)


def status_label(status: str, lang: str) -> str:
    return pick(lang, statuses.label(status))


def event_label(event_type: str, lang: str) -> str:
    return pick(lang, EVENT_LABELS.get(event_type, (event_type, event_type)))


def stage_label(stage: str, lang: str) -> str:
    return pick(lang, statuses.STAGE_LABELS.get(stage, (stage, stage)))


def command_label(command_type: str, lang: str) -> str:
    key = COMMAND_LABELS.get(command_type)
    return translator(lang)(key) if key else command_type
