"""Import a regional call centre's CSV export: ``python -m lapor_intake.adapters.call_centre_import FILE.csv``.

Each row becomes a ``complaint.submitted`` on ``lapor.submissions`` (channel ``call_centre``) whose
channel message id is ``<source>:<row id>``, so running the same file again never files a complaint
twice. The command checks what it can locally (required columns, dates, flags, numbers) and reports
each bad row by its line number, publishes the good rows, waits for intake's answers on
``lapor.submissions.results`` (read from the beginning, so a re-run also learns the answers of the
first run), prints a summary and writes ``FILE.hasil.csv`` next to the input.

Columns (header names are case-insensitive; English aliases in brackets; * = required):
  id_baris* (row_id)            the export's own id of the row; with --source it makes the message id
  judul* (title)                 isi_laporan* (description)
  jenis_laporan (report_type)    pengaduan | aspirasi | permintaan_informasi (default pengaduan)
  tanggal_kejadian (incident_date)  2025-03-01 or 01/03/2025
  waktu_laporan (received_at)    when the call was taken: 2025-03-01 09:30 (WIB) or ISO 8601 with offset
  kode_wilayah (region_code)     Kemendagri code, e.g. 18.71
  lokasi (location)   lintang (latitude)   bujur (longitude)
  kategori (category)            instansi_tujuan (target_agency)
  nama_pelapor (name)   telepon (phone)   email
  anonim (anonymous)    rahasia (confidential)   ya/tidak, true/false, 1/0

Exit status: 0 every row accepted; 1 some row rejected, invalid or unanswered; 2 the file cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Protocol, TextIO
from zoneinfo import ZoneInfo

from aiokafka.errors import KafkaError

from lapor_intake.adapters.contract import SubmissionProblem, build_submission, normalise_phone, parse_bool
from lapor_shared.events import DecodeError, Envelope, decode, encode, headers_of
from lapor_shared.events.intake import ComplaintAccepted, ComplaintRejected
from lapor_shared.events.values import Channel, ReportType
from lapor_shared.topics import SUBMISSION_RESULTS, SUBMISSIONS, key_of

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

STATUS_ACCEPTED, STATUS_REJECTED, STATUS_INVALID, STATUS_UNANSWERED = "diterima", "ditolak", "galat", "menunggu"


class ImportFailed(Exception):
    """The file as a whole cannot be imported (missing, unreadable, required columns absent)."""


@dataclass
class Row:
    line: int
    row_id: str
    message_id: str | None = None
    envelope: Envelope[Any] | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class RowResult:
    line: int
    row_id: str
    status: str
    tracking_number: str = ""
    reasons: str = ""


# --- reading the file --------------------------------------------------------------------------


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
        value = None
        for fmt in _DATETIME_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if value is None:
            raise
    return value if value.tzinfo else value.replace(tzinfo=JAKARTA)


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


def read_rows(path: Path, *, source: str, encoding: str = "utf-8-sig", now: datetime | None = None) -> list[Row]:
    """Every data row of the file, each either with its envelope or with its errors."""
    now = now or datetime.now(UTC)
    try:
        text = path.read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"berkas tidak dapat dibaca / cannot read {path}: {exc}") from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(keepends=True), dialect)
    header = next(reader, None)
    if not header:
        raise ImportFailed("berkas kosong / the file is empty")
    columns = _header_map(header)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: (record[i] if i < len(record) else "") for name, i in columns.items()}
        row = _row(start, cells, source, now)
        if row.row_id and row.row_id in seen:
            row.errors.append(f"id_baris {row.row_id!r} sudah dipakai di baris {seen[row.row_id]} / duplicate row id")
            row.envelope = None
        elif row.row_id:
            seen[row.row_id] = start
        rows.append(row)
    return rows


# --- intake's answers ----------------------------------------------------------------------------


class OutcomeBook:
    """Intake's answers to call-centre messages, as they arrive on the results topic."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Event()

    def record(self, envelope: Envelope[Any]) -> None:
        payload = envelope.payload
        if isinstance(payload, ComplaintAccepted) and str(payload.channel) == CHANNEL:
            self.answers[payload.channel_message_id] = {"status": STATUS_ACCEPTED,
                                                        "tracking_number": envelope.tracking_number or ""}
        elif isinstance(payload, ComplaintRejected) and str(payload.channel) == CHANNEL:
            if self.answers.get(payload.channel_message_id, {}).get("status") == STATUS_ACCEPTED:
                return  # an accepted message stays accepted
            self.answers[payload.channel_message_id] = {
                "status": STATUS_REJECTED,
                "reasons": "; ".join(f"{r.message_id} ({r.message_en})" for r in payload.reasons),
            }
        else:
            return
        self._changed.set()

    def record_raw(self, body: bytes | None) -> None:
        try:
            self.record(decode(body))
        except DecodeError:
            pass

    async def wait_for(self, ids: set[str], timeout: float, progress: Callable[[int], None]) -> None:
        deadline = time.monotonic() + timeout
        while True:
            answered = len(ids & self.answers.keys())
            progress(answered)
            remaining = deadline - time.monotonic()
            if answered == len(ids) or remaining <= 0:
                return
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 1.0))
            except TimeoutError:
                pass


