"""core.journey: the applicant's journey without Streamlit."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import event

from core import journey, presentation, questionnaire, rules, storage
from core.calls import get_call
from core.models import Application, Declaration, Effect, Status, StructureType
from core.storage import AlreadySubmitted, DuplicateApplication, NotSubmittable, StaleVersion
from tests.builders import SIGNED, SIRET_COMMUNE_93, WAVE1, WAVE2, complete_application

TODAY = dt.date(2021, 1, 20)


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def draft(session, applicant):
    record = journey.open_draft(session=session, user=applicant, call_id=WAVE1, today=TODAY)
    session.commit()
    return record


def _answer(session, user, record, changes: dict, *, loaded=None):
    """One answer saved over `record`'s version, from the copy this run loaded if given."""
    return journey.update_draft(
        session=session,
        user=user,
        application_id=record.id,
        changes=changes,
        expected_version=record.version,
        today=TODAY,
        loaded=loaded,
    )


def _fill(session, user, record, data: dict):
    """Save a whole exchange-format application over the draft, as the steps would."""
    app = Application.model_validate(data)
    changes = {
        f"{section}.{name}": value
        for section in ("structure", "contact", "posts")
        for name, value in getattr(app, section).model_dump().items()
    }
    changes |= {f"commitments.{cid}": ok for cid, ok in app.commitments.items()}
    return _answer(session, user, record, changes)


def test_calls_overview_says_which_calls_are_open():
    texts = {o.call.id: o for o in presentation.calls_overview(TODAY)}
    assert texts[WAVE1].is_open
    assert texts[WAVE1].text.startswith("Ouvert depuis le 17 novembre 2020.")
    assert not texts[WAVE2].is_open
    assert texts[WAVE2].text == "Ouvrira le 1er février 2021."


def test_open_draft_refuses_a_call_not_open_yet(session, applicant):
    with pytest.raises(journey.CallNotOpen, match="ouvre le 1er février 2021"):
        journey.open_draft(session=session, user=applicant, call_id=WAVE2, today=TODAY)


def test_open_draft_with_a_siret_already_used_points_to_the_existing_one(session, applicant):
    first = journey.open_draft(
        session=session, user=applicant, call_id=WAVE1, today=TODAY, siret=SIRET_COMMUNE_93
    )
    with pytest.raises(DuplicateApplication) as raised:
        journey.open_draft(
            session=session, user=applicant, call_id=WAVE1, today=TODAY, siret=SIRET_COMMUNE_93
        )
    assert raised.value.existing_id == first.id
    assert f"n° {first.id}" in str(raised.value)


def test_update_draft_saves_answers_and_bumps_the_version(session, applicant, draft):
    record, verdict = journey.update_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        changes={"structure.name": "Commune de Montreuil", "posts.count": 3},
        expected_version=draft.version,
        today=TODAY,
    )
    assert record.version == draft.version + 1
    assert record.data.structure.name == "Commune de Montreuil"
    assert record.data.posts.count == 3
    assert verdict.status == Status.INCOMPLETE
    stored = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert stored.verdict_status == "incomplete"


def test_update_draft_without_change_does_not_save(session, applicant, draft):
    record, _ = journey.update_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        changes={"structure.name": "  "},  # emptied text box on an unanswered field
        expected_version=draft.version,
        today=TODAY,
    )
    assert record.version == draft.version


def test_bad_siret_is_kept_as_typed_with_a_reason_on_its_field(session, applicant, draft):
    record, verdict = journey.update_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        changes={"structure.siret": "2193OO662"},
        expected_version=draft.version,
        today=TODAY,
    )
    assert record.data.structure.siret == "2193OO662"
    [reason] = presentation.field_reasons(verdict, "structure.siret")
    assert reason.code == "structure.siret_format"


def test_update_draft_from_an_old_version_is_refused(session, applicant, draft):
    journey.update_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        changes={"structure.commune": "Montreuil"},
        expected_version=draft.version,
        today=TODAY,
    )
    with pytest.raises(StaleVersion):
        journey.update_draft(
            session=session,
            user=applicant,
            application_id=draft.id,
            changes={"structure.commune": "Bobigny"},
            expected_version=draft.version,
            today=TODAY,
        )


def _statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2].split()[0]))
    return seen


