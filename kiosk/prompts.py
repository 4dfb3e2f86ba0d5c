"""The moments of a session, as screens: the checklist before the machine opens, the warning
before its end, "are you there?", someone who wants the machine, a référent validating a
step, a stop asked by the facilitator, a call, a report, a badge just enrolled, and the
goodbye with the time worked and what comes next.

Same rules as every screen (kiosk.screens): one pictogram, a short title, one plain sentence,
what to do next, in the person's language; the buttons are big and say what they do.
"""

from __future__ import annotations

from typing import Any

from common.languages import known
from kiosk.screens import HOLD_SECONDS, OK, STOP, WAIT, Place, Screen, _screen
from kiosk.texts import HOURS, MINUTES, N_, SECONDS, duration, plural, text

REPORT_CHOICES = (
    ("report:broken", N_("Cassé"), "tool"),
    ("report:material", N_("Il manque du matériel"), "package"),
    ("report:dirty", N_("Sale"), "spray"),
    ("report:dangerous", N_("Dangereux"), "alert-triangle"),
    ("report:other", N_("Autre chose"), "dots"),
)
CANCEL = ("cancel", N_("Annuler"), "circle-x")


def _language(person: Any) -> str:
    return known(getattr(person, "language", None))


def checklist_item(place: Place, run: Any, until_ms: int) -> Screen:
    """One item of the checklist: its pictogram, its sentence, and the button that says done."""
    person = run.decision.entry
    language = _language(person)
    item = run.items[run.current]
    words = item["text"].get(language) or item["text"].get("fr", "")
    return _screen(
        place, "checklist", WAIT, item.get("icon") or "checklist", N_("Avant de commencer"),
        "{item}", N_("Touchez « C'est fait » quand c'est vrai."),
        params={"item": words}, language=language, countdown=until_ms,
        actions=(("confirm", N_("C'est fait"), "circle-check"), CANCEL),
        step=f"{run.current + 1} / {len(run.items)}",
    )  # fmt: skip


def warning(place: Place, person: Any, minutes: float, until_ms: int) -> Screen:
    language = _language(person)
    left = (
        plural(language, MINUTES, round(minutes))
        if minutes >= 1
        else plural(language, SECONDS, round(minutes * 60))
    )
    return _screen(
        place, "warning", WAIT, "alarm", N_("Bientôt la fin"),
        N_("La machine s'arrête dans {left}."), N_("Finissez votre travail."),
        params={"left": left}, language=language, countdown=until_ms,
        actions=(("finish", N_("J'ai fini"), "door-exit"),),
    )  # fmt: skip


def presence(place: Place, person: Any, urgency: int, until_ms: int) -> Screen:
    """Are you still at the machine? Amber, then red, then the buzzer as time runs out."""
    return _screen(
        place, "presence", WAIT if urgency < 2 else STOP, "eye", N_("Vous êtes là ?"),
        N_("Cette machine ne doit pas travailler seule."),
        N_("Touchez « Je suis là » ou reposez votre badge."),
        language=_language(person), countdown=until_ms, urgency=urgency,
        actions=(("confirm", N_("Je suis là"), "hand-finger"),),
    )  # fmt: skip


def handover_offer(place: Place, holder: Any, newcomer: Any, until_ms: int) -> Screen:
    """To the one using the machine: someone else would like it."""
    return _screen(
        place, "handover_offer", WAIT, "users", N_("{name} veut la machine"),
        N_("{holder}, laissez-vous la place à {name} ?"),
        N_("Sinon, {name} pourra la prendre après vous."),
        params={"name": newcomer.first_name, "holder": holder.first_name},
        language=_language(holder), countdown=until_ms,
        actions=(("handover", N_("Je laisse la place"), "door-exit"),
                 ("keep", N_("Je continue"), "player-play")),
    )  # fmt: skip


def sign_off_offer(
    place: Place, holder: Any, signer: Any, level: int, until_ms: int, may_take: bool = False
) -> Screen:
    """To the référent who tapped during someone's session: validate a step (or, when they
    are trained here themselves, ask for the machine next)."""
    up = (("sign_off:level_up", N_("Passer au niveau Autonome"), "stairs-up"),) if level == 1 \
        else (("sign_off:level_up", N_("Passer au niveau Référent"), "stairs-up"),) if level == 2 \
        else ()  # fmt: skip
    return _screen(
        place, "sign_off_offer", WAIT, "certificate", N_("Valider une étape ?"),
        N_("{signer}, vous pouvez valider la formation de {name}."),
        N_("Choisissez, ou annulez."),
        params={"name": holder.first_name, "signer": signer.first_name},
        language=_language(signer), countdown=until_ms,
        actions=(*up, ("sign_off:renew", N_("Renouveler la formation"), "rosette"),
                 *((("want", N_("Je veux la machine"), "hand-click"),) if may_take else ()),
                 CANCEL),
    )  # fmt: skip


LEVELS = {1: N_("Découverte"), 2: N_("Autonome"), 3: N_("Référent")}


def sign_off_done(place: Place, holder: Any, signer: Any, level: int, choice: str) -> Screen:
    language = _language(holder)
    return _screen(
        place, "sign_off_done", OK, "award",
        N_("Bravo {name} !") if choice == "level_up" else N_("C'est noté, {name}."),
        N_("Vous êtes au niveau {level}.") if choice == "level_up"
        else N_("Votre formation est renouvelée."),
        N_("Validé par {signer}."),
        params={"name": holder.first_name, "signer": signer.first_name,
                "level": text(language, LEVELS[level])},
        language=language, hold=HOLD_SECONDS,
    )  # fmt: skip


