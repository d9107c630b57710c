"""Working days in China (工作日), for access windows: the State Council's holidays and
adjusted working days (调休) from the ``chinese-calendar`` package.

The policies cannot call a calendar, so the days are worked out here once per data
revision into a table the Rego looks up by day number (days since 1970-01-01 in
Asia/Shanghai).  The package knows the years the State Council has announced; a day
outside them counts Monday to Friday as working days (``covered_until`` says up to
when the table is exact; ``hub policy validate`` warns when a window reaches past it).
Asia/Shanghai has had no daylight saving since 1991: local time is UTC+8.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants

SHANGHAI_OFFSET_S = 8 * 3600
EPOCH = date(1970, 1, 1)
FIRST = date(2020, 1, 1)  # the table starts here; earlier days fall back to Monday-Friday


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def covered_until() -> date:
    """The last day of the last year the holiday calendar knows."""
    last = max(max(constants.holidays), max(constants.workdays))
    return date(last.year, 12, 31)


def weekday_rule(day: date) -> bool:
    """The fallback outside the calendar: Monday to Friday."""
    return day.weekday() < 5


@lru_cache(maxsize=1)
def working_table() -> tuple[int, tuple[bool, ...]]:
    """``(first day number, working? for each day from it to covered_until())``."""
    days = []
    day = FIRST
    last = covered_until()
    while day <= last:
        days.append(bool(chinese_calendar.is_workday(day)))
        day += timedelta(days=1)
    return day_number(FIRST), tuple(days)


def is_working_day(day_no: int) -> bool:
    """Whether day number ``day_no`` is a working day (the table, else Monday-Friday)."""
    first, table = working_table()
    if 0 <= day_no - first < len(table):
        return table[day_no - first]
    return (day_no + 3) % 7 < 5  # 1970-01-01 was a Thursday
