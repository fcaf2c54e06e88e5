"""The Indonesian working-day calendar is ``lapor_shared.workcalendar`` (the officer console previews an
extension's new deadline with it); followup's modules keep importing it from here."""

from lapor_shared.workcalendar import (
    PROVINCE_ZONES,
    WIB,
    WIT,
    WITA,
    ZONE_NAMES,
    CalendarOverride,
    WorkingCalendar,
    zone_name,
    zone_of,
)

__all__ = ["PROVINCE_ZONES", "WIB", "WIT", "WITA", "ZONE_NAMES", "CalendarOverride", "WorkingCalendar", "zone_name",
           "zone_of"]
