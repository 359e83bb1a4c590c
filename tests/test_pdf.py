import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from core import rules
from core.calls import get_call
from core.formatting import format_date_fr, format_datetime_fr, format_eur
from core.models import (
    Application,
    Effect,
    Reason,
    Status,
    Tranche,
    Verdict,
)
from core.pdf import pdf_sha256, render_application
from core.pdf_fonts import REPLACEMENT, printable, visual_order
from core.pdf_layout import DRAFT_LABEL
from tests.attachment_call import pieces_call  # noqa: F401 (fixture)
from tests.builders import SIGNED, rich_application

GENERATED = dt.datetime(2021, 1, 20, 9, 31, tzinfo=dt.UTC)
SUBMITTED = dt.datetime(2021, 1, 20, 9, 30, tzinfo=dt.UTC)
TODAY = dt.date(2021, 1, 20)
A4_WIDTH_PT = 595.28
MARGIN_PT = 18 * 72 / 25.4


@pytest.fixture(scope="module")
def call():
    return get_call("cnfs-2020-collectivites")


@pytest.fixture
def application(call):
    app = rich_application(call.id)
    app.commitments[call.commitments[-1].id] = False
    return app


def render(application, call, *, verdict=None, draft=False, generated_at=GENERATED) -> bytes:
    verdict = verdict or rules.evaluate(application, call, TODAY)
    return render_application(
        application,
        verdict,
        call,
        dossier_number=None if draft else "CNFS-2021-00042",
        submitted_at=None if draft else SUBMITTED,
        generated_at=generated_at,
    )


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Whitespace-insensitive form: line breaks from wrapping become single spaces."""
    return " ".join(text.split())


def text_of(data: bytes) -> str:
    return flat(" ".join(pages_text(data)))


def body_text(data: bytes) -> str:
    """Text without each page's running header and footer, so a value may cross pages."""
    return flat(" ".join(" ".join(page.splitlines()[1:-1]) for page in pages_text(data)))


def test_every_value_entered_appears(application, call):
    verdict = rules.evaluate(application, call, TODAY)
    text = text_of(render(application, call, verdict=verdict))
    s, c, p = application.structure, application.contact, application.posts
    expected = [
        call.title,
        "CNFS-2021-00042",
        format_datetime_fr(SUBMITTED),
        s.siret,
        s.name,
        "Commune",
        "7210",
        "93 — Seine-Saint-Denis",
        s.commune,
        s.address,
        "Action cœur de ville",
        "Petites villes de demain",
        c.name,
        c.role,
        c.email,
        c.phone,
        "36 mois",
        format_date_fr(p.start_date),
        p.places_of_activity,
        p.consolidation_details,
        p.coordinator_justification,
        p.coordinator_scope,
        format_eur(verdict.subsidy_eur),
        format_date_fr(verdict.review_date),
        call.version,
        call.commitments_version,
        format_datetime_fr(GENERATED),
    ]
    for value in expected:
        assert flat(value) in text, value
    for commitment in call.commitments:
        assert flat(commitment.text) in text, commitment.id
        assert flat(commitment.source) in text, commitment.id
    for tranche in verdict.tranches:
        assert flat(format_eur(tranche.amount_eur)) in text
        assert f"{tranche.months_after_signature} mois" in text
    for reason in verdict.reasons:
        assert flat(reason.message) in text, reason.code
        for source in reason.sources:
            assert flat(source) in text, reason.code


def test_commitments_say_accepted_or_not(application, call):
    text = text_of(render(application, call))
    assert text.count("✓ accepté") == len(call.commitments) - 1
    assert text.count("✗ non accepté") == 1


def test_counts_and_answers_are_printed(application, call):
    text = text_of(render(application, call))
    assert "Nombre de postes demandés 3" in text
    assert "Nombre de postes coordinateurs 1" in text
    assert "Candidat déjà identifié Non" in text
    assert "Complément de rémunération Oui" in text


def test_signature_block_and_page_numbers(application, call):
    pages = pages_text(render(application, call))
    last = flat(pages[-1])
    for label in ("Nom", "Qualité", "Date", "Signature et cachet"):
        assert label in last
    for number, page in enumerate(pages, start=1):
        assert f"page {number} / {len(pages)}" in flat(page)


def test_a_draft_says_so_on_every_page(application, call):
    pages = pages_text(render(application, call, draft=True))
    assert DRAFT_LABEL in flat(pages[0])
    assert all(DRAFT_LABEL.upper() in flat(page) for page in pages)
    assert "Brouillon" not in text_of(render(application, call))
    assert "BROUILLON" not in text_of(render(application, call))


