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

The file is read one record at a time and each good row is published as it is read, so a file of
hundreds of thousands of rows takes little memory; a row the CSV reader cannot read (an unclosed
quote, bytes that are not UTF-8, a control character) is reported by its line and the rest is
imported. Files over ``--max-bytes`` (100 MB by default) are refused: split them.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, TextIO

from aiokafka.errors import KafkaError

from lapor_intake.adapters.call_centre_csv import (
    CHANNEL,
    COLUMNS,
    MAX_FILE_BYTES,
    ImportFailed,
    Row,
    check_file,
    iter_rows,
    read_rows,
)
from lapor_shared.events import DecodeError, Envelope, decode, encode, headers_of
from lapor_shared.events.intake import ComplaintAccepted, ComplaintRejected
from lapor_shared.topics import SUBMISSION_RESULTS, SUBMISSIONS, key_of

__all__ = ["COLUMNS", "ImportFailed", "KafkaTransport", "OutcomeBook", "Row", "RowResult", "Transport", "check_file",
           "iter_rows", "main", "read_rows", "run_import"]

STATUS_ACCEPTED, STATUS_REJECTED, STATUS_INVALID, STATUS_UNANSWERED = "diterima", "ditolak", "galat", "menunggu"
IN_FLIGHT = 500
"""Messages sent to Kafka before waiting for their acknowledgements."""


@dataclass
class RowResult:
    line: int
    row_id: str
    status: str
    tracking_number: str = ""
    reasons: str = ""


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
        waiting = set(ids)
        while True:
            waiting = {i for i in waiting if i not in self.answers}
            progress(len(ids) - len(waiting))
            remaining = deadline - time.monotonic()
            if not waiting or remaining <= 0:
                return
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 1.0))
            except TimeoutError:
                pass
            await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))  # answers come in batches


class Transport(Protocol):
    """Where the import sends submissions and reads intake's answers. A transport that sends without
    waiting for each acknowledgement also has ``async def flush()``: return once everything sent so far
    was taken (or raise); ``run_import`` calls it when it has one."""

    book: OutcomeBook

    async def publish(self, envelope: Envelope[Any]) -> None:
        """Send one submission (it may still be on its way when this returns, if there is a ``flush``)."""


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
        self._in_flight: list[asyncio.Future[Any]] = []

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
        self._in_flight.append(await self._producer.send(
            SUBMISSIONS.name, encode(envelope), key=key_of(envelope, SUBMISSIONS.name),
            headers=[(k, v.encode()) for k, v in headers_of(envelope).items()],
        ))
        if len(self._in_flight) >= IN_FLIGHT:
            await self.flush()

    async def flush(self) -> None:
        sent, self._in_flight = self._in_flight, []
        await asyncio.gather(*sent)

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
    """One progress line on a terminal; otherwise a line per quarter (per 10,000 when the total is not
    known yet)."""

    def __init__(self, stream: TextIO, label: str, total: int | None) -> None:
        self._stream, self._label, self._total = stream, label, total
        self._tty = stream.isatty()
        self._shown = -1

    def __call__(self, done: int, *, final: bool = False) -> None:
        of = f"/{self._total}" if self._total is not None else ""
        if self._tty:
            if final or done % 100 == 0 or done == self._total:
                self._stream.write(f"\r{self._label}: {done}{of}")
            if final or done == self._total:
                self._stream.write("\n")
        else:
            step = done * 4 // max(self._total, 1) if self._total is not None else done // 10_000
            if step == self._shown and not final:
                return
            self._shown = step
            self._stream.write(f"{self._label}: {done}{of}\n")
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
    encoding: str = "utf-8-sig", max_bytes: int = MAX_FILE_BYTES,
) -> ImportReport:
    out = out or sys.stderr
    read: list[tuple[int, str, str | None, str]] = []  # line, row id, message id, local errors
    ids: set[str] = set()
    sending = Progress(out, "mengirim / publishing", None)
    for row in iter_rows(path, source=source, encoding=encoding, max_bytes=max_bytes):
        if row.errors or row.envelope is None:
            out.write(f"baris {row.line} (id_baris {row.row_id or '?'}): {'; '.join(row.errors)}\n")
            read.append((row.line, row.row_id, None, "; ".join(row.errors)))
            continue
        await transport.publish(row.envelope)
        read.append((row.line, row.row_id, row.message_id, ""))
        ids.add(row.message_id or "")
        sending(len(ids))
    flush = getattr(transport, "flush", None)
    if flush is not None:
        await flush()
    sending(len(ids), final=True)
    await transport.book.wait_for(ids, timeout, Progress(out, "menunggu jawaban / awaiting answers", len(ids)))
    results = []
    for line, row_id, message_id, errors in read:
        if message_id is None:
            results.append(RowResult(line, row_id, STATUS_INVALID, reasons=errors))
            continue
        answer = transport.book.answers.get(message_id)
        if answer is None:
            results.append(RowResult(line, row_id, STATUS_UNANSWERED,
                                     reasons=f"belum ada jawaban dalam {timeout:g} detik / no answer yet"))
        else:
            results.append(RowResult(line, row_id, answer["status"], answer.get("tracking_number", ""),
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
    parser.add_argument("--max-bytes", type=int, default=MAX_FILE_BYTES,
                        help=f"largest file imported in one run (default {MAX_FILE_BYTES})")
    args = parser.parse_args(argv)

    async def run() -> ImportReport:
        bootstrap, client_options = _kafka_from_settings()
        async with KafkaTransport(args.bootstrap or bootstrap, client_options) as transport:
            return await run_import(args.file, transport, source=args.source, timeout=args.timeout,
                                    encoding=args.encoding, max_bytes=args.max_bytes)

    try:
        check_file(args.file, encoding=args.encoding, max_bytes=args.max_bytes)  # fails before connecting
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
