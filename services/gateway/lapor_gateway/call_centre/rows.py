"""Reading a call centre's CSV export, one record at a time (``importer`` publishes the rows).

Header names are case-insensitive, with English aliases (``COLUMNS``); the delimiter (comma,
semicolon or tab) is sniffed. Each data row becomes a ``Row`` with its ``complaint.submitted``
envelope, or with the reasons it cannot be one, and its first line number in the file. The file is
never held in memory whole; a row the CSV reader cannot read (an unclosed quote swallowing the lines
after it, bytes that are not valid text, a control character or text-direction override) is one
broken row, and reading resumes on the line after its first.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from lapor_gateway.contract import SubmissionProblem, build_submission, normalise_phone, parse_bool
from lapor_shared.events import Envelope
from lapor_shared.events.values import Channel, ReportType
from lapor_shared.safejson import refused_character

JAKARTA = ZoneInfo("Asia/Jakarta")
CHANNEL = Channel.CALL_CENTRE.value

COLUMNS: dict[str, tuple[str, ...]] = {
    "row_id": ("id_baris", "row_id", "id", "no_tiket", "ticket_id"),
    "title": ("judul", "title"),
    "description": ("isi_laporan", "description", "uraian"),
    "report_type": ("jenis_laporan", "report_type"),
    "incident_date": ("tanggal_kejadian", "incident_date"),
    "received_at": ("waktu_laporan", "received_at"),
    "region_code": ("kode_wilayah", "region_code"),
    "location": ("lokasi", "location"),
    "latitude": ("lintang", "latitude", "lat"),
    "longitude": ("bujur", "longitude", "long", "lng"),
    "category": ("kategori", "category"),
    "target_agency": ("instansi_tujuan", "target_agency"),
    "name": ("nama_pelapor", "nama", "name"),
    "phone": ("telepon", "no_hp", "phone"),
    "email": ("email", "surel"),
    "anonymous": ("anonim", "anonymous"),
    "confidential": ("rahasia", "confidential"),
}
REQUIRED = ("row_id", "title", "description")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")

MAX_FILE_BYTES = 100 * 1024 * 1024
"""Largest file imported in one run (``--max-bytes``)."""
MAX_RECORD_LINES = 200
MAX_RECORD_CHARS = 100_000
"""A record longer than this is an unclosed quote swallowing the rows after it, not a row."""
_NOT_TEXT = re.compile("[\udc80-\udcff]")
"""Bytes that were not valid in the file's encoding (kept as surrogates when reading)."""


class ImportFailed(Exception):
    """The file as a whole cannot be imported (missing, unreadable, required columns absent)."""


@dataclass
class Row:
    line: int
    row_id: str
    message_id: str | None = None
    envelope: Envelope[Any] | None = None
    errors: list[str] = field(default_factory=list)


def _header_map(header: list[str]) -> dict[str, int]:
    positions = {h.strip().lower().replace(" ", "_"): i for i, h in enumerate(header)}
    found = {}
    for name, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in positions:
                found[name] = positions[alias]
                break
    missing = [COLUMNS[name][0] for name in REQUIRED if name not in found]
    if missing:
        raise ImportFailed(f"kolom wajib tidak ada / required columns missing: {', '.join(missing)}")
    return found