def _loaded(session, user, draft):
    record, _ = journey.load(session=session, user=user, application_id=draft.id, today=TODAY)
    session.commit()
    return record


def test_an_answer_saved_over_the_draft_just_loaded_does_not_read_it_again(
    session, applicant, draft
):
    loaded = _loaded(session, applicant, draft)
    seen = _statements(session.get_bind())
    record, _ = _answer(session, applicant, loaded, {"contact.role": "Secrétaire"}, loaded=loaded)
    session.commit()
    assert seen == ["UPDATE", "INSERT"]  # the guarded write and its audit event, no SELECT
    stored = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert stored.version == record.version == loaded.version + 1
    assert stored.data.contact.role == "Secrétaire"
    assert stored.owner_email == record.owner_email == applicant.email


def test_a_loaded_copy_another_tab_has_saved_over_is_still_refused(session, applicant, draft):
    loaded = _loaded(session, applicant, draft)
    _answer(session, applicant, draft, {"structure.commune": "Montreuil"})  # the other tab
    session.commit()
    with pytest.raises(StaleVersion):
        _answer(session, applicant, loaded, {"structure.commune": "Bobigny"}, loaded=loaded)
    session.rollback()
    stored = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert stored.data.structure.commune == "Montreuil"


def test_a_loaded_copy_of_someone_elses_draft_writes_nothing(
    session, applicant, other_applicant, draft
):
    loaded = _loaded(session, applicant, draft)
    with pytest.raises(storage.Forbidden):
        _answer(session, other_applicant, loaded, {"structure.commune": "Bobigny"}, loaded=loaded)
    session.rollback()
    stored = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert stored.version == draft.version


def test_a_siret_taken_in_the_call_is_refused_when_saved_over_the_loaded_draft(
    session, applicant, other_applicant, draft
):
    other = journey.open_draft(session=session, user=other_applicant, call_id=WAVE1, today=TODAY)
    _answer(session, other_applicant, other, {"structure.siret": SIRET_COMMUNE_93})
    session.commit()
    loaded = _loaded(session, applicant, draft)
    with pytest.raises(DuplicateApplication) as refused:
        _answer(session, applicant, loaded, {"structure.siret": SIRET_COMMUNE_93}, loaded=loaded)
    assert "autre compte" in str(refused.value)
    assert refused.value.existing_id is None  # another account's dossier is not named
    session.rollback()
    stored = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert stored.version == loaded.version


def test_update_draft_refuses_an_answer_the_model_cannot_hold(session, applicant, draft):
    with pytest.raises(journey.InvalidAnswer, match="Type de structure"):
        journey.update_draft(
            session=session,
            user=applicant,
            application_id=draft.id,
            changes={"structure.structure_type": "royaume"},
            expected_version=draft.version,
            today=TODAY,
        )


def test_submit_refuses_an_incomplete_draft(session, applicant, draft):
    with pytest.raises(NotSubmittable, match="incomplet"):
        journey.submit(
            session=session,
            user=applicant,
            application_id=draft.id,
            expected_version=draft.version,
            today=TODAY,
            declaration=SIGNED,
        )


def test_submit_refuses_an_ineligible_structure(session, applicant, draft):
    data = complete_application(WAVE1, **{"structure.structure_type": "association"})
    data["structure"]["legal_category"] = "9220"
    record, verdict = _fill(session, applicant, draft, data)
    assert verdict.status == Status.INELIGIBLE
    with pytest.raises(NotSubmittable, match="pas éligible"):
        journey.submit(
            session=session,
            user=applicant,
            application_id=draft.id,
            expected_version=record.version,
            today=TODAY,
            declaration=SIGNED,
        )


