"""The facilitator's pages through the Flask test client: logins, CSRF, forms in French."""

import re
import uuid

import pytest

from tests.conftest import event
from web.domain import audit, badges, facilitators, grants, people

PASSWORD = "un-mot-de-passe-long"
PRIVATE = ["/aujourdhui", "/personnes", "/personnes/nouvelle"]
PUBLIC = ["/tableau", "/accessibilite", "/donnees-personnelles", "/connexion", "/badges/verifier"]


def csrf(response):
    return re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True)
    ).group(1)


@pytest.mark.parametrize("path", PRIVATE)
def test_facilitator_pages_need_a_login(client, fablab, path):
    response = client.get(path)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_need_none(client, fablab, path):
    response = client.get(path)
    assert response.status_code == 200
    assert 'lang="fr"' in response.get_data(as_text=True)


def test_a_wrong_password_is_refused_in_french_and_audited(client, claire, db):
    page = client.get("/connexion")
    response = client.post(
        "/connexion", data={"name": claire, "password": "faux", "csrf_token": csrf(page)}
    )
    assert response.status_code == 200
    assert "Nom ou mot de passe incorrect." in response.get_data(as_text=True)
    assert audit.entries(db)[0]["action"] == "login.failed"


def test_login_attempts_are_rate_limited(client, claire):
    token = csrf(client.get("/connexion"))
    codes = [
        client.post(
            "/connexion", data={"name": claire, "password": "faux", "csrf_token": token}
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [200] * 10 and 429 in codes[10:]


def test_forms_without_a_csrf_token_are_refused(logged_in, db):
    before = db["people"].count
    response = logged_in.post("/personnes/nouvelle", data={"display_name": "Sans Jeton"})
    assert response.status_code == 400
    assert db["people"].count == before


def test_a_half_filled_form_shows_french_errors_and_saves_nothing(logged_in, db):
    page = logged_in.get("/personnes/nouvelle")
    response = logged_in.post(
        "/personnes/nouvelle", data={"display_name": "", "csrf_token": csrf(page)}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="display_name-error">Ce champ est obligatoire\.', html)
    assert 'aria-invalid="true"' in html
    assert db["people"].count == 0


def test_register_a_person_then_badge_and_train_them(logged_in, fablab, db):
    page = logged_in.get("/personnes/nouvelle")
    response = logged_in.post(
        "/personnes/nouvelle",
        data={
            "display_name": "Amina B.",
            "age_band": "26_44",
            "gender": "",
            "csrf_token": csrf(page),
        },
    )
    assert response.status_code == 302
    person_id = response.headers["Location"].rsplit("/", 1)[1]
    assert people.get_person(db, person_id)["age_band"] == "26_44"

    page = logged_in.get(f"/personnes/{person_id}")
    token = csrf(page)
    bad = logged_in.post(
        f"/personnes/{person_id}/badge", data={"uid": "pas un badge", "csrf_token": token}
    )
    assert bad.status_code == 400 and "numéro de badge" in bad.get_data(as_text=True)
    ok = logged_in.post(
        f"/personnes/{person_id}/badge", data={"uid": "de:ad:be:ef", "csrf_token": token}
    )
    assert ok.status_code == 302 and badges.owner_of(db, "DEADBEEF")["person_id"] == person_id
    other = fablab.person("Karim")
    taken = logged_in.post(
        f"/personnes/{other}/badge", data={"uid": "DEADBEEF", "csrf_token": token}
    )
    assert "appartient déjà" in taken.get_data(as_text=True)

    missing = logged_in.post(
        f"/personnes/{person_id}/formations",
        data={"skill": "decoupe-laser", "by": "Claire", "csrf_token": token},
    )
    assert missing.status_code == 400 and "Ce champ est obligatoire." in missing.get_data(
        as_text=True
    )
    assert grants.history(db, person_id) == []
    done = logged_in.post(
        f"/personnes/{person_id}/formations",
        data={"skill": "decoupe-laser", "level": "2", "by": "Claire", "csrf_token": token},
    )
    assert done.status_code == 302
    assert [(g["skill"], g["level"]) for g in grants.history(db, person_id)] == [
        ("decoupe-laser", 2)
    ]

    asked = logged_in.post(
        f"/personnes/{person_id}/formations/decoupe-laser/retirer",
        data={"reason": "Usage dangereux", "csrf_token": token},
    )  # a page that says what will happen, and nothing done yet
    assert asked.status_code == 200 and "Impossible à annuler" in asked.get_data(as_text=True)
    assert grants.history(db, person_id)[0]["status"] == "active"
    revoked = logged_in.post(
        f"/personnes/{person_id}/formations/decoupe-laser/retirer",
        data={"reason": "Usage dangereux", "when": "now", "confirmed": "yes", "csrf_token": token},
    )
    assert revoked.status_code == 302
    assert grants.history(db, person_id)[0]["status"] == "revoked"
    assert any(
        e["action"] == "grant.revoked" and e["actor"] == "facilitator:claire"
        for e in audit.entries(db)
    )


def test_tap_the_badge_now_binds_the_next_unknown_card(logged_in, fablab, db):
    person_id = fablab.person("Sophie")
    token = csrf(logged_in.get(f"/personnes/{person_id}"))
    started = logged_in.post(f"/personnes/{person_id}/badge/attente", data={"csrf_token": token})
    waiting = int(re.search(r"attente=(\d+)", started.headers["Location"]).group(1))
    status_url = f"/personnes/{person_id}/badge/attente/{waiting}"
    assert logged_in.get(status_url).get_json() == {"state": "waiting", "uid": None}
    # The resident taps a new card at the laser's station.
    logged_in.post(
        "/api/v1/events",
        headers=fablab.auth(),
        json={"events": [event("unknown_badge", uid="0A1B2C3D")]},
    )
    assert logged_in.get(status_url).get_json() == {"state": "done", "uid": "0A1B2C3D"}
    assert badges.owner_of(db, "0A1B2C3D")["person_id"] == person_id


def test_search_by_name_or_by_tapping_a_badge_at_the_desk(logged_in, fablab):
    amina = fablab.person("Amina Benali", "04A1B2C3D4E5F6")
    fablab.person("Karim Diallo")
    assert "Amina Benali" in logged_in.get("/personnes?q=amina").get_data(as_text=True)
    found = logged_in.get("/personnes?q=04a1b2c3d4e5f6")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/personnes/{amina}")


def test_today_shows_machines_sessions_and_unknown_cards(logged_in, fablab, db):
    amina = fablab.person("Amina Benali", "DEADBEEF", decoupe_laser=2)
    session = str(uuid.uuid4())
    logged_in.post(
        "/api/v1/events",
        headers=fablab.auth(),
        json={
            "events": [
                event("heartbeat", version="0.1.0", state="in_use", outbox_depth=0),
                event("session_started", session=session, person=amina),
                event("unknown_badge", uid="CAFEBABE"),
            ]
        },
    )
    html = logged_in.get("/aujourdhui").get_data(as_text=True)
    assert "Occupée" in html and "Amina Benali" in html
    assert "CAFEBABE" in html
    assert "Hors ligne" in html  # the sewing station never reported


def test_the_wall_screen_shows_no_names(client, fablab, db):
    fablab.person("Amina Benali", "DEADBEEF", decoupe_laser=2)
    html = client.get("/tableau").get_data(as_text=True)
    assert "laser" in html and "Amina" not in html


def test_english_on_request(client, fablab):
    client.get("/langue/en")
    assert 'lang="en"' in client.get("/tableau").get_data(as_text=True)


def test_machines_out_of_service_back_and_a_new_token(logged_in, fablab, db):
    from web.domain import machines

    token = csrf(logged_in.get("/machines"))
    empty = logged_in.post("/machines/laser/hors-service", data={"reason": "", "csrf_token": token})
    assert empty.status_code == 400 and "Ce champ est obligatoire." in empty.get_data(as_text=True)
    assert not machines.get_machine(db, "laser")["out_of_service"]
    logged_in.post("/machines/laser/hors-service", data={"reason": "Lentille", "csrf_token": token})
    assert machines.get_machine(db, "laser")["out_of_service_reason"] == "Lentille"
    logged_in.post("/machines/laser/en-service", data={"csrf_token": token})
    assert not machines.get_machine(db, "laser")["out_of_service"]
    asked = logged_in.post("/machines/laser/jeton", data={"csrf_token": token})
    assert "sudo systemctl restart fablab-kiosk" in asked.get_data(as_text=True)  # what next
    assert logged_in.get("/api/v1/access-list", headers=fablab.auth()).status_code == 200
    page = logged_in.post(
        "/machines/laser/jeton", data={"csrf_token": token, "confirmed": "yes"}
    ).get_data(as_text=True)
    new_token = re.search(r"<code>(fab_[^<]+)</code>", page).group(1)
    assert logged_in.get("/api/v1/access-list", headers=fablab.auth()).status_code == 401
    assert (
        logged_in.get(
            "/api/v1/access-list", headers={"Authorization": f"Bearer {new_token}"}
        ).status_code
        == 200
    )


def test_skills_are_listed_and_added(logged_in, fablab, db):
    from web.domain import skills

    token = csrf(logged_in.get("/competences"))
    bad = logged_in.post(
        "/competences", data={"slug": "brodeuse", "name_fr": "", "csrf_token": token}
    )
    assert bad.status_code == 400 and "Ce champ est obligatoire." in bad.get_data(as_text=True)
    logged_in.post("/competences", data={"slug": "brodeuse", "name_fr": "Brodeuse",
                                         "validity_months": "12", "inactivity_months": "3",
                                         "rome": "H2402", "csrf_token": token})  # fmt: skip
    assert skills.get_skill(db, "brodeuse")["validity_months"] == 12
    assert "Brodeuse" in logged_in.get("/competences").get_data(as_text=True)


ALL_PRIVATE_GETS = [
    "/aujourdhui",
    "/export",
    "/personnes",
    "/personnes/nouvelle",
    "/personnes/{p}",
    "/personnes/{p}/parcours",
    "/personnes/{p}/attestation",
    "/personnes/{p}/attestation.pdf",
    "/personnes/{p}/reconnaitre",
    "/fablabs",
    "/personnes/{p}/donnees.json",
    "/personnes/{p}/donnees.pdf",
    "/personnes/{p}/badge/attente/1",
    "/machines",
    "/competences",
]
ALL_POSTS = ["/personnes/nouvelle", "/personnes/{p}/badge", "/personnes/{p}/badge/attente",
             "/personnes/{p}/formations", "/personnes/{p}/formations/decoupe-laser/suspendre",
             "/personnes/{p}/formations/decoupe-laser/retirer",
             "/personnes/{p}/formations/decoupe-laser/retablir", "/machines/laser/hors-service",
             "/machines/laser/en-service", "/machines/laser/jeton", "/competences",
             "/personnes/{p}/effacer", "/personnes/{p}/attestation",
             "/personnes/{p}/reconnaitre", "/personnes/{p}/reconnaitre/confirmer", "/fablabs",
             "/fablabs/retirer", "/reglages/identite",
             "/deconnexion"]  # fmt: skip


def test_every_private_page_and_action_needs_a_login(client, fablab):
    person = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    for path in ALL_PRIVATE_GETS:
        response = client.get(path.format(p=person))
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], path
    for path in ALL_POSTS:
        response = client.post(path.format(p=person), data={})
        assert response.status_code in (302, 400), path
        assert response.status_code == 400 or "/connexion" in response.headers["Location"], path


def test_every_action_refuses_a_missing_csrf_token(logged_in, fablab, db):
    person = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    before = audit.entries(db, 1)[0]["id"]
    for path in ALL_POSTS:
        response = logged_in.post(path.format(p=person), data={"reason": "x", "display_name": "x"})
        assert response.status_code == 400, path
    assert audit.entries(db, 1)[0]["id"] == before  # nothing happened


def test_suspend_and_reinstate_from_the_page(logged_in, fablab, db):
    person = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    token = csrf(logged_in.get(f"/personnes/{person}"))
    logged_in.post(f"/personnes/{person}/formations/decoupe-laser/suspendre",
                   data={"reason": "À revoir", "csrf_token": token})  # fmt: skip
    assert grants.history(db, person)[0]["status"] == "suspended"
    logged_in.post(
        f"/personnes/{person}/formations/decoupe-laser/retablir", data={"csrf_token": token}
    )
    assert grants.history(db, person)[0]["status"] == "active"


def test_a_skill_is_edited(logged_in, fablab, db):
    from web.domain import skills

    token = csrf(logged_in.get("/competences/decoupe-laser"))
    bad = logged_in.post("/competences/decoupe-laser", data={
        "name_fr": "Découpe laser", "rome": "nope", "csrf_token": token})  # fmt: skip
    assert bad.status_code == 400 and "ROME" in bad.get_data(as_text=True)
    edited = {
        "name_fr": "Découpe et gravure laser",
        "name_en": "Laser cutting and engraving",
        "validity_months": "36",
        "inactivity_months": "4",
        "rome": "H2905",
        "csrf_token": token,
    }
    logged_in.post("/competences/decoupe-laser", data=edited)
    skill = skills.get_skill(db, "decoupe-laser")
    assert (skill["name_fr"], skill["validity_months"], skill["inactivity_months"]) == (
        "Découpe et gravure laser",
        36,
        4,
    )


def test_facilitator_accounts_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from web.cli import main

    path = str(tmp_path / "hub.db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", path, "init"]).exit_code == 0
    short = runner.invoke(
        main, ["--db", path, "facilitator", "add", "claire", "--password", "court"]
    )
    assert short.exit_code == 1 and "10 characters" in short.output
    done = runner.invoke(main, ["--db", path, "facilitator", "add", "claire"],
                         input="un-mot-de-passe-long\nun-mot-de-passe-long\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    from web.db import open_database

    db = open_database(path)
    assert facilitators.authenticate(db, "claire", "un-mot-de-passe-long")["name"] == "claire"
    assert facilitators.authenticate(db, "claire", "wrong") is None
    db.close()


def test_the_weekly_export_is_downloaded(logged_in, fablab):
    from io import BytesIO

    from openpyxl import load_workbook

    bad = logged_in.get("/export?semaine=la-semaine-derniere")
    assert bad.status_code == 400 and "2026-W47" in bad.get_data(as_text=True)
    response = logged_in.get("/export?semaine=2026-W48")
    assert response.status_code == 200
    assert "fablab-export-2026-W48.xlsx" in response.headers["Content-Disposition"]
    assert load_workbook(BytesIO(response.data)).sheetnames == ["Synthèse", "Colonnes", "À lire"]
    # A partner, added on the page: its own files, in a zip of CSVs and their "À lire".
    page = logged_in.get("/export")
    added = logged_in.post("/export/partenaires", data={
        "csrf_token": csrf(page), "name": "Mission Locale", "slug": "mission-locale"})  # fmt: skip
    assert added.status_code == 302
    bundle = logged_in.get("/export?semaine=2026-W48&partenaire=mission-locale&format=csv")
    import zipfile

    names = zipfile.ZipFile(BytesIO(bundle.data)).namelist()
    assert "fablab-seances-2026-W48-mission-locale.csv" in names
    assert "fablab-a-lire-2026-W48-mission-locale.txt" in names
    unknown = logged_in.get("/export?semaine=2026-W48&partenaire=personne")
    assert unknown.status_code == 400


def test_skill_mistakes_are_explained_in_french(logged_in, fablab):
    token = csrf(logged_in.get("/competences"))
    bad = logged_in.post("/competences", data={"slug": "Découpe Laser", "name_fr": "X",
                                               "csrf_token": token})  # fmt: skip
    assert bad.status_code == 400 and "Minuscules, chiffres et tirets" in bad.get_data(as_text=True)
    taken = logged_in.post("/competences", data={"slug": "couture", "name_fr": "Couture",
                                                 "csrf_token": token})  # fmt: skip
    assert "Une compétence porte déjà cet identifiant." in taken.get_data(as_text=True)


def test_a_persons_language_and_the_stations_languages_from_the_pages(logged_in, fablab, db):
    from web.domain import settings

    person = fablab.person("Aïcha K.", "DEADBEEF", decoupe_laser=2)
    page = logged_in.get(f"/personnes/{person}")
    assert "العربية · textes à relire" in page.get_data(as_text=True)
    done = logged_in.post(f"/personnes/{person}/langue",
                          data={"language": "ar", "csrf_token": csrf(page)})  # fmt: skip
    assert done.status_code == 302 and people.get_person(db, person)["language"] == "ar"
    bad = logged_in.post(f"/personnes/{person}/langue",
                         data={"language": "xx", "csrf_token": csrf(page)})  # fmt: skip
    assert bad.status_code == 400 and people.get_person(db, person)["language"] == "ar"

    page = logged_in.get("/reglages")
    html = page.get_data(as_text=True)
    assert "Allez voir claire" not in html and "Allez voir Claire à l'accueil" in html
    done = logged_in.post("/reglages", data={"contact_name": "Samia", "languages": ["fr", "en"],
                                             "csrf_token": csrf(page)})  # fmt: skip
    assert done.status_code == 302
    assert settings.contact_name(db) == "Samia"
    assert settings.station_languages(db) == ("fr", "en")  # Arabic hidden until reviewed
