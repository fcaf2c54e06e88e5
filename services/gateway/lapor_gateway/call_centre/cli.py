"""Import a regional call centre's CSV export: ``python -m lapor_gateway.call_centre FILE.csv``.

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
import sys
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from lapor_gateway.call_centre.importer import ImportReport, run_import
from lapor_gateway.call_centre.rows import MAX_FILE_BYTES, ImportFailed, check_file
from lapor_gateway.call_centre.transport import KafkaTransport


def _kafka_from_settings() -> tuple[str, dict[str, Any]]:
    """The broker address and connection security of the gateway's settings (LAPOR_KAFKA_* variables)."""
    from lapor_gateway.settings import GatewaySettings

    kafka = GatewaySettings().kafka
    return kafka.bootstrap_servers, kafka.client_options()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lapor_gateway.call_centre",
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
