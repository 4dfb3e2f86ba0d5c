"""The printable attestation: what a resident can hand to an employment counsellor.

One A4 page per person: their skills, levels, dates, hours of practice, the
ROME job codes they relate to, the fablab's name, a signature line, and a QR
code to the page where anyone can check a badge. Made with ReportLab, whose
standard fonts cover French text.
"""

from __future__ import annotations

import io
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from sqlite_utils import Database

from web.domain import people
from web.domain.parcours import parcours

LEVELS = {1: "Découverte (accompagné·e)", 2: "Autonome", 3: "Référent·e (peut former)"}


def _french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(url)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def attestation_pdf(
    db: Database, person_id: str, *, verify_url: str, fablab: str, today: date | None = None,
    compress: bool = True,
) -> bytes:  # fmt: skip
    person = people.get_person(db, person_id)
    records = [r for r in parcours(db, person_id) if r.level is not None]
    today = today or date.today()
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=int(compress), invariant=1)
    pdf.setTitle(f"Attestation de compétences — {person['display_name']}")
    width, height = A4
    y = height - 2.5 * cm
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(2 * cm, y, "Attestation de compétences")
    y -= 1 * cm
    pdf.setFont("Helvetica", 12)
    pdf.drawString(2 * cm, y, f"{fablab} atteste que {person['display_name']} "
                              f"(identifiant {person_id}) a acquis :")  # fmt: skip
    y -= 1.2 * cm
    for record in records:
        if y < 7 * cm:
            pdf.showPage()
            y = height - 2.5 * cm
        pdf.setFont("Helvetica-Bold", 13)
        pdf.drawString(2 * cm, y, record.name_fr)
        pdf.setFont("Helvetica", 11)
        lines = [
            f"Niveau : {LEVELS[record.level]}",
            f"Formé·e le {record.granted_at[:10]}"
            + (
                f", valable jusqu'au {record.valid_until.isoformat()}" if record.valid_until else ""
            ),
            f"Pratique : {record.hours:g} h en {record.sessions} séances"
            + (f", {record.jobs} impressions réussies" if record.jobs else ""),
        ]
        if record.rome_codes:
            lines.append("Métiers liés (ROME, France Travail) : " + ", ".join(record.rome_codes))
        for line in lines:
            y -= 0.55 * cm
            pdf.drawString(2.5 * cm, y, line)
        y -= 0.9 * cm
    if not records:
        pdf.drawString(2 * cm, y, "Pas encore de formation enregistrée.")
        y -= 1 * cm
    pdf.setFont("Helvetica", 11)
    pdf.drawString(
        2 * cm,
        5.2 * cm,
        f"Fait le {today.strftime('%d/%m/%Y')}, pour servir et valoir ce que de droit.",
    )
    pdf.drawString(2 * cm, 4.2 * cm, "Signature et cachet du fablab :")
    pdf.line(2 * cm, 2.6 * cm, 9 * cm, 2.6 * cm)
    _qr(pdf, verify_url, width - 6 * cm, 2 * cm, 4 * cm)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(width - 6.2 * cm, 1.6 * cm, "Vérifier un badge numérique :")
    pdf.drawString(width - 6.2 * cm, 1.2 * cm, verify_url[:60])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def personal_data_pdf(data: dict, *, fablab: str) -> bytes:
    """Everything the hub holds about a person (`erasure.export_person`), as pages to hand over."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle("Vos données personnelles")
    height = A4[1]
    y = height - 2.5 * cm

    def line(text: str, font: str = "Helvetica", size: int = 10, gap: float = 0.5) -> None:
        nonlocal y
        if y < 2 * cm:
            pdf.showPage()
            y = height - 2 * cm
        pdf.setFont(font, size)
        pdf.drawString(2 * cm, y, text[:110])
        y -= gap * cm

    person = data["person"]
    line("Vos données personnelles", "Helvetica-Bold", 18, 1.0)
    line(f"Ce que {fablab} garde à votre sujet, le {_french(date.today())}.", gap=0.8)
    line("Vous", "Helvetica-Bold", 13, 0.7)
    for label, key in (("Nom affiché", "display_name"), ("Identifiant", "id"),
                       ("Tranche d'âge", "age_band"), ("Genre", "gender"),
                       ("Inscrit·e le", "created_at")):  # fmt: skip
        line(f"{label} : {person.get(key) or '—'}")
    consents = (("Compté·e dans les statistiques", "consent_statistics"),
                ("Parcours montré au conseiller", "consent_partner_sharing"))  # fmt: skip
    for label, key in consents:
        line(f"{label} : {'oui' if person.get(key) else 'non'}")
    for title, rows, fields in (
        ("Badges", data["badges"], ("uid", "assigned_at", "revoked_at")),
        (
            "Formations",
            data["trainings"],
            ("skill", "level", "granted_at", "valid_until", "status"),
        ),
        ("Pratique", data["practice"], ("skill_id", "sessions", "seconds", "first_at", "last_at")),
        ("Séances", data["sessions"], ("machine", "started_at", "ended_at", "end_reason")),
    ):
        y -= 0.3 * cm
        line(title, "Helvetica-Bold", 13, 0.7)
        if not rows:
            line("—")
        for row in rows:
            line(" · ".join(str(row.get(field) or "—") for field in fields))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
