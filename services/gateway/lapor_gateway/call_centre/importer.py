"""The call-centre import itself: read the export row by row, publish the good rows, wait for intake's
answers, and write what became of every row (``FILE.hasil.csv``) with a summary.

The results file is the one place the operator reads each accepted row's tracking number **and reporter's
key** (``kunci_pelapor``) to call the caller back with: the key is the caller's only proof for replying,
rating or reopening, and an anonim caller has no other. It is written to that file only (created readable by
its owner alone), never to the terminal's summary nor to a log line.

Reading is ``rows``, talking to Kafka is ``transport``, the command line is ``cli``
(``python -m lapor_gateway.call_centre``).
"""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from lapor_gateway.call_centre.rows import MAX_FILE_BYTES, iter_rows
from lapor_gateway.call_centre.transport import STATUS_ACCEPTED, STATUS_REJECTED, Transport

STATUS_INVALID, STATUS_UNANSWERED = "galat", "menunggu"


@dataclass
class RowResult:
    line: int
    row_id: str
    status: str
    tracking_number: str = ""
    reasons: str = ""
    reporter_key: str = ""
    """The caller's key, for the results file only (``__repr__`` leaves it out)."""

    def __repr__(self) -> str:
        return (f"RowResult(line={self.line}, row_id={self.row_id!r}, status={self.status!r}, "
                f"tracking_number={self.tracking_number!r}, reasons={self.reasons!r})")


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
    """The results file, readable by its owner only: it holds the callers' keys."""
    path.unlink(missing_ok=True)  # a file left by an earlier run may have looser permissions
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", newline="",
                   encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["baris", "id_baris", "status", "nomor_pelacakan", "kunci_pelapor", "alasan"])
        for r in results:
            writer.writerow([r.line, r.row_id, r.status, r.tracking_number, r.reporter_key, r.reasons])


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
                                     answer.get("reasons", ""), answer.get("reporter_key", "")))
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
