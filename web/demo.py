"""Demo data: three skills, three machines, and people with badges at every level.

Used by `make demo` (through `fablab-hub demo-data`) and by tests that want a
populated hub. The badge UIDs are fixed so a newcomer can type them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlite_utils import Database

from common.clock import today
from web.domain import at_machine, badges, facilitators, grants, machines, people, skills

ACTOR = "demo"
FACILITATOR = ("claire", "fablab-demo-2026")

SKILLS = (
    ("decoupe-laser", "Découpe laser", "Laser cutting", ("H2905",)),
    ("couture", "Couture", "Sewing", ("H2402",)),
    ("impression-3d", "Impression 3D", "3D printing", ()),
)
MACHINES = (  # identifier, kind, skill, the name people read
    ("laser", "laser", "decoupe-laser", "Laser Trotec"),
    ("couture", "sewing", "couture", "Machine à coudre"),
    ("imprimante-3d", "printer", "impression-3d", "Imprimante Prusa"),
)


@dataclass(frozen=True)
class DemoPerson:
    name: str
    uid: str
    # (skill, level, days since the training)
    trainings: tuple[tuple[str, int, int], ...]
    note: str


LASER_CHECKLIST = [
    {"icon": "wind", "text_fr": "L'aspiration est allumée.", "text_en": "The extraction is on.",
     "text_ar": "الشفط يعمل."},
    {"icon": "package", "text_fr": "Mon matériau est autorisé (pas de PVC).",
     "text_en": "My material is allowed (no PVC).", "text_ar": "مادتي مسموحة (بدون PVC)."},
    {"icon": "eye", "text_fr": "Je reste devant la machine pendant la découpe.",
     "text_en": "I stay at the machine while it cuts.", "text_ar": "أبقى أمام الآلة أثناء القص."},
]  # fmt: skip

PEOPLE = (
    DemoPerson(
        "Amina Benali",
        "04A1B2C3D4E5F6",
        (("decoupe-laser", 3, 30), ("couture", 2, 90)),
        "référente laser: peut encadrer",
    ),
    DemoPerson(
        "Karim Diallo",
        "DEADBEEF",
        (("decoupe-laser", 1, 7),),
        "découverte laser: doit être encadré",
    ),
    DemoPerson(
        "Sophie Martin", "CAFEF00D", (("impression-3d", 2, 20), ("couture", 1, 3)), "autonome en 3D"
    ),
    DemoPerson(
        "Fatou Ndiaye",
        "0A0B0C0D",
        (("impression-3d", 3, 100), ("couture", 3, 60)),
        "référente 3D et couture",
    ),
    DemoPerson("Jean Dupont", "12345678", (("decoupe-laser", 2, 800),), "formation laser expirée"),
    DemoPerson(
        "Nadia Haddad",
        "11223344",
        (("decoupe-laser", 2, 250),),
        "autonome laser, mais sans pratique depuis 8 mois",
    ),
    DemoPerson("Lucas Petit", "8899AABB", (), "pas encore formé"),
)


def load(db: Database) -> dict[str, object]:
    """Create the demo fablab; return the machine tokens and the people's ids."""
    for slug, name_fr, name_en, rome in SKILLS:
        skills.add_skill(db, slug, name_fr=name_fr, name_en=name_en, rome_codes=rome, actor=ACTOR)
    tokens = {
        name: machines.add_machine(
            db, name, kind=kind, skill=skill, display_name=shown, actor=ACTOR
        )
        for name, kind, skill, shown in MACHINES
    }
    ids = {}
    for person in PEOPLE:
        person_id = people.add_person(db, person.name, actor=ACTOR)
        badges.assign_badge(db, person_id, person.uid, actor=ACTOR)
        for skill, level, days_ago in person.trainings:
            grants.grant(
                db,
                person_id,
                skill,
                level=level,
                by="Claire (animatrice)",
                on=today() - timedelta(days=days_ago),
                actor=ACTOR,
            )
        ids[person.name] = person_id
    # The laser's safety checklist, confirmed at the machine before it unlocks (Amina, a
    # référente, may skip it; Karim goes through it with her).
    at_machine.set_checklist(db, "decoupe-laser", LASER_CHECKLIST, actor=ACTOR)
    facilitators.add_facilitator(db, *FACILITATOR, role="admin", actor=ACTOR)
    return {"tokens": tokens, "people": ids}