def test_an_empty_draft_renders_with_unanswered_fields(call):
    empty = Application(call_id=call.id)
    data = render(empty, call, draft=True)
    text = text_of(data)
    assert DRAFT_LABEL in text
    assert text.count("Non renseigné") >= 10
    assert "Non calculée" in text  # no posts, no subsidy figure


def test_french_typography_survives(application, call):
    application.structure.name = "Cœur d’Œuvre « Les Étés » – Saint-Chély"
    text = text_of(render(application, call))
    for char in ("œ", "Œ", "’", "€", "«", "»", "–", "É"):
        assert char in text
    assert "Cœur d’Œuvre « Les Étés » – Saint-Chély" in text


def test_overseas_without_rate_prints_the_calls_wording_not_a_number(application, call):
    application.structure.department = "971"
    label = call.overseas_uplift.label_when_unset
    unknown = Verdict(
        status=Status.TO_EXAMINE,
        subsidy_eur=None,
        tranches=[
            Tranche(
                percent=t.percent, amount_eur=None, months_after_signature=t.months_after_signature
            )
            for t in call.tranches
        ],
        flags=["overseas"],
    )
    text = text_of(render(application, call, verdict=unknown))
    assert label in text
    # The only euro figure is the call's amount per post: no invented total nor tranche.
    amounts = re.findall(r"\d[\d\u202f\u00a0 ]*€", text)
    assert {flat(a) for a in amounts} == {flat(format_eur(call.amount_per_post.value))}


def test_overseas_base_amount_from_rules_is_marked_as_before_uplift(application, call):
    application.structure.department = "971"
    text = text_of(render(application, call))
    assert f"hors {call.overseas_uplift.label_when_unset}" in text


def test_long_texts_wrap_inside_the_page(application, call):
    typical = PdfReader(io.BytesIO(render(application, call))).get_num_pages()
    long_name = " ".join(["Communauté d’agglomération du Grand Territoire"] * 10)[:480]
    unbroken = "x" * 300  # a single word wider than the column
    justification = ("Le réseau de médiation numérique couvre douze lieux. " * 40)[:2000]
    application.structure.name = long_name
    application.structure.address = unbroken
    application.posts.coordinator_justification = justification
    data = render(application, call)
    assert PdfReader(io.BytesIO(data)).get_num_pages() > typical
    text = body_text(data)
    assert flat(long_name) in text
    assert flat(justification) in text
    assert unbroken in "".join(text.split())
    assert_no_text_beyond_margins(data)


