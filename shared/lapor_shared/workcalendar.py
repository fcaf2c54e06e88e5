"""The Indonesian working-day calendar: weekends, national holidays and cuti bersama, three time zones.

- **Holidays**: ``holidays`` (country ID, categories PUBLIC and GOVERNMENT) knows the national holidays
  and, through 2027, cuti bersama (the SKB 3 Menteri joint leave). New decrees go into the
  operator-maintained override table ``calendar_overrides`` (followup's schema): a row either adds a
  non-working day (``working = false``, e.g. a new cuti bersama) or removes one (``working = true``,
  e.g. a cancelled joint leave day). Overrides win over the package and over weekends.
- **Time zones**: a clock runs in the zone of the responsible agency's region: WIB (UTC+7), WITA
  (UTC+8) or WIT (UTC+9); national bodies use WIB (``lapor_shared.localtime``).
- **Cut-off hour** (default 16:00 local): something that arrives at or after it, or on a non-working
  day, counts from the next working day. A deadline of N working days ends at 23:59:59 local time of
  the N-th working day after the day it counts from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from lapor_shared.localtime import PROVINCE_ZONES, WIB, WIT, WITA, ZONE_NAMES, zone_name, zone_of

__all__ = ["PROVINCE_ZONES", "WIB", "WIT", "WITA", "ZONE_NAMES", "CalendarOverride", "WorkingCalendar", "zone_name",
           "zone_of"]

END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True, slots=True)
class CalendarOverride:
    """One operator decision about one day: ``working=False`` adds a holiday, ``True`` removes one."""

    day: date
    working: bool
    name: str


class WorkingCalendar:
    def __init__(self, overrides: Iterable[CalendarOverride] = (), *, cutoff_hour: int = 16) -> None:
        if not 0 <= cutoff_hour <= 24:
            raise ValueError("cutoff_hour must be between 0 and 24")
        self.cutoff_hour = cutoff_hour
        self._holidays = holidays.country_holidays("ID", categories=(holidays.PUBLIC, holidays.GOVERNMENT))
        self._overrides: dict[date, CalendarOverride] = {}
        self.replace_overrides(overrides)

    def replace_overrides(self, overrides: Iterable[CalendarOverride]) -> None:
        """Swap in the override table as it is now (at start and on every refresh)."""
        self._overrides = {o.day: o for o in overrides}

    @property
    def overrides(self) -> dict[date, CalendarOverride]:
        return dict(self._overrides)

    def is_working_day(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override.working
        return day.weekday() < 5 and day not in self._holidays

    def holiday_name(self, day: date) -> str | None:
        """Why ``day`` is not a working day (None when it is one, or for a plain weekend)."""
        override = self._overrides.get(day)
        if override is not None:
            return None if override.working else override.name
        return self._holidays.get(day)

    def start_day(self, moment: datetime, zone: ZoneInfo) -> date:
        """The working day something arriving at ``moment`` counts from (cut-off hour, local time)."""
        local = moment.astimezone(zone)
        day = local.date()
        if self.cutoff_hour < 24 and local.time() >= time(self.cutoff_hour):
            day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself when ``days`` is 0)."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def previous_working_day(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def due_date(self, moment: datetime, working_days: int, zone: ZoneInfo) -> date:
        return self.add_working_days(self.start_day(moment, zone), working_days)

    def due_at(self, moment: datetime, working_days: int, zone: ZoneInfo) -> datetime:
        """End (23:59:59 local) of the ``working_days``-th working day after the day ``moment`` counts from."""
        return self.end_of(self.due_date(moment, working_days, zone), zone)

    def extend(self, due: datetime, working_days: int, zone: ZoneInfo) -> datetime:
        """A deadline moved ``working_days`` working days later (an extension)."""
        return self.end_of(self.add_working_days(due.astimezone(zone).date(), working_days), zone)

    def warning_at(self, due: datetime, zone: ZoneInfo, working_days_before: int = 1) -> datetime:
        """When to warn: the start of the last ``working_days_before`` working day(s) before ``due``."""
        day = due.astimezone(zone).date()
        for _ in range(working_days_before - 1):
            day = self.previous_working_day(day)
        return datetime.combine(day, time(0, 0), tzinfo=zone)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days after ``start`` ``end`` is."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    @staticmethod
    def end_of(day: date, zone: ZoneInfo) -> datetime:
        return datetime.combine(day, END_OF_DAY, tzinfo=zone)

