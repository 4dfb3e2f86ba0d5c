"""Documents a resident takes away, drawn from HTML templates by WeasyPrint (Pango shapes
every script: Turkish, Arabic...; fonts embedded; a tagged PDF with true metadata), with
the signed credentials attached where they belong."""

from __future__ import annotations

from urllib.parse import quote

from flask import make_response, render_template
from werkzeug.wrappers import Response


def qr_svg(url: str) -> str:
    """A QR code, as inline SVG (segno), to print next to what it leads to."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=3, border=2, dark="#000")


def pdf_bytes(template: str, attachments: list[tuple[str, str, str]] = (), **context: object
              ) -> bytes:  # fmt: skip
    """The PDF of `template`; `attachments`: (file name, text, description) embedded in it."""
    import weasyprint

    from common.clock import now_iso
    from web.app import get_db
    from web.domain import settings
    from web.domain.rome import title

    db = get_db()
    context.setdefault("fablab_name", settings.get(db, "fablab_name") or "Le fablab")
    context.setdefault("logo", settings.get(db, "logo"))
    html = render_template(template, now_stamp=now_iso()[:19] + "Z", rome_title=title, **context)
    files = [weasyprint.Attachment(string=text, name=name, description=about)
             for name, text, about in attachments]  # fmt: skip
    return weasyprint.HTML(string=html).write_pdf(attachments=files, pdf_variant="pdf/ua-1")


def pdf_response(template: str, filename: str, attachments: list[tuple[str, str, str]] = (),
                 inline: bool = False, **context: object) -> Response:  # fmt: skip
    response = make_response(pdf_bytes(template, attachments, **context))
    response.mimetype = "application/pdf"
    how = "inline" if inline else "attachment"
    stem, _, extension = filename.rpartition(".")
    plain = f"{file_name(stem)}.{extension}"
    told = f'{how}; filename="{plain}"'
    if plain != filename:  # a name in any script, for browsers that read it (RFC 6266)
        told += f"; filename*=UTF-8''{quote(filename)}"
    response.headers["Content-Disposition"] = told
    return response


def file_name(*words: str) -> str:
    """A download's name anyone's computer accepts: "attestation-ayse-yilmaz"."""
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", "-".join(words).replace("ı", "i"))
    plain = plain.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "document"