def test_submit_freezes_the_application_and_stores_the_pdf_hash(session, applicant, draft):
    record, verdict = _fill(session, applicant, draft, complete_application(WAVE1))
    assert verdict.status == Status.ELIGIBLE
    submission, content = journey.submit(
        session=session,
        user=applicant,
        application_id=draft.id,
        expected_version=record.version,
        today=TODAY,
        declaration=SIGNED,
    )
    session.commit()
    assert content.startswith(b"%PDF")
    assert submission.dossier_number == f"CNFS-2021-{draft.id:06d}"
    assert submission.verdict.review_date == dt.date(2021, 2, 15)
    stored = storage.get_submission(session=session, user=applicant, application_id=draft.id)
    assert stored.pdf_sha256 == hashlib.sha256(content).hexdigest()
    again = journey.pdf_for(
        session=session,
        user=applicant,
        application_id=draft.id,
        today=TODAY,
        now=dt.datetime.now(dt.UTC),
    )
    assert again == content  # same bytes later: the hash proves the download
    with pytest.raises(AlreadySubmitted):
        journey.update_draft(
            session=session,
            user=applicant,
            application_id=draft.id,
            changes={"posts.count": 5},
            expected_version=submission_version(session, applicant, draft.id),
            today=TODAY,
        )


def submission_version(session, user, application_id) -> int:
    return storage.get_application(
        session=session, user=user, application_id=application_id
    ).version


def test_next_step_follows_the_verdict(session, applicant, draft):
    record, verdict = journey.load(
        session=session, user=applicant, application_id=draft.id, today=TODAY
    )
    assert presentation.next_step(record, verdict).text.startswith(
        "À compléter : étape 1 — Structure"
    )
    record, verdict = _fill(session, applicant, draft, complete_application(WAVE1))
    assert presentation.next_step(record, verdict) == presentation.NextStep(
        5, "Prête à être déposée : étape 5 — Récapitulatif et dépôt."
    )
    record, verdict = journey.update_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        changes={"structure.structure_type": "association", "structure.legal_category": None},
        expected_version=record.version,
        today=TODAY,
    )
    assert presentation.next_step(record, verdict).text.startswith(
        "Non éligible : voir les motifs à l'étape 1"
    )


def test_next_step_counts_the_answers_of_that_step_only(session, applicant, draft):
    data = complete_application(WAVE1, **{"structure.name": None, "posts.count": None})
    data["commitments"]["reporting"] = False
    record, verdict = _fill(session, applicant, draft, data)
    assert len(verdict.missing) >= 3  # three steps have something left
    assert presentation.next_step(record, verdict).text == (
        "À compléter : étape 1 — Structure (1 réponse à compléter)."
    )


def test_problems_are_grouped_by_the_step_that_asks_them():
    call = get_call(WAVE1)
    data = complete_application(WAVE1, **{"contact.email": "pas-une-adresse", "posts.count": None})
    data["commitments"]["reporting"] = False
    verdict = journey.rules.evaluate(data, call, TODAY)
    found = presentation.problems(verdict, call)
    assert [(p.step, p.label) for p in found] == [
        (1, "Courriel du contact"),
        (2, "Nombre de postes demandés"),
        # One label per commitment, the same on every screen and in the PDF.
        (4, "Engagement n° 11 : " + next(c.text for c in call.commitments if c.id == "reporting")),
    ]
    assert found[0].message.startswith("Cette adresse de courriel n'est pas valide")
    assert {p.effect for p in found} == {Effect.INCOMPLETE}


@pytest.mark.parametrize(
    ("call_id", "structure_type", "asked"),
    [
        (WAVE2, StructureType.COMPANY, True),  # a company must prove its ESS membership
        (WAVE2, StructureType.STRUCTURE_ESS, True),
        (WAVE2, StructureType.ASSOCIATION, False),  # ESS by its very status
        (WAVE1, StructureType.COMMUNE, False),
        (WAVE1, StructureType.COMPANY, False),  # not funded at all: no ESS question
        (WAVE2, None, False),
    ],
)
def test_ess_question_only_for_private_types_that_need_it(call_id, structure_type, asked):
    assert rules.asks_ess(get_call(call_id), structure_type) is asked


def test_recap_and_money_are_in_french():
    call = get_call(WAVE1)
    data = Application.model_validate(complete_application(WAVE1))
    answers = {a.label: a.text for a in presentation.recap(data, call)}
    assert answers["Date de démarrage souhaitée"] == "1er mars 2021"
    assert answers["Type de structure"] == "Commune"
    assert answers["Durée du contrat"] == "24 mois"
    assert answers["Département"] == "93 — Seine-Saint-Denis"
    assert "Justification du poste coordinateur" not in answers  # not wanted, not shown
    verdict = journey.rules.evaluate(data, call, TODAY)
    lines = [_plain_spaces(line) for line in presentation.tranche_lines(verdict, call)]
    assert lines == [
        "20 % — 20 000 € — dans le mois suivant la signature de la convention",
        "30 % — 30 000 € — 6 mois après la signature de la convention",
        "50 % — 50 000 € — 12 mois après la signature de la convention",
    ]