def assert_no_text_beyond_margins(data: bytes) -> None:
    """Every word's box lies between the side margins (pdftotext -bbox)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent")
    html = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)
    assert words
    for x_min, x_max in words:
        assert float(x_min) >= MARGIN_PT - 1
        assert float(x_max) <= A4_WIDTH_PT - MARGIN_PT + 1


def test_a_typical_application_stays_inside_the_margins(application, call):
    assert_no_text_beyond_margins(render(application, call))


def test_missing_glyphs_are_replaced_visibly_not_dropped(application, call):
    application.structure.name = "Licorne 🦄 漢字 fin"
    application.contact.name = "Sourire 😀"
    text = text_of(render(application, call))
    assert f"Licorne {REPLACEMENT} {REPLACEMENT}{REPLACEMENT} fin" in text
    assert "Sourire 😀" in text  # DejaVu Sans draws this one


def test_right_to_left_text_is_printed_in_display_order(application, call):
    application.contact.name = "مريم العلوي"
    application.structure.commune = "Commune de תל אביב (Israël)"
    text = text_of(render(application, call))
    # Glyphs are laid out in display order; pypdf's extraction puts them back in reading order.
    assert "مريم العلوي" in text
    assert "תל אביב" in text
    assert "Israël" in text
    assert "ביבא לת" not in text  # would mean the letters were laid out left to right
    assert REPLACEMENT not in text


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("Saint-Œuf", "Saint-Œuf"),
        ("תל אביב", "ביבא לת"),
        ("Mairie de תל אביב (Israël)", "Mairie de ביבא לת (Israël)"),
        ("نصّ", "صّن"),  # the shadda stays on its letter
    ],
)
def test_visual_order(line, shown):
    assert visual_order(line) == shown


def test_printable_keeps_drawable_text_and_marks_the_rest():
    assert printable("Cœur – 50 000 €") == "Cœur – 50 000 €"
    assert printable("a\tb\r\nc") == "a b\nc"
    assert printable("🦄") == REPLACEMENT
    assert printable("x\x00y") == "xy"  # control characters have no glyph to lose


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_renders(application, call, text):
    application.structure.name = text
    application.posts.places_of_activity = text
    data = render(application, call)
    assert data.startswith(b"%PDF-")
    cleaned = flat(printable(text))
    if cleaned and all(ch.isalnum() or ch.isspace() for ch in text):
        assert "".join(cleaned.split()) in "".join(text_of(data).split())


def test_pdfa_2b_metadata(application, call):
    data = render(application, call)
    reader = PdfReader(io.BytesIO(data))
    assert data.startswith(b"%PDF-1.7")
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>2</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert 'xmp:CreateDate="2021-01-20T09:31:00Z"' in xmp
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/DestOutputProfile"].get_object().get_data()[36:40] == b"acsp"  # ICC
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"
    # fpdf2 writes no /Info dictionary under PDF/A: the XMP packet carries the metadata.
    assert reader.metadata is None
    meta = reader.xmp_metadata
    name = application.structure.name
    assert meta.dc_title == {"x-default": f"Candidature CNFS — {name} — dossier n° CNFS-2021-00042"}
    assert meta.dc_creator == [name]
    assert meta.dc_description == {"x-default": call.title}
    assert meta.xmp_create_date == GENERATED.replace(tzinfo=None)


def test_every_font_is_embedded(application, call):
    reader = PdfReader(io.BytesIO(render(application, call)))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"]


def test_same_input_same_bytes(application, call):
    first = render(application, call)
    other = application.model_copy(deep=True)
    other.structure.name = "Autre commune"
    render(other, call)  # a render in between must not leak into the next one
    again = render(application, call)
    assert first == again
    assert pdf_sha256(first) == hashlib.sha256(first).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", pdf_sha256(first))


def test_the_clock_changes_the_document(application, call):
    later = GENERATED + dt.timedelta(minutes=1)
    assert render(application, call) != render(application, call, generated_at=later)


def test_naive_generated_at_is_paris_time(application, call):
    naive = dt.datetime(2021, 1, 20, 10, 31)  # 09:31 UTC in winter
    assert render(application, call, generated_at=naive) == render(application, call)


def test_reasons_show_their_effect_and_sources(application, call):
    verdict = Verdict(
        status=Status.INELIGIBLE,
        reasons=[
            Reason(
                code="structure.type_not_eligible",
                message="Les associations relèvent de la vague 2.",
                sources=["AMI collectivités §II.2", "CGCT art. L.5111-1"],
                effect=Effect.INELIGIBLE,
            )
        ],
        missing=["structure.siret", "commitments.reporting"],
    )
    text = text_of(render(application, call, verdict=verdict))
    assert "Non éligible" in text
    assert "Motif d'inéligibilité Les associations relèvent de la vague 2." in text
    assert "Sources : AMI collectivités §II.2 ; CGCT art. L.5111-1" in text
    assert "– N° SIRET" in text
    assert "Engagement n° 11" in text
    assert "Date d'examen prévue Non déterminée" in text


def test_the_ess_question_is_printed_only_where_the_call_asks_it(application, call):
    commune = application.model_copy(deep=True)
    commune.structure.ess = None
    assert "économie sociale" not in text_of(render(commune, call))
    wave2 = get_call("cnfs-2021-structures-privees")
    company = application.model_copy(deep=True)
    company.call_id = wave2.id
    company.structure.structure_type = "company"
    company.structure.ess = "esus_agrement"
    assert "économie sociale" in text_of(render(company, wave2))


def test_text_that_looks_like_the_page_count_alias_prints_as_typed(application, call):
    application.structure.name = "Mairie {nb} de Bondy"
    text = text_of(render(application, call))
    assert "Mairie {nb} de Bondy" in text
    assert re.search(r"page 1 / \d+", text)


def test_the_pdf_says_what_to_do_once_signed_and_whom_to_ask(application, call):
    text = text_of(render(application, call))
    assert "faites-le signer par l'autorité habilitée" in text
    assert call.after_submission.contact_email in text


# --- a call of another kind: the same generic document ---------------------------------------


def test_a_93_project_prints_its_questions_partners_and_attachments():
    from tests.builders import CD93, CD93_TODAY, complete_project

    cd93 = get_call(CD93)
    app = rules.coerce_application(complete_project())[0]
    verdict = rules.evaluate(app, cd93, CD93_TODAY)
    text = body_text(render(app, cd93, verdict=verdict))
    assert "Territoire 8 : Est Ensemble" in text
    assert "Ressourcerie de l'Est — 78467169500087 — Réemploi" in text
    assert re.search(r"Subvention demandée, en euros 187\s?500\s?€", text)
    assert "lettre-ept.pdf" in text and "SHA-256" in text
    assert "Dossier de réponse — structure porteuse du consortium" in text
    # No per-post subsidy, tranche or monthly review the seed does not give.
    assert "Tranche" not in text and "Montant par poste" not in text
    assert "Date d'examen prévue" not in text
    assert "Éligible" in text


def test_attachments_are_listed_with_name_size_type_and_fingerprint(pieces_call):  # noqa: F811
    from core.models import Application, AttachmentRef

    call = get_call(pieces_call)
    ref = AttachmentRef(
        filename="Lettre de soutien EPT.pdf",
        sha256=hashlib.sha256(b"lettre").hexdigest(),
        size=1_258_291,
        media_type="application/pdf",
    )
    app = Application.model_validate(
        rich_application(pieces_call).model_dump() | {"attachments": {"support_letter": ref}}
    )
    text = body_text(render(app, call))
    assert "6. Pièces jointes" in text
    assert "Lettre de soutien EPT.pdf (1,2 Mo, PDF)" in text
    # Wrapping may cut the 64 hexadecimal digits anywhere: compare without spaces.
    assert f"Empreinte SHA-256 : {ref.sha256}" in text or ref.sha256 in text.replace(" ", "")
    assert "Budget prévisionnel Non renseigné" in text


def test_the_signature_never_sits_alone_on_the_last_page(call):
    # Longer and longer answers push the end of the document across a page break.
    seen_pages = set()
    for lines in range(0, 60, 3):
        app = rich_application(
            call.id, **{"posts.places_of_activity": "\n".join(["Médiathèque"] * (lines + 1))}
        )
        app.declaration = SIGNED
        pages = pages_text(render(app, call))
        seen_pages.add(len(pages))
        last = flat(pages[-1])
        assert "Signature du représentant légal" in last
        assert "Références" in last, f"{lines} lignes : la signature est seule en dernière page"
    assert len(seen_pages) > 1  # the break did move


def test_identifiers_are_grouped_in_a_new_document_and_kept_in_a_stored_one(call):
    app = rich_application(
        call.id, **{"structure.siret": "21930066200018", "contact.phone": "0555830800"}
    )
    stored = text_of(render(app, call))  # filed before the on-screen declaration
    assert "21930066200018" in stored and "0555830800" in stored
    app.declaration = SIGNED
    new = text_of(render(app, call))
    assert "219 300 662 00018" in new and "05 55 83 08 00" in new


def test_answers_no_longer_asked_are_not_printed(call):
    """A mairie asks for a coordinator, fills its details, then answers « Non »: the recap no
    longer shows them, and neither may the PDF it signs (the answers stay in the draft)."""
    application = rich_application(call.id, **{"posts.coordinator_wanted": False})
    application.declaration = SIGNED
    for draft in (True, False):
        text = text_of(render(application, call, draft=draft))
        assert "Demande de poste coordinateur" in text
        for label in ("Nombre de postes coordinateurs", "Périmètre de coordination"):
            assert label not in text, (draft, label)
        assert "quatre quartiers prioritaires" not in text


def test_documents_rendered_at_the_same_time_are_each_their_own(application, call):
    # Streamlit serves every session from its own thread: two applicants downloading at once
    # must each get their own document, byte for byte, never a mix of the two.
    documents = []
    for name, repeat in [("Équipe d'Aubervilliers", 0), ("Ŝtato ĉe Ŭ", 40), ("Ωmega ΣΔ", 80)]:
        app = application.model_copy(deep=True)
        app.structure.name = name
        # Of different lengths, so that their fonts are not the same numbered objects.
        app.posts.coordinator_justification = "Douze lieux de médiation numérique. " * repeat
        documents.append(app)
    documents.append(Application(call_id=call.id))
    expected = [render(app, call) for app in documents]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the interpreter over between threads as often as it can
    try:
        with ThreadPoolExecutor(len(documents)) as pool:
            rounds = [list(pool.map(lambda app: render(app, call), documents)) for _ in range(6)]
    finally:
        sys.setswitchinterval(interval)
    for produced in rounds:
        assert produced == expected
