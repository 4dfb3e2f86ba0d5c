"""Where another fablab's credential and keys come from: a pasted text, a file (a .jwt, or
the PDF this software's badges are, which carries it as an attachment), or the network.

Fetching is the dangerous part: a credential names addresses, and the hub must not become a
way to reach what only it can reach. So a fetch is over HTTPS to a public address only (no
loopback, private or link-local address, after name resolution), follows no redirect, reads
1 MB at most and gives up after 5 s in all. `FABLAB_LOCAL_ISSUERS=1` lifts the first two
rules, for two fablabs on one network and for the tests (loopback, plain HTTP).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from web.domain.errors import Invalid

TOKEN = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
MAX_BYTES = 1_000_000
MAX_ATTACHMENT = 100_000
DEADLINE_SECONDS = 5.0
HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")


class Refused(Invalid):
    """Why a credential cannot be recognised; `reason` names it for the page."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def local_issuers() -> bool:
    return os.environ.get("FABLAB_LOCAL_ISSUERS") == "1"


def issuer_address(did: str, url: str = "") -> str:
    """Where a `did:web` issuer publishes: https://<its host>; the profile's own url only
    when its host is the DID's (and, with local issuers allowed, plain http too)."""
    rest = did.removeprefix("did:web:")
    host = unquote(rest).lower()
    if not did.startswith("did:web:") or ":" in rest or not HOST.match(host):
        raise Refused("unknown_issuer", did)  # a path, user info or odd characters
    parts = urlsplit(url)
    if local_issuers() and parts.scheme == "http" and parts.netloc.lower() == host:
        return f"http://{host}"
    return f"https://{host}"


def http_get(url: str, accept: str) -> bytes:
    """GET a public document under the rules above; Refused("unreachable") otherwise."""
    import requests

    parts = urlsplit(url)
    allowed = ("https", "http") if local_issuers() else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise Refused("unreachable", url)
    _check_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    deadline = time.monotonic() + DEADLINE_SECONDS
    body = b""
    try:
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment
            with session.get(url, headers={"Accept": accept}, timeout=DEADLINE_SECONDS,
                             stream=True, allow_redirects=False) as response:  # fmt: skip
                if response.status_code != 200:
                    raise Refused("unreachable", f"{url}: {response.status_code}")
                for chunk in response.iter_content(16_384):
                    body += chunk
                    if len(body) > MAX_BYTES or time.monotonic() > deadline:
                        raise Refused("unreachable", f"{url}: too big or too slow")
    except requests.RequestException as problem:
        raise Refused("unreachable", f"{url}: {type(problem).__name__}") from None
    return body


def http_json(url: str) -> dict[str, Any]:
    """A JSON object from a public address; Refused("unreachable") for anything else."""
    try:
        found = json.loads(http_get(url, "application/json"))
    except ValueError:
        raise Refused("unreachable", f"{url}: not JSON") from None
    if not isinstance(found, dict):
        raise Refused("unreachable", f"{url}: not a JSON object")
    return found


def _check_address(host: str, port: int) -> None:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError):
        raise Refused("unreachable", host) from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global and not (local_issuers() and (ip.is_loopback or ip.is_private)):
            raise Refused("unreachable", f"{host}: not a public address")


def read(text: str = "", upload: bytes = b"") -> str:
    """The VC-JWT in a pasted text, a verification page's address, or a file (.jwt, .json, or
    a PDF that carries it as an attachment, as this software's badges do)."""
    if upload:
        if upload.startswith(b"%PDF"):
            return _from_pdf(upload)
        text = upload[:MAX_BYTES].decode("utf-8", "replace")
    text = text.strip()
    if text.startswith(("http://", "https://")) and not TOKEN.search(text):
        text = str(http_json(text.split()[0]).get("credential") or "")
    found = TOKEN.search(text)
    if not found:
        raise Refused("malformed")
    return found.group(0)


def _from_pdf(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        names = [name for name in reader.attachments if name.endswith((".jwt", ".json"))]
        for name in names:
            for version in reader.attachments[name][:3]:
                found = TOKEN.search(version[:MAX_ATTACHMENT].decode("utf-8", "replace"))
                if found:
                    return found.group(0)
    except Exception:
        raise Refused("malformed", "an unreadable PDF") from None
    raise Refused("malformed", "a PDF without a signed badge attached")
