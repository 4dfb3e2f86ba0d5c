"""French first, English on request: Flask-Babel with the language kept in the session.

Messages are written in French in the code and templates (the default needs no
catalogue); `web/translations/en` holds the English, compiled by the build.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, session
from flask_babel import Babel

LANGUAGES = ("fr", "en")


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "fr"


def init_babel(app: Flask) -> Babel:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "fr")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
    babel = Babel(app, locale_selector=select_locale)
    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters.update(day=day, hour=hour, local=local, hours=hours, number=number,
                                 month=month, minutes_until=minutes_until)  # fmt: skip
    app.jinja_env.globals["one_day"] = timedelta(days=1)
    # Columns kept as JSON (a session's checklist) read in templates.
    app.jinja_env.filters["fromjson"] = lambda text: json.loads(text) if text else None
    app.jinja_env.add_extension("jinja2.ext.do")  # tables built row by row (_person_data.html)
    return babel


# One way to write dates, times and numbers on every page, in the page's language (Babel):
# "23 novembre 2026", "14 h 05", "23 novembre 2026, 14 h 05", "6,5 h", "1 234". The locale and
# the time zone are looked up once per request: a history page writes hundreds of dates.
HOUR = {"fr": "H 'h' mm", "en": "h:mm a"}


def _babel() -> tuple[Any, Any]:
    from flask import g
    from flask_babel import get_locale, get_timezone

    cached = g.get("_babel")
    if cached is None:
        cached = g._babel = (get_locale(), get_timezone())
    return cached


def _moment(value: str | datetime) -> datetime:
    from common.clock import parse_timestamp

    return value if isinstance(value, datetime) else parse_timestamp(value)


def day(value: str | date | datetime | None) -> str:
    """A calendar day in words; a timestamp is read in the fablab's time zone."""
    if not value:
        return ""
    locale, zone = _babel()
    if isinstance(value, str) and len(value) == 10:
        value = date.fromisoformat(value)
    elif not isinstance(value, date) or isinstance(value, datetime):
        value = _moment(value).astimezone(zone).date()
    return f"{value.day} {locale.months['format']['wide'][value.month]} {value.year}"


def hour(value: str | datetime | None) -> str:
    from babel.dates import format_time

    if not value:
        return ""
    locale, zone = _babel()
    moment = _moment(value).astimezone(zone)
    if locale.language == "fr":
        return f"{moment.hour} h {moment.minute:02d}"
    return format_time(moment, HOUR["en"], locale=locale)


def local(value: str | datetime | None, what: str = "both") -> str:
    """A stored (UTC) moment in the fablab's time: `what` is "day", "time" or "both"."""
    if not value:
        return ""
    if what == "day":
        return day(value)
    if what == "time":
        return hour(value)
    return f"{day(value)}, {hour(value)}"


def hours(value: float | None) -> str:
    """A number of hours, to the tenth: "6,5 h"."""
    return f"{number(round(value or 0.0, 1))} h"


def number(value: float | int | None) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value or 0, "#,##0.#", locale=_babel()[0])


def month(value: date) -> str:
    """ "novembre 2026"."""
    return f"{_babel()[0].months['stand-alone']['wide'][value.month]} {value.year}"


def minutes_until(start: str, end: str) -> str:
    """How long from one stored moment to another: "45 min", "2 h 05"."""
    from common.clock import seconds_between

    minutes = max(0, round(seconds_between(start, end) / 60))
    hours_part, rest = divmod(minutes, 60)
    return f"{hours_part} h {rest:02d}" if hours_part else f"{rest} min"
