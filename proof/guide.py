"""The install guide's own commands, taken from docs/install.md so the proof cannot drift from it.

A block that the proof runs has an HTML comment just before it, `<!-- proof: NAME -->`.
The proof runs those blocks as they are written, with only the substitutions listed in
SUBSTITUTIONS (each must still match, or the proof fails: a guide that changed is noticed).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "install.md"
MARK = re.compile(r"^<!-- proof: ([\w-]+) -->\s*\n```(\w*)\n(.*?)\n```", re.S | re.M)

# What the proof may change in a block, and why: (block, text in the guide, replacement).
SUBSTITUTIONS = (
    # The clone URL: the proof clones a snapshot of the working tree, bound into the machine.
    ("every-pi", "https://example.org/fablab/fablab-stations.git", "/srv/fablab-src"),
    # The password prompt (asked twice) is answered on standard input.
    (
        "hub-admin",
        "hub facilitator add claire",
        'printf "%s\\n" "$PROOF_PASSWORD" "$PROOF_PASSWORD" | hub facilitator add claire',
    ),
    # sudoedit: the file the reader would type is the guide's own TOML block, with the
    # station's token, hub URL, reader and simulated pins put in (station_toml below).
    # scp from the hub: the proof copies the hub's file across itself.
    ("station-config", "scp hub.local:hub-ca.crt", "cp /proof-io/hub-ca.crt"),
    (
        "station-config",
        "sudoedit /etc/fablab/station.toml",
        "sudo cp /proof-io/station.toml /etc/fablab/station.toml",
    ),
)


class GuideError(RuntimeError):
    """The guide no longer has what the proof runs; the message says what is missing."""


def blocks(path: Path = GUIDE) -> dict[str, str]:
    """Every marked block of the guide, by name."""
    text = path.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for match in MARK.finditer(text):
        name = match.group(1)
        if name in found:
            raise GuideError(f"{path.name}: two blocks are marked 'proof: {name}'")
        found[name] = match.group(3)
    if len(re.findall(r"(?m)^<!-- proof:", text)) != len(found):
        raise GuideError(f"{path.name}: a '<!-- proof: ... -->' mark is not before a code block")
    return found


def substituted(name: str, body: str) -> str:
    for block, old, new in SUBSTITUTIONS:
        if block != name:
            continue
        if old not in body:
            raise GuideError(f"block {name!r} no longer contains {old!r}")
        body = body.replace(old, new)
    return body


def script(names: list[str], found: dict[str, str], env: dict[str, str] | None = None) -> str:
    """One bash script running the named blocks in order, stopping at the first failure.

    Aliases defined anywhere in the guide's marked blocks are defined first, as they are in
    the reader's shell from the step that defines them on.
    """
    missing = [name for name in names if name not in found]
    if missing:
        raise GuideError(f"the guide has no block marked {', '.join(missing)}")
    aliases = [
        line for body in found.values() for line in body.splitlines() if line.startswith("alias ")
    ]
    lines = ["set -eo pipefail", "shopt -s expand_aliases"]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in (env or {}).items()]
    lines += aliases
    for name in names:
        lines += [f"echo '### guide block: {name}'", "set -x", substituted(name, found[name])]
        lines += ["{ set +x; } 2>/dev/null"]
    lines.append("echo '### guide blocks done'")
    return "\n".join(lines) + "\n"


def station_toml(found: dict[str, str], *, token: str, url: str | None, reader: str) -> str:
    """The guide's station.toml with the token, the hub URL, a reader this machine has, and
    gpiozero's simulated pins (no GPIO here). The laser's permits are declared active-low so
    that simulated pins, which read low, say the extractor runs and the lid is closed."""
    text = found["station-toml"]
    replacements = [('token = "fab_..."', f'token = "{token}"')]
    if url:
        replacements.append(('url = "https://hub.local"', f'url = "{url}"'))
    for old, new in replacements:
        if old not in text:
            raise GuideError(f"the guide's station.toml no longer contains {old!r}")
        text = text.replace(old, new)
    text = re.sub(r"(?m)^kind = \"mfrc522\".*$", reader, text)
    text = text.replace(
        "[machine]\n", '[machine]\npin_factory = "mock"\npermits_active_high = false\n'
    )
    text = text.replace("[feedback]\n", '[feedback]\npin_factory = "mock"\n')
    data = tomllib.loads(text)  # the proof's edits must leave valid TOML
    if (
        data["machine"].get("pin_factory") != "mock"
        or data["feedback"].get("pin_factory") != "mock"
    ):
        raise GuideError("the guide's station.toml has no [machine] or [feedback] table")
    return text


def guide_toml_with_token(found: dict[str, str], *, token: str, url: str | None) -> str:
    """The guide's station.toml with its MFRC522 reader, to see what `check` says without SPI."""
    return station_toml(found, token=token, url=url, reader='kind = "mfrc522"')
