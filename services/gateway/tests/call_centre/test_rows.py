"""Reading a call centre's export: a row the CSV reader cannot read is reported by its line, the rest is
read, and a file over the limit is refused with a clear message."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lapor_gateway.call_centre.cli import main
from lapor_gateway.call_centre.rows import ImportFailed, check_file, read_rows

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

HEADER = ["id_baris", "judul", "isi_laporan", "tanggal_kejadian", "kode_wilayah", "telepon", "anonim"]
LONG = "Sudah dua minggu tidak ada perbaikan, warga terpaksa memutar jauh setiap hari."
NOW = datetime(2025, 3, 5, tzinfo=UTC)


def good(n: int) -> list[str]:
    return [str(n), f"Jalan rusak nomor {n}", LONG, "01/03/2025", "18.71", f"0812{n:08d}", "tidak"]


def export(path: Path, rows: int, broken: dict[int, bytes]) -> Path:
    """``rows`` good rows, with the raw bytes of ``broken[n]`` instead of row ``n``."""
    with path.open("wb") as out:
        out.write((";".join(HEADER) + "\n").encode())
        for n in range(rows):
            out.write(broken[n] if n in broken else (";".join(good(n)) + "\n").encode())
    return path


UNCLOSED_QUOTE = f'1000;"Jalan rusak tanpa kutip penutup;{LONG};01/03/2025;18.71;;ya\n'.encode()


def test_an_unclosed_quote_is_one_broken_row_and_the_rows_after_it_are_read(tmp_path):
    path = export(tmp_path / "a.csv", 2000, {1000: UNCLOSED_QUOTE})

    rows = read_rows(path, source="x", now=NOW)

    broken = [r for r in rows if r.errors]
    assert [(r.line, r.errors[0][:20]) for r in broken] == [(1002, "baris terlalu panjan")]
    assert len(rows) == 2000 and [r.row_id for r in rows[1000:1003]] == ["", "1001", "1002"]
    assert rows[-1].line == 2001 and rows[-1].envelope is not None


@pytest.mark.parametrize(("raw", "says"), [
    ("7;Jalan\u202eesak;{long};;18.71;;ya\n".encode(), "U+202E"),
    (b"7;Jalan;{long}\x00;;18.71;;ya\n", "U+0000"),
    (b"7;Jalan \xff\xfe rusak;{long};;18.71;;ya\n", "UTF-8"),
])
def test_a_row_with_a_control_character_or_bytes_that_are_not_text_is_reported_alone(tmp_path, raw, says):
    path = export(tmp_path / "b.csv", 20, {7: raw.replace(b"{long}", LONG.encode())})

    rows = read_rows(path, source="x", now=NOW)

    [bad] = [r for r in rows if r.errors]
    assert bad.line == 9 and says in bad.errors[0] and bad.envelope is None
    assert sum(1 for r in rows if r.envelope is not None) == 19


def test_a_file_over_the_limit_is_refused_before_reading_or_connecting(tmp_path, capsys):
    path = export(tmp_path / "c.csv", 50, {})

    with pytest.raises(ImportFailed, match="too large"):
        check_file(path, max_bytes=1000)
    assert main([str(path), "--max-bytes", "1000", "--bootstrap", "127.0.0.1:1"]) == 2
    assert "terlalu besar" in capsys.readouterr().err


@pytest.mark.timeout(300)
def test_a_100000_row_file_with_a_broken_row_in_the_middle_is_imported_in_little_memory(tmp_path):
    rows = 100_000
    path = export(tmp_path / "besar.csv", rows, {50_000: UNCLOSED_QUOTE.replace(b"1000;", b"50000;")})
    probe = Path(__file__).with_name("probe.py")

    done = subprocess.run([sys.executable, str(probe), str(path)], capture_output=True, text=True, timeout=280)

    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    print(result)
    assert result["published"] == rows - 1
    assert result["statuses"] == {"diterima": rows - 1, "galat": 1}
    [[line, reason]] = result["invalid"]
    assert line == 50_002 and "tanda kutip tidak ditutup" in reason
    assert result["output_rows"] == rows
    # holding the file's rows in memory took over 500 MB; reading one record at a time, about 80
    assert result["rss_peak_mb"] - result["rss_before_mb"] < 200
    with (tmp_path / "besar.hasil.csv").open(encoding="utf-8") as written:
        assert next(csv.reader(written)) == ["baris", "id_baris", "status", "nomor_pelacakan", "kunci_pelapor",
                                             "alasan"]


def test_optional_latitude_and_longitude_columns_carry_a_point_and_a_bad_one_names_its_column(tmp_path):
    path = tmp_path / "titik.csv"
    header = [*HEADER, "lintang", "bujur"]
    lines = [header, [*good(1), "-5,4292", "105.2610"], [*good(2), "", ""], [*good(3), "utara", "105.26"]]
    path.write_text("\n".join(";".join(cells) for cells in lines) + "\n", encoding="utf-8")

    first, second, third = read_rows(path, source="x", now=NOW)

    assert first.envelope is not None and first.errors == []
    assert (first.envelope.payload.location.latitude, first.envelope.payload.location.longitude) == (-5.4292, 105.261)
    assert second.envelope is not None and second.envelope.payload.location.latitude is None
    assert third.envelope is None and any("lintang" in e for e in third.errors)