def _date(text: str) -> date:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _received_at(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = _local_datetime(text)
    return value if value.tzinfo else value.replace(tzinfo=JAKARTA)


def _local_datetime(text: str) -> datetime:
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(text)


def _row(line: int, cells: dict[str, str], source: str, now: datetime) -> Row:
    row = Row(line=line, row_id=cells.get("row_id", "").strip())
    errors = row.errors
    if not row.row_id:
        errors.append("id_baris kosong / row id is empty")
    for name in ("title", "description"):
        if not cells.get(name, "").strip():
            errors.append(f"{COLUMNS[name][0]} wajib diisi / {name} is required")
    report_type = cells.get("report_type", "").strip().lower() or ReportType.PENGADUAN.value
    if report_type not in {t.value for t in ReportType}:
        errors.append(f"jenis_laporan {report_type!r} tidak dikenal (pengaduan, aspirasi, permintaan_informasi)")
    incident: date | None = None
    if cells.get("incident_date", "").strip():
        try:
            incident = _date(cells["incident_date"].strip())
        except ValueError:
            errors.append(f"tanggal_kejadian {cells['incident_date']!r} tidak valid (TTTT-BB-HH atau HH/BB/TTTT)")
        else:
            if incident > now.astimezone(JAKARTA).date():
                errors.append(f"tanggal_kejadian {incident.isoformat()} berada di masa depan / is in the future")
    received = now
    if cells.get("received_at", "").strip():
        try:
            received = _received_at(cells["received_at"].strip())
        except ValueError:
            errors.append(f"waktu_laporan {cells['received_at']!r} tidak valid (TTTT-BB-HH JJ:MM)")
        else:
            if received > now:
                errors.append(f"waktu_laporan {cells['received_at']!r} berada di masa depan / is in the future")
    flags = {}
    for name in ("anonymous", "confidential"):
        value = parse_bool(cells.get(name, ""))
        if value is None:
            errors.append(f"{COLUMNS[name][0]} {cells[name]!r} harus ya/tidak / must be yes or no")
        flags[name] = bool(value)
    coordinates: dict[str, float | None] = {}
    for name in ("latitude", "longitude"):
        text = cells.get(name, "").strip().replace(",", ".")
        try:
            coordinates[name] = float(text) if text else None
        except ValueError:
            errors.append(f"{COLUMNS[name][0]} {cells[name]!r} bukan angka / is not a number")
    if errors:
        return row
    contact = {"name": cells.get("name", "").strip() or None, "phone": normalise_phone(cells.get("phone")),
               "email": cells.get("email", "").strip() or None}
    row.message_id = f"{source}:{row.row_id}"
    try:
        submission = build_submission({
            "channel": CHANNEL,
            "channel_message_id": row.message_id,
            "report_type": report_type,
            "title": cells["title"],
            "description": cells["description"],
            "incident_date": incident,
            "location": {"region_code": cells.get("region_code", "").strip() or None,
                         "text": cells.get("location", "").strip() or None, **coordinates},
            "category_hint": cells.get("category", "").strip() or None,
            "target_agency_hint": cells.get("target_agency", "").strip() or None,
            "reporter": contact if any(contact.values()) else None,
            **flags,
            "submitted_at": received,
        })
    except SubmissionProblem as exc:
        errors.extend(r["message_id"] for r in exc.reasons)
        return row
    row.envelope = Envelope.new(submission, producer="adapter-call-centre-import")
    return row


class RecordTooLong(Exception):
    """A record that spans more lines or characters than any real row does (an unclosed quote)."""


class _Lines:
    """The file's physical lines for the CSV reader, numbered; the lines of the record being read are
    kept, so that a broken record can give back all but its first line to a fresh reader."""

    def __init__(self, handle: IO[str]) -> None:
        self._source = iter(handle)
        self._given_back: deque[tuple[int, str]] = deque()
        self._record: list[tuple[int, str]] = []
        self._chars = 0
        self._next_number = 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._given_back:
            number, line = self._given_back.popleft()
        else:
            line = next(self._source)
            number, self._next_number = self._next_number, self._next_number + 1
        self._record.append((number, line))
        self._chars += len(line)
        if len(self._record) > MAX_RECORD_LINES or self._chars > MAX_RECORD_CHARS:
            raise RecordTooLong()
        return line

    def record_read(self) -> int:
        """The first line number of the record just read (0 at the end of the file)."""
        first = self._record[0][0] if self._record else 0
        self._record, self._chars = [], 0
        return first

    def give_back(self) -> int:
        """Forget the broken record but its first line; returns that line's number."""
        first = self._record[0][0] if self._record else self._next_number
        self._given_back.extendleft(reversed(self._record[1:]))
        self._record, self._chars = [], 0
        return first


def _open(path: Path, encoding: str, max_bytes: int) -> IO[str]:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ImportFailed(f"berkas terlalu besar / the file is too large: {size} bita/bytes, batas/limit "
                               f"{max_bytes} (--max-bytes); bagi berkas / split the file")
        # bytes that are not valid text are kept as surrogates, so that only their row is refused
        return path.open(encoding=encoding, errors="surrogateescape", newline="")
    except (OSError, LookupError) as exc:
        raise ImportFailed(f"berkas tidak dapat dibaca / cannot read {path}: {exc}") from exc


def _dialect(handle: IO[str]) -> Any:
    head = handle.read(4096)
    handle.seek(0)
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _cell_problems(cells: dict[str, str]) -> list[str]:
    problems = []
    for name, value in cells.items():
        if _NOT_TEXT.search(value):
            problems.append(f"{COLUMNS[name][0]} bukan teks UTF-8 yang valid / is not valid UTF-8 text")
        elif (bad := refused_character(value)) is not None:
            problems.append(f"{COLUMNS[name][0]} berisi karakter kontrol {bad} / holds the control character {bad}")
    return problems


def iter_rows(path: Path, *, source: str, encoding: str = "utf-8-sig", now: datetime | None = None,
              max_bytes: int = MAX_FILE_BYTES) -> Iterator[Row]:
    """Every data row of the file, one at a time (the file is never held in memory), each either with
    its envelope or with its errors. A record the CSV reader cannot read (an unclosed quote swallowing
    the lines after it, a field over the limit) is one broken row; reading resumes on its next line."""
    now = now or datetime.now(UTC)
    with _open(path, encoding, max_bytes) as handle:
        dialect = _dialect(handle)
        lines = _Lines(handle)
        reader = csv.reader(lines, dialect)
        try:
            header = next(reader, None)
        except (csv.Error, RecordTooLong):
            header = None
        lines.record_read()
        if not header:
            raise ImportFailed("berkas kosong atau baris judul kolom rusak / the file is empty or its header is broken")
        columns = _header_map(header)
        seen: dict[str, int] = {}
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except (csv.Error, RecordTooLong) as exc:
                line = lines.give_back()
                reader = csv.reader(lines, dialect)
                why = "terlalu panjang" if isinstance(exc, RecordTooLong) else f"tidak dapat dibaca ({exc})"
                yield Row(line=line, row_id="", errors=[
                    f"baris {why}: tanda kutip tidak ditutup? / the row cannot be read (an unclosed quote?)"])
                continue
            start = lines.record_read()
            if not any(cell.strip() for cell in record):
                continue
            cells = {name: (record[i] if i < len(record) else "") for name, i in columns.items()}
            problems = _cell_problems(cells)
            if problems:
                row_id = cells.get("row_id", "").strip()
                shown = row_id if not (_NOT_TEXT.search(row_id) or refused_character(row_id)) else ""
                row = Row(line=start, row_id=shown, errors=problems)
            else:
                row = _row(start, cells, source, now)
            if row.row_id and row.row_id in seen:
                first = seen[row.row_id]
                row.errors.append(f"id_baris {row.row_id!r} sudah dipakai di baris {first} / duplicate row id")
                row.envelope = None
            elif row.row_id:
                seen[row.row_id] = start
            yield row


def read_rows(path: Path, *, source: str, encoding: str = "utf-8-sig", now: datetime | None = None,
              max_bytes: int = MAX_FILE_BYTES) -> list[Row]:
    """``iter_rows`` as a list (small files)."""
    return list(iter_rows(path, source=source, encoding=encoding, now=now, max_bytes=max_bytes))


def check_file(path: Path, *, encoding: str = "utf-8-sig", max_bytes: int = MAX_FILE_BYTES) -> None:
    """ImportFailed when the file is too large, unreadable or lacks a required column (before connecting)."""
    with _open(path, encoding, max_bytes) as handle:
        try:
            header = next(csv.reader(_Lines(handle), _dialect(handle)), None)
        except (csv.Error, RecordTooLong):
            header = None
    if not header:
        raise ImportFailed("berkas kosong atau baris judul kolom rusak / the file is empty or its header is broken")
    _header_map(header)