STOPS = {
    "out_of_service": N_("{who} met la machine hors service."),
    "training": N_("{who} arrête votre séance."),
    "cancel": N_("{who} arrête la machine et l'impression."),
}


def countdown(place: Place, person: Any, until_ms: int, why: str) -> Screen:
    """The facilitator stops this session: a short countdown before the power goes (a print
    goes on to its end, unless the facilitator cancelled it too)."""
    language = _language(person)
    print_goes_on = place.kind == "printer" and why != "cancel"
    return _screen(
        place, "countdown", STOP, "hourglass-high", N_("La séance va s'arrêter"),
        STOPS.get(why, STOPS["training"]),
        N_("Votre impression continue jusqu'au bout.") if print_goes_on
        else N_("Arrêtez votre travail maintenant."),
        language=language, countdown=until_ms,
    )  # fmt: skip


def call_sent(place: Place, person: Any, received: bool = False, seen: bool = False) -> Screen:
    """The call went (kept here), reached the hub, then the facilitator saw it."""
    language = _language(person)
    code, title, sentence = (
        ("call_seen", N_("{who} a vu votre appel"), N_("{who} arrive."))
        if seen
        else ("call_received", N_("Appel reçu"), N_("{who} va venir."))
        if received
        else ("call_sent", N_("Appel envoyé"), N_("{who} va voir votre appel."))
    )
    return _screen(
        place, code, OK, "bell-ringing", title, sentence, N_("Restez près de la machine."),
        language=language, hold=HOLD_SECONDS * 2,
    )  # fmt: skip


def report_choices(place: Place, person: Any) -> Screen:
    return _screen(
        place, "report_choices", WAIT, "alert-octagon", N_("Quel problème ?"),
        N_("Touchez ce qui ne va pas."), "", language=_language(person),
        hold=HOLD_SECONDS * 4, actions=(*REPORT_CHOICES, CANCEL),
    )  # fmt: skip


def report_sent(place: Place, person: Any, category: str) -> Screen:
    language = _language(person)
    if category == "dangerous":
        return _screen(
            place, "report_danger", STOP, "alert-triangle", N_("Machine arrêtée"),
            N_("Vous avez dit que la machine est dangereuse. Elle est arrêtée."),
            N_("Éloignez-vous. {who} est prévenu."),
            params={"who": place.who(language)}, language=language, hold=HOLD_SECONDS * 2,
        )  # fmt: skip
    return _screen(
        place, "report_sent", OK, "clipboard-check", N_("Merci !"),
        N_("{who} va regarder le problème."), "",
        params={"who": place.who(language)}, language=language, hold=HOLD_SECONDS,
    )  # fmt: skip


def enrolled(place: Place, name: str) -> Screen:
    return _screen(
        place, "enrolled", OK, "user-check", N_("Badge enregistré"),
        N_("Ce badge est maintenant celui de {name}."), N_("Bienvenue au fablab !"),
        params={"name": name}, hold=HOLD_SECONDS,
    )  # fmt: skip


ENDINGS = {
    "badge_out": N_("Vous avez travaillé {duration}."),
    "finished": N_("Vous avez travaillé {duration}."),
    "handover": N_("Vous avez travaillé {duration}. Quelqu'un prend la suite."),
    "timeout": N_("Le temps maximum est passé. Vous avez travaillé {duration}."),
    "idle": N_("La machine ne travaillait plus. Vous avez travaillé {duration}."),
    "absent": N_("Personne n'a répondu : la séance est finie. Vous avez travaillé {duration}."),
    "stopped": N_("La séance est arrêtée. Vous avez travaillé {duration}."),
}


def goodbye(place: Place, person: Any, seconds: float, reason: str, access: Any) -> Screen:
    """The time worked, the total on this machine, and the next step of their parcours."""
    language = _language(person)
    name = person.first_name if person is not None else ""
    total = (getattr(person, "hours_before", 0.0) or 0.0) + seconds / 3600
    return _screen(
        place, "goodbye", OK, "door-exit", N_("Au revoir {name} !"),
        ENDINGS.get(reason, ENDINGS["badge_out"]), *_next_step(person, total, access),
        params={"name": name, "duration": duration(language, seconds),
                **_progress_params(person, total, access, language)},
        language=language, hold=HOLD_SECONDS,
        facts=((N_("Aujourd'hui"), duration(language, seconds)),
               (N_("En tout sur cette machine"), duration(language, total * 3600)))
        if person is not None else (),
    )  # fmt: skip


def _thresholds(access: Any) -> tuple[float, float]:
    if access is None:
        return 3.0, 20.0
    return (float(access.setting("hours_to_autonomous", 3.0)),
            float(access.setting("hours_to_referent", 20.0)))  # fmt: skip


def _next_step(person: Any, total: float, access: Any) -> tuple[str]:
    level = getattr(person, "level", None)
    autonomous, referent = _thresholds(access)
    if level == 1:
        if total < autonomous:
            return (N_("Encore {left} pour passer au niveau Autonome."),)
        return (N_("Vous pouvez demander à passer au niveau Autonome."),)
    if level == 2:
        if total < referent:
            return (N_("Encore {left} pour devenir référent."),)
        return (N_("Vous pouvez demander à devenir référent."),)
    if level == 3:
        return (N_("Vous pouvez former d'autres personnes."),)
    return (N_("À bientôt au fablab."),)


def _progress_params(person: Any, total: float, access: Any, language: str) -> dict[str, str]:
    level = getattr(person, "level", None)
    autonomous, referent = _thresholds(access)
    goal = autonomous if level == 1 else referent
    left = max(0.0, goal - total)
    hours = int(left) if left >= 1 else 0
    words = plural(language, HOURS, hours) if hours else duration(language, left * 3600)
    return {"left": words}
