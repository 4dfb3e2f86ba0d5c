"""What the resident sees and hears at the machine, as data: one screen per state and per
decision, each one pictogram, a short title, one plain sentence and what to do next.

Written to be read by people who read little French (FALC: one idea per sentence, common
words, no abbreviations), in the resident's own language when the hub knows it. Every
refusal reason has its own screen and its own pictogram; colour is never the only signal.
Pure functions: the agent decides, then asks here what to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.icons import MACHINE_ICONS
from common.languages import LANGUAGES, known
from kiosk.texts import N_, text

# Tones match the lights: ok green, wait amber, stop red; calm when nothing is happening.
OK, WAIT, STOP, CALM = "ok", "wait", "stop", "calm"
HOLD_SECONDS = 8.0  # a passing screen (a refusal, a goodbye) before the state's returns
AS_GIVEN = "{reason}"  # the facilitator's own words, shown as written
# The buttons a running session, or a waiting machine, always has.
FINISH = ("finish", N_("J'ai fini"), "door-exit")
CALL = ("call", N_("Appeler {who}"), "bell-ringing")
REPORT = ("report", N_("Signaler un problème"), "alert-octagon")
PERMITS = {"extractor": N_("l'aspiration"), "lid": N_("le capot fermé")}


@dataclass(frozen=True)
class Place:
    """What every screen may name about this station, from its access list."""

    machine: str = ""
    kind: str = "relay"
    skill_names: Mapping[str, str] = field(default_factory=dict)  # by language
    contact: str = ""
    out_of_service_reason: str = ""

    @classmethod
    def from_access_list(cls, access: Any) -> Place:
        if access is None:
            return cls()
        machine, skill = access.machine, access.skill or {}
        names = {code: skill.get(f"name_{code}") for code in LANGUAGES}
        return cls(
            machine=machine.get("display_name") or machine.get("name") or "",
            kind=machine.get("kind") or "relay",
            skill_names={code: name for code, name in names.items() if name},
            contact=access.contact,
            out_of_service_reason=machine.get("out_of_service_reason") or "",
        )

    def skill(self, language: str) -> str:
        return self.skill_names.get(language) or self.skill_names.get("fr") or ""

    def who(self, language: str) -> str:
        """Whom to ask: the facilitator's name, or words for them."""
        return self.contact or text(language, N_("l'animateur ou l'animatrice"))


@dataclass(frozen=True)
class Screen:
    code: str
    tone: str
    icon: str
    title: str  # French, as marked by N_: translated when rendered
    sentence: str = ""
    next: str = ""
    params: Mapping[str, object] = field(default_factory=dict)
    language: str = "fr"
    timer: Mapping[str, int] | None = None  # {"since": epoch ms, "until": epoch ms}
    countdown: int | None = None  # epoch ms
    hold: float | None = None  # seconds, for a passing screen
    spoken: bool = True
    machine_icon: str = "tool"
    machine: str = ""
    # Big buttons for a touch: (what the station hears, French words, pictogram).
    actions: tuple[tuple[str, str, str], ...] = ()
    # The checklist's progress, "2 / 4", or the presence check's escalation, 1 to 3.
    step: str = ""
    urgency: int = 0
    # A few figures under the sentence: (French label, value already in the language).
    facts: tuple[tuple[str, str], ...] = ()

    def words(self) -> dict[str, str]:
        """Title, sentence and next step in the screen's language."""
        return {
            key: text(self.language, message, **self.params) if message else ""
            for key, message in (
                ("title", self.title),
                ("sentence", self.sentence),
                ("next", self.next),
            )
        }

    def render(self, offline: bool = False) -> dict[str, Any]:
        """The screen as the page draws it (JSON)."""
        language = LANGUAGES[known(self.language)]
        labels = {
            "elapsed": text(self.language, N_("Depuis")),
            "left": text(self.language, N_("Temps restant")),
            "offline": text(self.language, N_("Hors ligne. La machine marche quand même.")),
        }
        return {
            "code": self.code,
            "tone": self.tone,
            "icon": self.icon,
            "lang": language.code,
            "dir": language.direction,
            **self.words(),
            "timer": self.timer,
            "countdown": self.countdown,
            "hold_ms": int(self.hold * 1000) if self.hold else None,
            "machine": self.machine,
            "machine_icon": self.machine_icon,
            "labels": labels,
            "offline": offline,
            "actions": [
                {"id": key, "label": text(self.language, label, **self.params), "icon": icon}
                for key, label, icon in self.actions
            ],
            "step": self.step,
            "urgency": self.urgency,
            "facts": [
                {"label": text(self.language, label), "value": value} for label, value in self.facts
            ],
        }

    def spoken_text(self) -> str:
        """The words in one line, as the voice says them (a title gets its full stop)."""
        words = self.words()
        title = words["title"]
        if title and title[-1] not in ".!?؟":
            title += "."
        return " ".join(part for part in (title, words["sentence"], words["next"]) if part)