def _plain_spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_help_texts_quote_the_call():
    call = get_call(WAVE1)
    app = Application()
    assert "(Source : AMI collectivités §II.3)" in presentation.help_text(
        "posts.contract_months", call, app
    )
    count_help = _plain_spaces(presentation.help_text("posts.count", call, app))
    assert "50 000 € par poste pour 24 mois" in count_help
    assert (
        presentation.help_text("commitments.reporting", call, app)
        == "Source : AMI collectivités §III.2"
    )


def test_priority_programmes_come_from_the_call_and_qpv_has_its_own_question():
    call = get_call(WAVE1)
    assert "QPV" not in " ".join(
        questionnaire.options(questionnaire.question(call, "structure.priority_programmes"), call)
    )  # asked by structure.qpv
    assert "annexe 2" in presentation.help_text(
        "structure.priority_programmes", call, Application()
    )
    assert questionnaire.options(
        questionnaire.question(call, "structure.priority_programmes"), call
    ) == [
        "Action cœur de ville",
        "Petites villes de demain",
        "Territoires d'industrie",
        "Fabriques de territoire",
    ]


def test_structure_types_funded_by_the_call_come_first():
    choices = questionnaire.structure_type_choices(get_call(WAVE2))
    assert choices[:4] == [
        StructureType.ASSOCIATION,
        StructureType.FONDATION,
        StructureType.STRUCTURE_ESS,
        StructureType.COMPANY,
    ]
    assert set(choices) == set(StructureType)


def test_a_too_long_answer_says_the_limit_and_what_was_typed():
    draft = Application(call_id=WAVE1)
    with pytest.raises(journey.InvalidAnswer) as exc:
        journey.apply_changes(draft, {"structure.address": "12 rue " + "x" * 9_993})
    message = str(exc.value)
    assert "« Adresse » accepte au plus 500 caractères" in message
    assert "10\u202f000" in message


def test_a_reviewer_cannot_save_even_an_unchanged_answer(session, applicant, reviewer):
    record = journey.open_draft(session=session, user=applicant, call_id=WAVE1, today=TODAY)
    with pytest.raises(storage.Forbidden):
        journey.update_draft(
            session=session,
            user=reviewer,
            application_id=record.id,
            changes={"structure.name": None},  # already empty: nothing would be written
            expected_version=record.version,
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("declaration", "missing"),
    [
        (Declaration(), "indiquez le nom et le prénom"),
        (SIGNED.model_copy(update={"signatory_role": None}), "indiquez sa fonction"),
        (SIGNED.model_copy(update={"certified": False}), "cochez la case de certification"),
    ],
)
def test_submit_refuses_until_the_person_who_files_names_themself_and_certifies(
    session, applicant, draft, declaration, missing
):
    record, verdict = _fill(session, applicant, draft, complete_application(WAVE1))
    assert verdict.status == Status.ELIGIBLE
    with pytest.raises(journey.DeclarationMissing, match=missing):
        journey.submit(
            session=session,
            user=applicant,
            application_id=draft.id,
            expected_version=record.version,
            today=TODAY,
            declaration=declaration,
        )
    assert (
        storage.get_application(session=session, user=applicant, application_id=draft.id).status
        == "draft"
    )


def test_the_declaration_is_frozen_in_the_snapshot_and_printed(session, applicant, draft):
    record, _ = _fill(session, applicant, draft, complete_application(WAVE1))
    submission, content = journey.submit(
        session=session,
        user=applicant,
        application_id=draft.id,
        expected_version=record.version,
        today=TODAY,
        declaration=SIGNED,
    )
    frozen = submission.data.declaration
    assert (frozen.signatory_name, frozen.signatory_role) == ("Camille Martin", "Maire adjointe")
    assert frozen.certified and frozen.certified_at is not None
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())
    assert "Certifié en ligne au dépôt par Camille Martin, Maire adjointe, le" in text
    assert " ".join(get_call(WAVE1).declaration.text.split()) in text
