"""PDF metadata: the /Info dictionary and its matching XMP packet, both dated from the
document's generation time (never the wall clock), as PDF/A-2B wants them to agree.
"""

from __future__ import annotations

import datetime as dt

import fpdf
from fpdf import FPDF

from core.calls import Call
from core.formatting import to_paris
from core.models import Application
from core.pdf_fonts import printable

CREATOR = "Portail de candidature Conseillers numériques France Services"


def _utc(moment: dt.datetime) -> dt.datetime:
    # Naive datetimes are Paris time, like everywhere else in the project.
    return to_paris(moment).astimezone(dt.UTC)


def set_metadata(
    pdf: FPDF,
    application: Application,
    call: Call,
    dossier_number: str | None,
    generated_at: dt.datetime,
) -> None:
    """Info dictionary and matching XMP packet, dated from generated_at only."""
    name = printable(application.structure.name or "Structure non renseignée")
    number = f"dossier n° {dossier_number}" if dossier_number else "brouillon"
    title = f"Candidature CNFS — {name} — {number}"
    subject = printable(call.title)
    created = _utc(generated_at).replace(microsecond=0)
    pdf.set_title(title)
    pdf.set_author(name)
    pdf.set_subject(subject)
    pdf.set_creator(CREATOR)
    pdf.set_producer(f"fpdf2 {fpdf.__version__}")
    pdf.set_keywords(f"{call.id} {call.version}")
    pdf.set_lang("fr-FR")
    pdf.set_creation_date(created)
    # fpdf2's own XMP stamps the wall clock as ModifyDate: write ours, dated like /Info.
    pdf.set_xmp_metadata(_xmp(title, name, subject, f"{call.id} {call.version}", pdf, created))


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def _xmp(
    title: str, author: str, subject: str, keywords: str, pdf: FPDF, created: dt.datetime
) -> str:
    stamp = created.isoformat(timespec="seconds").replace("+00:00", "Z")
    producer = getattr(pdf, "producer", None) or ""
    producer_attr = f'\n        pdf:Producer="{_xml(producer)}"' if producer else ""
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about=""
        xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:xmp="http://ns.adobe.com/xap/1.0/"
        xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
        xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
        xmp:CreatorTool="{_xml(CREATOR)}"
        xmp:CreateDate="{stamp}"
        xmp:ModifyDate="{stamp}"
        xmp:MetadataDate="{stamp}"
        pdf:Keywords="{_xml(keywords)}"{producer_attr}>
      <pdfaid:part>2</pdfaid:part>
      <pdfaid:conformance>B</pdfaid:conformance>
      <dc:format>application/pdf</dc:format>
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_xml(title)}</rdf:li></rdf:Alt></dc:title>
      <dc:creator><rdf:Seq><rdf:li>{_xml(author)}</rdf:li></rdf:Seq></dc:creator>
      <dc:description><rdf:Alt>
        <rdf:li xml:lang="x-default">{_xml(subject)}</rdf:li>
      </rdf:Alt></dc:description>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>"""