class Transport(Protocol):
    book: OutcomeBook

    async def publish(self, envelope: Envelope[Any]) -> None: ...


class KafkaTransport:
    """Plain aiokafka, as any outside adapter: a producer for submissions, and a consumer that reads
    the results topic from the beginning in a group of its own."""

    def __init__(self, bootstrap: str, client_options: dict[str, Any] | None = None) -> None:
        self.bootstrap = bootstrap
        self.client_options = dict(client_options or {})  # TLS / SASL, as intake's own settings give them
        self.book = OutcomeBook()
        self._producer: Any = None
        self._consumer: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> KafkaTransport:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5,
                                          **self.client_options)
        self._consumer = AIOKafkaConsumer(
            SUBMISSION_RESULTS.name, bootstrap_servers=self.bootstrap, auto_offset_reset="earliest",
            # under intake's group prefix, so the import runs with intake's Kafka credentials and ACLs
            group_id=f"lapor-intake-call-centre-import-{uuid.uuid4().hex[:12]}", enable_auto_commit=False,
            **self.client_options,
        )
        await self._producer.start()
        await self._consumer.start()
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    self.book.record_raw(record.value)

    async def publish(self, envelope: Envelope[Any]) -> None:
        await self._producer.send_and_wait(
            SUBMISSIONS.name, encode(envelope), key=key_of(envelope, SUBMISSIONS.name),
            headers=[(k, v.encode()) for k, v in headers_of(envelope).items()],
        )

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        await self._consumer.stop()
        await self._producer.stop()


# --- the import ------------------------------------------------------------------------------------


class Progress:
    """One progress line on a terminal; a line per quarter otherwise."""

    def __init__(self, stream: TextIO, label: str, total: int) -> None:
        self._stream, self._label, self._total = stream, label, total
        self._tty = stream.isatty()
        self._shown = -1

    def __call__(self, done: int) -> None:
        if self._tty:
            self._stream.write(f"\r{self._label}: {done}/{self._total}")
            if done >= self._total:
                self._stream.write("\n")
        else:
            quarter = done * 4 // max(self._total, 1)
            if quarter != self._shown:
                self._shown = quarter
                self._stream.write(f"{self._label}: {done}/{self._total}\n")
        self._stream.flush()


@dataclass
class ImportReport:
    results: list[RowResult]
    output: Path

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def exit_code(self) -> int:
        return 0 if all(r.status == STATUS_ACCEPTED for r in self.results) else 1


def write_results(path: Path, results: list[RowResult]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["baris", "id_baris", "status", "nomor_pelacakan", "alasan"])
        for r in results:
            writer.writerow([r.line, r.row_id, r.status, r.tracking_number, r.reasons])


def output_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.hasil.csv")


