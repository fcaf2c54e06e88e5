"""The call-centre CSV import: bad rows reported by line, good rows filed once however often it runs."""

from __future__ import annotations

import csv
import io
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lapor_gateway.call_centre.cli import main
from lapor_gateway.call_centre.importer import run_import
from lapor_gateway.call_centre.rows import ImportFailed, read_rows
from lapor_gateway.call_centre.transport import OutcomeBook
from lapor_shared import reporter_proof
from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.topics import SUBMISSION_RESULTS, SUBMISSIONS, key_of

from ..conftest import unique_phone

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

LONG = "Sudah dua minggu tidak ada perbaikan, warga terpaksa memutar jauh setiap hari."


def export(tmp_path: Path, rows: list[list[str]], *, delimiter: str = ";") -> Path:
    path = tmp_path / "ekspor_lampung.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(["id_baris", "judul", "isi_laporan", "tanggal_kejadian", "kode_wilayah", "telepon", "anonim"])
        writer.writerows(rows)
    return path


def sample(tmp_path: Path) -> Path:
    return export(tmp_path, [
        ["101", "Jalan rusak di Rajabasa", f"Jalan utama rusak parah.\n{LONG}", "01/03/2025", "18.71", unique_phone(),
         "tidak"],
        ["102", "Air PDAM mati", f"Air tidak mengalir sejak Senin. {LONG}", "2025-03-02", "18.71", unique_phone(),
         "ya"],
        ["103", "Tanggal salah ketik", LONG, "31/02/2025", "18.71", unique_phone(), "tidak"],
        ["104", "Terlalu singkat", "rusak", "", "18.71", unique_phone(), "tidak"],
    ])


class InMemoryTransport:
    """The import's transport on the in-memory broker; ``book`` is filled by a results subscriber that
    has seen every result so far, as reading the topic from the beginning does."""

    def __init__(self, broker: Any, book: OutcomeBook) -> None:
        self.broker, self.book = broker, book

    async def publish(self, envelope: Envelope[Any]) -> None:
        await self.broker.publish(encode(envelope), SUBMISSIONS.name, key=key_of(envelope, SUBMISSIONS.name),
                                  headers=headers_of(envelope))


def collecting_into(book: OutcomeBook):
    def setup(runtime) -> None:
        @runtime.broker.subscriber(SUBMISSION_RESULTS.name, group_id="test-call-centre-import")
        async def collect(body: bytes) -> None:
            book.record_raw(body)

    return setup


async def test_a_bad_row_is_reported_by_its_line_number_and_the_rest_is_imported(adapters, tmp_path):
    book = OutcomeBook()
    path = sample(tmp_path)
    async with adapters(setup=collecting_into(book)) as a:
        out = io.StringIO()

        report = await run_import(path, InMemoryTransport(a.broker, book), source="lampung", timeout=20, out=out)

        by_id = {r.row_id: r for r in report.results}
        assert by_id["101"].status == by_id["102"].status == "diterima"
        assert by_id["103"].status == "galat" and by_id["103"].line == 5  # row 101's text spans two lines
        assert by_id["104"].status == "ditolak" and "terlalu pendek" in by_id["104"].reasons
        assert "baris 5 (id_baris 103): tanggal_kejadian '31/02/2025' tidak valid" in out.getvalue()
        assert report.exit_code == 1
        numbers = {r["channel_message_id"]: r["tracking_number"] for r in await a.sql(
            "SELECT channel_message_id, tracking_number FROM intake.complaints WHERE channel = 'call_centre'")}
        assert numbers == {"lampung:101": by_id["101"].tracking_number, "lampung:102": by_id["102"].tracking_number}


async def test_running_the_same_file_again_files_nothing_twice_and_reports_the_same(adapters, tmp_path):
    book = OutcomeBook()
    path = sample(tmp_path)
    async with adapters(setup=collecting_into(book)) as a:
        transport = InMemoryTransport(a.broker, book)
        first = await run_import(path, transport, source="lampung", timeout=20, out=io.StringIO())
        second = await run_import(path, transport, source="lampung", timeout=20, out=io.StringIO())

        assert await a.count("SELECT count(*) FROM intake.complaints WHERE channel = 'call_centre'") == 2
        assert [(r.row_id, r.status, r.tracking_number) for r in second.results] == [
            (r.row_id, r.status, r.tracking_number) for r in first.results
        ]


