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

from common.languages import LANGUAGES, known
from kiosk.texts import MINUTES, N_, SECONDS, duration, plural, text

# Tones match the lights: ok green, wait amber, stop red; calm when nothing is happening.
OK, WAIT, STOP, CALM = "ok", "wait", "stop", "calm"
HOLD_SECONDS = 8.0  # a passing screen (a refusal, a goodbye) before the state's returns
MACHINE_ICONS = {
    "laser": "flame",
    "sewing": "needle",
    "printer": "printer",
    "checkin": "door-enter",
    "relay": "tool",
}
AS_GIVEN = "{reason}"  # the facilitator's own words, shown as written
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
    **rest: Any,
) -> Screen:
    return Screen(
        code,
        tone,
        icon,
        title,
        sentence,
        next_step,
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
    )


def out_of_service(place: Place, language: str = "fr") -> Screen:
    reason = place.out_of_service_reason
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


# --- the moments ---------------------------------------------------------------------------

REFUSALS: dict[str, tuple[str, str, str, str]] = {
    # code: (pictogram, title, sentence, next step)
    "unknown_badge": (
        "user-question",
        N_("Pas pour cette machine"),
        N_("Ce badge n'ouvre pas cette machine."),
        N_("Pour apprendre à l'utiliser, allez voir {who} à l'accueil."),
    ),
    "not_trained": (
        "school",
        N_("Formation nécessaire"),
        N_("Pour cette machine, il faut la formation « {skill} »."),
        N_("Demandez cette formation à {who}."),
    ),
    "expired": (
        "calendar-x",
        N_("Formation à refaire"),
        N_("Votre formation « {skill} » est trop ancienne."),
        N_("Demandez une nouvelle formation à {who}."),
    ),
    "lapsed": (
        "hourglass",
        N_("Pas utilisée depuis longtemps"),
        N_("Vous n'avez pas utilisé cette machine depuis longtemps."),
        N_("Demandez à {who} de vous la remontrer."),
    ),
    "machine_busy": (
        "hand-stop",
        N_("Machine occupée"),
        N_("Quelqu'un utilise la machine."),
        N_("Attendez la fin, s'il vous plaît."),
    ),
    "out_of_service": (
        "tools-off",
        N_("Machine en panne"),
        N_("La machine ne marche pas."),
        N_("Revenez plus tard. {who} est au courant."),
    ),
    "supervisor_timeout": (
        "user-x",
        N_("Pas de référent"),
        N_("Personne n'est venu. La machine reste fermée."),
        N_("Demandez à un référent de venir avec vous."),
    ),
    "machine_fault": (
        "alert-triangle",
        N_("Machine bloquée"),
        N_("La machine est bloquée."),
        N_("Appelez {who}."),
    ),
    "cannot_record": (
        "device-floppy",
        N_("Station pleine"),
        N_("La station ne peut plus rien enregistrer."),
        N_("Appelez {who}."),
    ),
    "no_access_list": (
        "clock",
        N_("Pas encore prête"),
        N_("La machine n'est pas encore prête."),
        N_("Appelez {who}."),
    ),
    "refused_by_machine": (
        "plug-connected-x",
        N_("Démarrage impossible"),
        N_("La machine ne peut pas démarrer."),
        N_("Vérifiez : {what}. Sinon, appelez {who}."),
    ),
}


def refused(place: Place, code: str, person: Any = None, detail: str = "") -> Screen:
    """The screen of one refusal; `detail` is the out-of-service reason or what the machine
    misses (permit names)."""
    language = known(person.language if person is not None else None)
    icon, title, sentence, next_step = REFUSALS.get(code, REFUSALS["machine_fault"])
    if code == "out_of_service" and (detail or place.out_of_service_reason):
        sentence = AS_GIVEN
    what = ", ".join(
        text(language, PERMITS.get(name.strip(), name.strip()))
        for name in detail.split(",")
        if name.strip()
    )
    params = {
        "who": place.who(language),
        "skill": place.skill(language),
        "reason": detail or place.out_of_service_reason,
        "what": what,
    }
    return _screen(
        place,
        code,
        STOP,
        icon,
        title,
        sentence,
        next_step,
        params=params,
        language=language,
        hold=HOLD_SECONDS,
    )


def warning(place: Place, person: Any, minutes: float, until_ms: int) -> Screen:
    language = known(person.language if person is not None else None)
    left = (
        plural(language, MINUTES, round(minutes))
        if minutes >= 1
        else plural(language, SECONDS, round(minutes * 60))
    )
    return _screen(
        place,
        "warning",
        WAIT,
        "alarm",
        N_("Bientôt la fin"),
        N_("La machine s'arrête dans {left}."),
        N_("Finissez votre travail."),
        params={"left": left},
        language=language,
        countdown=until_ms,
    )


ENDINGS = {
    "badge_out": N_("Vous avez travaillé {duration}."),
    "handover": N_("Vous avez travaillé {duration}. Quelqu'un prend la suite."),
    "timeout": N_("Le temps maximum est passé. Vous avez travaillé {duration}."),
    "idle": N_("La machine ne travaillait plus. Vous avez travaillé {duration}."),
}


def goodbye(place: Place, person: Any, seconds: float, reason: str) -> Screen:
    language = known(person.language if person is not None else None)
    name = person.first_name if person is not None else ""
    return _screen(
        place,
        "goodbye",
        OK,
        "door-exit",
        N_("Au revoir {name} !"),
        ENDINGS.get(reason, ENDINGS["badge_out"]),
        N_("À bientôt au fablab."),
        params={"name": name, "duration": duration(language, seconds)},
        language=language,
        hold=HOLD_SECONDS,
    )
