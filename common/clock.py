"""Timestamps as the hub stores them: UTC, ISO 8601, millisecond precision, 'Z'.

One fixed-width format means text comparison in SQL orders like time does.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.{ms:03d}Z"


def to_iso(moment: datetime) -> str:
    """Format an aware datetime the way the database stores it."""
    if moment.tzinfo is None:
        raise ValueError("a timestamp needs a time zone")
    moment = moment.astimezone(UTC)
    return moment.strftime(_FORMAT).format(ms=moment.microsecond // 1000)


def now_iso() -> str:
    return to_iso(datetime.now(UTC))


# Every timestamp the system handles lies between these years: outside them a clock is
# broken, and year 1 or 9999 would overflow (or print unpadded) once moved to UTC.
YEARS = range(2000, 2100)


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that states its offset, in the years 2000 to 2099; raise
    ValueError otherwise."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as problem:
        raise ValueError(f"not a timestamp with its time zone: {text!r} ({problem})") from None
    if moment.year not in YEARS:
        raise ValueError(f"{text!r} is outside the years 2000 to 2099: a clock is wrong")
    return moment


def normalise_timestamp(text: str) -> str:
    return to_iso(parse_timestamp(text))


def seconds_between(start_iso: str, end_iso: str) -> float:
    return (parse_timestamp(end_iso) - parse_timestamp(start_iso)).total_seconds()


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def today() -> date:
    return datetime.now(UTC).date()


def parse_date(text: str) -> date:
    """A calendar date (YYYY-MM-DD) or the date part of a timestamp."""
    return date.fromisoformat(text[:10])
