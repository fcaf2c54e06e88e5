"""Deadlines on the Indonesian working-day calendar, against dates checked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lapor_followup.workcalendar import (
    PROVINCE_ZONES,
    WIB,
    WIT,
    WITA,
    CalendarOverride,
    WorkingCalendar,
    zone_of,
)
from lapor_shared.regions import all_regions

pytestmark = pytest.mark.unit

CAL = WorkingCalendar(cutoff_hour=16)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def due_day(moment: datetime, days: int, region: str = "18.71") -> date:
    due = CAL.due_at(moment, days, zone_of(region))
    assert due.timetz().replace(tzinfo=None).isoformat() == "23:59:59"
    return due.date()


@pytest.mark.parametrize(("arrived", "days", "expected", "why"), [
    (wib(2025, 3, 27, 10), 5, date(2025, 4, 14), "Nyepi cuti 28 Mar, Lebaran 31 Mar-1 Apr, cuti bersama 2-7 Apr"),
    (wib(2025, 3, 27, 10), 1, date(2025, 4, 8), "the next working day after Nyepi and Lebaran 2025"),
    (wib(2026, 3, 17, 10), 3, date(2026, 3, 27), "Nyepi 19 Mar 2026 and Lebaran 21-22 Mar with cuti bersama"),
    (wib(2026, 3, 19, 10), 0, date(2026, 3, 25), "arriving on Nyepi counts from the first day after Lebaran"),
    (wib(2025, 12, 24, 9), 3, date(2025, 12, 31), "Christmas and its cuti bersama, then the weekend"),
    (wib(2025, 12, 30, 9), 3, date(2026, 1, 5), "across the year end: 1 January is a holiday"),
    (wib(2026, 12, 23, 9), 2, date(2026, 12, 29), "cuti bersama 24 Dec 2026 and Christmas"),
    (wib(2025, 7, 7, 10), 5, date(2025, 7, 14), "an ordinary week"),
    (wib(2025, 7, 12, 10), 5, date(2025, 7, 21), "arriving on a Saturday counts from Monday"),
])
def test_deadlines_skip_weekends_holidays_and_cuti_bersama(arrived, days, expected, why):
    assert due_day(arrived, days) == expected, why


def test_the_cut_off_hour_moves_the_count_to_the_next_working_day():
    assert due_day(wib(2025, 7, 7, 15, 59), 5) == date(2025, 7, 14)
    assert due_day(wib(2025, 7, 7, 16, 0), 5) == date(2025, 7, 15)
    # a Friday afternoon counts from Monday
    assert due_day(wib(2025, 7, 11, 16, 30), 1) == date(2025, 7, 15)
    # before the cut-off on the eve of Lebaran 2025 still counts that day
    assert due_day(wib(2025, 3, 27, 15, 0), 5) == date(2025, 4, 14)
    assert due_day(wib(2025, 3, 27, 16, 0), 5) == date(2025, 4, 15)


def test_the_same_moment_counts_in_each_of_the_three_time_zones():
    moment = datetime(2025, 7, 7, 8, 30, tzinfo=UTC)  # 15:30 WIB, 16:30 WITA, 17:30 WIT
    jakarta = CAL.due_at(moment, 5, zone_of("18.71"))
    makassar = CAL.due_at(moment, 5, zone_of("73.71"))
    jayapura = CAL.due_at(moment, 5, zone_of("91.71"))
    assert jakarta == datetime(2025, 7, 14, 23, 59, 59, tzinfo=WIB)
    assert makassar == datetime(2025, 7, 15, 23, 59, 59, tzinfo=WITA)
    assert jayapura == datetime(2025, 7, 15, 23, 59, 59, tzinfo=WIT)
    assert jakarta.utcoffset() == timedelta(hours=7)
    assert makassar.utcoffset() == timedelta(hours=8)
    assert jayapura.utcoffset() == timedelta(hours=9)
    # the end of a WIT day comes two hours before the end of the same WIB day
    assert CAL.end_of(date(2025, 7, 15), WIB) - CAL.end_of(date(2025, 7, 15), WIT) == timedelta(hours=2)


def test_every_province_has_its_time_zone_and_regencies_follow_their_province():
    regions = all_regions()
    provinces = {code for code, r in regions.items() if r.level == "province"}
    assert len(provinces) == 38
    assert set(PROVINCE_ZONES) == provinces
    for code, region in regions.items():
        assert zone_of(code) is PROVINCE_ZONES[region.province_code]
    wib_provinces = {"11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36",
                     "61", "62"}
    wit_provinces = {"81", "82", "91", "92", "93", "94", "95", "96"}
    for code in provinces:
        expected = WIB if code in wib_provinces else WIT if code in wit_provinces else WITA
        assert PROVINCE_ZONES[code] is expected, regions[code].name
    assert zone_of("51.71") is WITA  # Denpasar
    assert zone_of("64.72") is WITA  # Samarinda
    assert zone_of("82.71") is WIT  # Ternate
    assert zone_of("ID") is WIB and zone_of(None) is WIB


def test_an_override_adds_a_new_decree_day_and_another_removes_a_cuti_bersama():
    calendar = WorkingCalendar(cutoff_hour=16)
    assert calendar.due_at(wib(2025, 7, 7, 10), 5, WIB).date() == date(2025, 7, 14)
    calendar.replace_overrides([CalendarOverride(date(2025, 7, 10), False, "Cuti bersama (SKB baru)")])
    assert calendar.due_at(wib(2025, 7, 7, 10), 5, WIB).date() == date(2025, 7, 15)
    assert calendar.holiday_name(date(2025, 7, 10)) == "Cuti bersama (SKB baru)"
    calendar.replace_overrides([CalendarOverride(date(2025, 4, 7), True, "Cuti bersama dibatalkan")])
    assert calendar.is_working_day(date(2025, 4, 7))
    assert calendar.due_at(wib(2025, 3, 27, 10), 5, WIB).date() == date(2025, 4, 11)
    calendar.replace_overrides([])
    assert calendar.due_at(wib(2025, 3, 27, 10), 5, WIB).date() == date(2025, 4, 14)


def test_cuti_bersama_after_2027_is_unknown_to_the_package_and_comes_from_the_override_table():
    calendar = WorkingCalendar()
    christmas_eve_2028 = date(2028, 12, 26)  # a Tuesday after Christmas: cuti bersama only if decreed
    assert calendar.is_working_day(christmas_eve_2028)
    calendar.replace_overrides([CalendarOverride(christmas_eve_2028, False, "Cuti Bersama Hari Raya Natal")])
    assert not calendar.is_working_day(christmas_eve_2028)


def test_the_warning_comes_one_working_day_before_the_deadline():
    due = CAL.due_at(wib(2025, 7, 7, 10), 5, WIB)
    assert CAL.warning_at(due, WIB) == wib(2025, 7, 14, 0, 0)
    # the last working day before a deadline on the Tuesday after Lebaran 2025 is that Tuesday itself;
    # two working days before reaches back over the whole holiday to the previous Thursday
    due = CAL.due_at(wib(2025, 3, 27, 10), 1, WIB)
    assert due.date() == date(2025, 4, 8)
    assert CAL.warning_at(due, WIB, 2) == wib(2025, 3, 27, 0, 0)


def test_an_extension_adds_working_days_to_the_deadline():
    due = CAL.due_at(wib(2025, 3, 20, 10), 5, WIB)
    assert due.date() == date(2025, 3, 27)
    assert CAL.extend(due, 3, WIB).date() == date(2025, 4, 10)


def test_working_days_between_counts_the_days_after_the_start():
    assert CAL.working_days_between(date(2025, 7, 7), date(2025, 7, 14)) == 5
    assert CAL.working_days_between(date(2025, 3, 27), date(2025, 4, 14)) == 5
