"""The station's copy of its access list: parsed, checked, kept on disk, looked up by badge.

The hub sends only the badges that matter to this machine (people trained on its skill,
facilitators), each as a memory-hard hash under this station's own salt, with a person id
of this station's own; the station hashes a tapped UID the same way and looks it up. A
badge not on the list is "unknown" here. The file on disk lets a station rebooted while the
hub is down decide as before; a corrupt file is reported, never trusted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from common.uid import BadgeHash


class AccessListInvalid(ValueError):
    """The list (from the hub or from disk) is not one we can decide from."""


@dataclass(frozen=True)
class Entry:
    person: str
    level: int | None
    first_name: str = ""
    supervisor: bool = False
    valid_until: date | None = None
    last_practice: date | None = None
    language: str | None = None  # for the screen and the voice; French when None
    hours: float | None = None  # practice on this machine's skill, for their progress


@dataclass(frozen=True)
class AccessList:
    etag: str | None
    machine: dict[str, Any]
    skill: dict[str, Any] | None
    badge_hash: BadgeHash
    entries: dict[str, Entry]
    contact: str = ""  # whom residents are sent to ("Allez voir Claire")
    stop_now: frozenset[str] = frozenset()  # people whose session ends now, after a countdown
    calls_seen: frozenset[str] = frozenset()  # calls from here the facilitator has seen

    @property
    def out_of_service(self) -> bool:
        return bool(self.machine.get("out_of_service"))

    @property
    def inactivity_months(self) -> int | None:
        return (self.skill or {}).get("inactivity_months")

    @property
    def stops_at_once(self) -> bool:
        """Out of service "now" (a countdown, then the end), rather than at the session's end."""
        return self.machine.get("out_of_service_when", "now") in ("now", "cancel")

    @property
    def cancels_print(self) -> bool:
        """Out of service "now, and cancel the print": the facilitator's own word."""
        return self.machine.get("out_of_service_when") == "cancel"

    def checklist(self) -> list[dict[str, Any]]:
        items = (self.skill or {}).get("checklist") or []
        return [item for item in items if isinstance(item, dict) and isinstance(
            item.get("text"), dict)]  # fmt: skip

    def setting(self, key: str, default: Any) -> Any:
        return (self.skill or {}).get(key, default)

    def with_entry(self, uid: str, entry: Entry) -> AccessList:
        """This list with one badge's entry changed (a step validated at the machine, before
        the hub's next list says the same)."""
        from dataclasses import replace

        return replace(self, entries={**self.entries, self.badge_hash.of(uid): entry})

    def lookup(self, uid: str) -> Entry | None:
        return self.entries.get(self.badge_hash.of(uid))

    @classmethod
    def from_json(cls, body: Any, etag: str | None) -> AccessList:
        try:
            machine, skill = body["machine"], body["skill"]
            badge_hash = BadgeHash.from_description(body["badge_hash"])
            entries = {item["hash"]: _entry(item) for item in body["badges"]}
            if not isinstance(machine, dict):
                raise TypeError("machine")
            contact = str((body.get("fablab") or {}).get("contact") or "")
            stop_now = frozenset(str(person) for person in body.get("stop_now") or ())
            calls_seen = frozenset(str(call) for call in body.get("calls_seen") or ())
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise AccessListInvalid(f"not an access list: {error!r}") from None
        return cls(etag=etag, machine=machine, skill=skill, badge_hash=badge_hash,
                   entries=entries, contact=contact, stop_now=stop_now,
                   calls_seen=calls_seen)  # fmt: skip


def _entry(item: dict[str, Any]) -> Entry:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    level = item["level"]
    if level not in (None, 1, 2, 3):
        raise ValueError(f"level {level!r}")
    return Entry(
        person=str(item["person"]),
        level=level,
        first_name=str(item.get("first_name") or ""),
        supervisor=bool(item.get("supervisor")),
        valid_until=day(item.get("valid_until")),
        last_practice=day(item.get("last_practice")),
        language=str(item["language"]) if item.get("language") else None,
        hours=float(item["hours"]) if isinstance(item.get("hours"), int | float) else None,
    )


class AccessListStore:
    """`access-list.json` in the data directory, written atomically (write, fsync, rename)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "access-list.json"

    def load(self) -> AccessList | None:
        """The saved list; None if there is none yet; AccessListInvalid if it is damaged."""
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise AccessListInvalid(f"{self.path} is damaged: {error}") from None
        if not isinstance(saved, dict):
            raise AccessListInvalid(f"{self.path} is damaged")
        return AccessList.from_json(saved.get("list"), saved.get("etag"))

    def save(self, body: dict[str, Any], etag: str | None) -> None:
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"etag": etag, "list": body}, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
