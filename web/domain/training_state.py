"""What a training is worth today, said the same way on every page, in the parcours, the
credentials offered and the lists to review: active, expiring soon, expired, lapsed for
lack of practice, suspended, revoked (with its reason), or replaced by a newer one.

The rule is the station's (common.training): a page never says "active" for a badge the
machine would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from common.clock import parse_date
from common.training import lapse, lapses_on

SOON_DAYS = 30
# The SQL that gives a grant what its state needs: its skill's inactivity limit and the last
# day of practice (the training day counts, as at the stations).
LAST_PRACTICE = (
    "max(date(grants.granted_at), coalesce(date(practice.last_at), '')) AS last_practice"
)
PRACTICE_JOIN = (
    "LEFT JOIN practice ON practice.person_id = grants.person_id "
    "AND practice.skill_id = grants.skill_id"
)


@dataclass(frozen=True)
class TrainingState:
    code: str  # active, expires_soon, expired, lapsed, suspended, revoked, superseded
    on: date | None = None  # valid until; expired/lapsed after; changed on
    reason: str | None = None  # a suspension's or a revocation's
    because: str | None = None  # expires_soon: "expires" or "lapses"

    @property
    def valid(self) -> bool:
        """The machines let the person in (a credential may be offered)."""
        return self.code in ("active", "expires_soon")


def state_of(grant: dict[str, Any], today: date) -> TrainingState:
    """`grant`: a grants row with `inactivity_months` and `last_practice` (LAST_PRACTICE)."""
    status = grant["status"]
    if status in ("suspended", "revoked", "superseded"):
        changed = grant.get("status_changed_at")
        return TrainingState(status, parse_date(changed[:10]) if changed else None,
                             grant.get("status_reason"))  # fmt: skip
    valid_until = parse_date(grant["valid_until"]) if grant.get("valid_until") else None
    last = parse_date(grant["last_practice"]) if grant.get("last_practice") else None
    months = grant.get("inactivity_months")
    ended = lapse(valid_until, last, months, today)
    if ended == "expired":
        return TrainingState("expired", valid_until)
    lapsing = lapses_on(last, months)
    if ended == "lapsed":
        return TrainingState("lapsed", lapsing)
    ends = [(day, why) for day, why in ((valid_until, "expires"), (lapsing, "lapses")) if day]
    if ends:
        day, why = min(ends)
        if day <= today + timedelta(days=SOON_DAYS):
            return TrainingState("expires_soon", day, because=why)
    return TrainingState("active", valid_until)


def with_states(rows: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """The rows, each with its `state`."""
    return [{**row, "state": state_of(row, today)} for row in rows]
