"""When a training stops being valid, the same for the station deciding a tap and the hub
showing the facilitator: past its "valid until" date (expired), or too long without
practice (lapsed). Both days are the last valid ones."""

from __future__ import annotations

from datetime import date

from common.clock import add_months


def lapses_on(last_practice: date | None, inactivity_months: int | None) -> date | None:
    """The last day the training holds without more practice (None: it never lapses)."""
    if not inactivity_months or last_practice is None:
        return None
    return add_months(last_practice, inactivity_months)


def lapse(valid_until: date | None, last_practice: date | None, inactivity_months: int | None,
          today: date) -> str | None:  # fmt: skip
    """ "expired" or "lapsed" when the training no longer holds today, else None."""
    if valid_until is not None and today > valid_until:
        return "expired"
    last_day = lapses_on(last_practice, inactivity_months)
    if last_day is not None and today > last_day:
        return "lapsed"
    return None