async def run_import(
    path: Path, transport: Transport, *, source: str, timeout: float = 120.0, out: TextIO | None = None,
    encoding: str = "utf-8-sig",
) -> ImportReport:
    out = out or sys.stderr
    rows = read_rows(path, source=source, encoding=encoding)
    for row in rows:
        if row.errors:
            out.write(f"baris {row.line} (id_baris {row.row_id or '?'}): {'; '.join(row.errors)}\n")
    good = [row for row in rows if row.envelope is not None]
    sending = Progress(out, "mengirim / publishing", len(good))
    sending(0)
    for i, row in enumerate(good, 1):
        assert row.envelope is not None
        await transport.publish(row.envelope)
        sending(i)
    ids = {row.message_id for row in good if row.message_id}
    await transport.book.wait_for(ids, timeout, Progress(out, "menunggu jawaban / awaiting answers", len(ids)))
    results = []
    for row in rows:
        if row.errors:
            results.append(RowResult(row.line, row.row_id, STATUS_INVALID, reasons="; ".join(row.errors)))
            continue
        answer = transport.book.answers.get(row.message_id or "")
        if answer is None:
            results.append(RowResult(row.line, row.row_id, STATUS_UNANSWERED,
                                     reasons=f"belum ada jawaban dalam {timeout:g} detik / no answer yet"))
        else:
            results.append(RowResult(row.line, row.row_id, answer["status"], answer.get("tracking_number", ""),
                                     answer.get("reasons", "")))
    report = ImportReport(results, output_path(path))
    write_results(report.output, results)
    _summary(report, out)
    return report


def _summary(report: ImportReport, out: IO[str]) -> None:
    out.write(
        f"\nRingkasan / summary: {len(report.results)} baris\n"
        f"  diterima (accepted) : {report.count(STATUS_ACCEPTED)}\n"
        f"  ditolak  (rejected) : {report.count(STATUS_REJECTED)}\n"
        f"  galat    (invalid)  : {report.count(STATUS_INVALID)}\n"
        f"  menunggu (no answer): {report.count(STATUS_UNANSWERED)}\n"
    )
    for r in report.results:
        if r.status == STATUS_REJECTED:
            out.write(f"  baris {r.line} (id_baris {r.row_id}) ditolak: {r.reasons}\n")
    out.write(f"Hasil ditulis ke / results written to {report.output}\n")


def _kafka_from_settings() -> tuple[str, dict[str, Any]]:
    """Intake's broker address and connection security (LAPOR_KAFKA_* variables)."""
    from lapor_intake.settings import IntakeSettings

    kafka = IntakeSettings().kafka
    return kafka.bootstrap_servers, kafka.client_options()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lapor_intake.adapters.call_centre_import",
        description="Impor CSV pusat panggilan ke LAPOR! / import a call-centre CSV export into LAPOR!",
    )
    parser.add_argument("file", type=Path, help="the CSV export (comma, semicolon or tab separated)")
    parser.add_argument("--bootstrap", default=None,
                        help="Kafka bootstrap servers (default: LAPOR_KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:19092)")
    parser.add_argument("--source", default="pusat-panggilan",
                        help="name of the call centre, e.g. lampung; part of every message id (keep it the same"
                             " when re-running a file)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for intake's answers")
    parser.add_argument("--encoding", default="utf-8-sig", help="file encoding (default utf-8, BOM allowed)")
    args = parser.parse_args(argv)

    async def run() -> ImportReport:
        bootstrap, client_options = _kafka_from_settings()
        async with KafkaTransport(args.bootstrap or bootstrap, client_options) as transport:
            return await run_import(args.file, transport, source=args.source, timeout=args.timeout,
                                    encoding=args.encoding)

    try:
        read_rows(args.file, source=args.source, encoding=args.encoding)  # a broken file fails before connecting
        report = asyncio.run(run())
    except ImportFailed as exc:
        print(f"galat / error: {exc}", file=sys.stderr)
        return 2
    except KafkaError as exc:
        print(f"galat / error: Kafka tidak dapat dihubungi / cannot reach Kafka: {exc!r}", file=sys.stderr)
        return 2
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
