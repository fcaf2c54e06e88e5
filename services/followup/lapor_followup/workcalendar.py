"""The Indonesian working-day calendar: weekends, national holidays and cuti bersama.

``holidays`` knows national holidays and, through 2027, cuti bersama (category GOVERNMENT); new
decrees go into an operator-maintained override table (``extra_holidays``). A complaint's clock runs
in its region's time zone (WIB/WITA/WIT); after the cut-off hour the day counts from the next day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}


def zone_of(region_code: str | None) -> ZoneInfo:
    """The time zone a jurisdiction's clock runs in (national bodies use WIB)."""
    province = (region_code or "").split(".", 1)[0]
    if province in _WIT_PROVINCES:
        return WIT
    if province in _WITA_PROVINCES:
        return WITA
    return WIB


class WorkingCalendar:
    def __init__(self, extra_holidays: Mapping[date, str] | None = None, *, cutoff_hour: int = 16) -> None:
        self._extra = dict(extra_holidays or {})
        self.cutoff_hour = cutoff_hour

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        cal = holidays.country_holidays("ID", categories=(holidays.PUBLIC, holidays.GOVERNMENT))
        cal.update(self._extra)
        return cal

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def start_day(self, moment: datetime, zone: ZoneInfo) -> date:
        """The first working day a complaint arriving at ``moment`` counts from."""
        local = moment.astimezone(zone)
        day = local.date()
        if local.time() >= time(self.cutoff_hour):
            day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, days: int) -> date:
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def due_at(self, moment: datetime, working_days: int, zone: ZoneInfo) -> datetime:
        """End of the ``working_days``-th working day after the day ``moment`` counts from, local time."""
        due_day = self.add_working_days(self.start_day(moment, zone), working_days)
        return datetime.combine(due_day, time(23, 59, 59), tzinfo=zone)