def _screen(
    place: Place,
    code: str,
    tone: str,
    icon: str,
    title: str,
    sentence: str = "",
    next_step: str = "",
    params: Mapping[str, object] | None = None,
    **rest: Any,
) -> Screen:
    """A screen of this station; `{who}` (whom to ask) is known to every text."""
    language = rest.get("language", "fr")
    return Screen(
        code,
        tone,
        icon,
        title,
        sentence,
        next_step,
        params={"who": place.who(language), **(params or {})},
        machine=place.machine,
        machine_icon=MACHINE_ICONS.get(place.kind, "tool"),
        **rest,
    )


# --- the states ----------------------------------------------------------------------------


def idle(place: Place) -> Screen:
    if place.kind == "checkin":
        return _screen(
            place,
            "idle",
            CALM,
            "nfc",
            N_("Bienvenue au fablab"),
            N_("Posez votre badge ici en arrivant et en partant."),
            spoken=False,
        )
    return _screen(
        place,
        "idle",
        CALM,
        "nfc",
        N_("Posez votre badge ici."),
        N_("Il faut une formation pour utiliser cette machine."),
        N_("Pas de badge ? Allez voir {who} à l'accueil."),
        params={"who": place.who("fr")},
        spoken=False,
        actions=(CALL, REPORT),
    )


def out_of_service(place: Place, language: str = "fr", reason: str = "") -> Screen:
    """`reason`: one given here (a dangerous report) before the hub's list says it."""
    reason = reason or place.out_of_service_reason
    return _screen(
        place,
        "out_of_service",
        STOP,
        "tools-off",
        N_("Machine en panne"),
        AS_GIVEN if reason else N_("La machine ne marche pas."),
        N_("Revenez plus tard. {who} est au courant."),
        params={"reason": reason, "who": place.who(language)},
        language=language,
        spoken=False,
    )


def fault(place: Place, language: str = "fr") -> Screen:
    return _screen(
        place,
        "fault",
        STOP,
        "alert-triangle",
        N_("Machine bloquée"),
        N_("La machine est bloquée."),
        N_("Appelez {who}."),
        params={"who": place.who(language)},
        language=language,
    )


def in_use(place: Place, person: Any, since_ms: int, until_ms: int, supervised: bool) -> Screen:
    language = known(person.language)
    if place.kind == "checkin":
        return _screen(
            place,
            "welcome",
            OK,
            "mood-smile",
            N_("Bonjour {name} !"),
            N_("Bienvenue au fablab."),
            N_("En partant, reposez votre badge ici."),
            params={"name": person.first_name},
            language=language,
        )
    sentence = N_("Votre référent est avec vous.") if supervised else N_("La machine est à vous.")
    return _screen(
        place,
        "supervised" if supervised else "granted",
        OK,
        "circle-check",
        N_("Bonjour {name} !"),
        sentence,
        N_("Quand vous avez fini, reposez votre badge ici."),
        params={"name": person.first_name},
        language=language,
        timer={"since": since_ms, "until": until_ms},
        actions=(FINISH, CALL, REPORT),
    )


def awaiting_supervisor(place: Place, person: Any, until_ms: int) -> Screen:
    return _screen(
        place,
        "needs_supervisor",
        WAIT,
        "user-shield",
        N_("Bonjour {name} !"),
        N_("Un référent doit venir avec vous."),
        N_("Le référent pose son badge ici."),
        params={"name": person.first_name},
        language=known(person.language),
        countdown=until_ms,
    )


def ending_print(place: Place, language: str) -> Screen:
    return _screen(
        place,
        "print_continues",
        WAIT,
        "printer",
        N_("Impression en cours"),
        N_("Votre impression continue."),
        N_("La séance finira avec elle."),
        language=language,
    )