async def test_the_results_are_written_next_to_the_input(adapters, tmp_path):
    book = OutcomeBook()
    path = sample(tmp_path)
    async with adapters(setup=collecting_into(book)) as a:
        report = await run_import(path, InMemoryTransport(a.broker, book), source="lampung", timeout=20,
                                  out=io.StringIO())

    assert report.output == tmp_path / "ekspor_lampung.hasil.csv"
    written = list(csv.DictReader(report.output.open(encoding="utf-8")))
    assert [w["id_baris"] for w in written] == ["101", "102", "103", "104"]
    assert written[0]["nomor_pelacakan"].startswith("LPR-")
    assert written[2]["status"] == "galat" and written[2]["baris"] == "5"


async def test_each_accepted_rows_key_is_in_the_owners_results_file_and_never_on_the_terminal(adapters, tmp_path):
    book = OutcomeBook()
    path = sample(tmp_path)
    async with adapters(setup=collecting_into(book)) as a:
        out = io.StringIO()
        report = await run_import(path, InMemoryTransport(a.broker, book), source="lampung", timeout=20, out=out)
        written = {w["id_baris"]: w for w in csv.DictReader(report.output.open(encoding="utf-8"))}
        proofs = {r["tracking_number"]: r["key_verifier"] for r in await a.sql(
            "SELECT tracking_number, key_verifier FROM reporter_keys")}

    for row_id in ("101", "102"):  # 102 is an anonim caller: the key is the only handle there is
        row = written[row_id]
        assert reporter_proof.normalise(row["kunci_pelapor"]) == row["kunci_pelapor"]
        assert proofs[row["nomor_pelacakan"]] == reporter_proof.verifier(row["kunci_pelapor"])
        assert row["kunci_pelapor"] not in out.getvalue()
        assert row["kunci_pelapor"] not in repr(report.results)
    assert written["103"]["kunci_pelapor"] == written["104"]["kunci_pelapor"] == ""
    assert stat.S_IMODE(report.output.stat().st_mode) == 0o600


def test_rows_become_call_centre_submissions_with_deterministic_ids(tmp_path):
    path = export(tmp_path, [["7", "Lampu jalan mati", LONG, "2025-03-01", "18.71", "0812-3456-7890", "ya"]],
                  delimiter=",")

    [row] = read_rows(path, source="lampung", now=datetime(2025, 3, 5, tzinfo=UTC))
    [again] = read_rows(path, source="lampung", now=datetime(2025, 3, 5, tzinfo=UTC))

    submission = row.envelope.payload
    assert row.message_id == again.message_id == "lampung:7"
    assert (submission.channel, submission.channel_message_id) == ("call_centre", "lampung:7")
    assert submission.reporter.phone == "+6281234567890"
    assert submission.anonymous is True
    assert submission.location.region_code == "18.71"


def test_local_checks_catch_future_dates_bad_flags_and_repeated_row_ids(tmp_path):
    path = export(tmp_path, [
        ["1", "Judul", LONG, "2999-01-01", "18.71", "", "tidak"],
        ["2", "Judul", LONG, "", "18.71", "", "mungkin"],
        ["2", "Judul", LONG, "", "18.71", "", "ya"],
        ["", "", "", "", "", "", ""],
        ["", "Tanpa id", LONG, "", "", "", ""],
    ])

    rows = read_rows(path, source="x", now=datetime(2025, 3, 5, tzinfo=UTC))

    assert [(r.line, bool(r.errors)) for r in rows] == [(2, True), (3, True), (4, True), (6, True)]
    assert "masa depan" in rows[0].errors[0]
    assert "anonim" in rows[1].errors[0]
    assert "sudah dipakai di baris 3" in rows[2].errors[-1]
    assert "id_baris kosong" in rows[3].errors[0]


def test_a_file_without_the_required_columns_is_refused_before_connecting(tmp_path):
    path = tmp_path / "salah.csv"
    path.write_text("nomor,keluhan\n1,jalan rusak\n", encoding="utf-8")

    with pytest.raises(ImportFailed, match="id_baris, judul, isi_laporan"):
        read_rows(path, source="x")
    assert main([str(path), "--bootstrap", "127.0.0.1:1"]) == 2
    assert main([str(tmp_path / "tidak_ada.csv"), "--bootstrap", "127.0.0.1:1"]) == 2
