"""The questionnaire is data: loading refuses broken files, applicable() follows the conditions,
and one edited question changes the form, the panel, the recap, the PDF, the dossier and the
export at once."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from core import calls, presentation, questionnaire, rules, storage
from core.answer_export import answers_frame
from core.calls import get_call
from core.models import Application
from core.pdf import render_application
from core.questionnaire import QuestionnaireFileError, load_questionnaire_file
from core.review_listing import ReviewFilters
from tests.builders import TODAY, WAVE1, WAVE2, complete_application

TODAY_AT = dt.datetime(2021, 2, 10, 9, 0)
SHIPPED = Path(questionnaire.QUESTIONNAIRES_DIR) / "cnfs_host.yaml"


def _app(call_id: str = WAVE1, **changes) -> Application:
    return Application.model_validate(complete_application(call_id, **changes))


def _paths(app: Application, call_id: str = WAVE1) -> list[str]:
    return [q.path for q in questionnaire.applicable(app, get_call(call_id))]


# --- loading -----------------------------------------------------------------------------------


def test_every_shipped_call_has_a_valid_questionnaire():
    questionnaire.check_all()
    assert {q.path for q in questionnaire.questions(get_call(WAVE1))} >= {
        "structure.siret",
        "posts.coordinator_scope",
        "commitments.reporting",
    }


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (
            "    step: coordinateur\n    widget: yes_no",
            "    step: nulle_part\n    widget: yes_no",
            "questions.23.step",
        ),
        (
            "asked_when: {posts.consolidates_existing_posts: true}",
            "asked_when: {posts.inconnu: true}",
            "questions.22.asked_when",
        ),
        (
            "asked_when: {call.asks_ess: true}",
            "asked_when: {call.devine: true}",
            "questions.4.asked_when",
        ),
        ("    widget: date\n", "    widget: calendrier\n", "questions.17.widget"),
        ("{call.contract.months|or}", "{call.contract.months|xx}", "questions.16.help"),
        ("                posts.places_of_activity, ", "                ", "document"),
    ],
)
def test_a_broken_questionnaire_names_the_file_and_the_key(tmp_path, old, new, named):
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "cnfs_host.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(QuestionnaireFileError) as exc:
        load_questionnaire_file(broken)
    assert str(exc.value).startswith("cnfs_host.yaml : ")
    assert named in str(exc.value)


def test_a_broken_questionnaire_stops_the_portal_with_a_french_message(edited, app_env):
    from streamlit.testing.v1 import AppTest

    edited.replace("    widget: date\n", "    widget: calendrier\n")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"))
    at.run(timeout=30)
    [error] = [e.value for e in at.error]
    assert error.startswith("Le portail ne peut pas démarrer")
    assert "cnfs_host.yaml" in error and "questions.17.widget" in error


# --- applicable() ------------------------------------------------------------------------------


def test_conditional_questions_follow_the_answers_they_depend_on():
    plain = _app()
    assert "posts.consolidation_details" not in _paths(plain)
    assert "posts.coordinator_scope" not in _paths(plain)
    both = _app(**{"posts.consolidates_existing_posts": True, "posts.coordinator_wanted": True})
    assert {"posts.consolidation_details", "posts.coordinator_scope"} <= set(_paths(both))


def test_placeholders_suggest_what_the_call_s_own_applicants_write():
    def shown(call_id: str) -> dict[str, str | None]:
        call = get_call(call_id)
        return {q.path: questionnaire.placeholder(q, call) for q in questionnaire.questions(call)}

    mairie, association = shown(WAVE1), shown(WAVE2)
    assert mairie["contact.role"] == "Ex. : secrétaire de mairie"
    assert "mairie" not in association["contact.role"]
    assert "mairie" not in association["contact.email"]


@pytest.mark.parametrize(
    ("structure_type", "asked"),
    [("company", True), ("structure_ess", True), ("association", False)],
)
def test_the_ess_question_is_asked_where_the_call_asks_it(structure_type, asked):
    app = _app(WAVE2, **{"structure.structure_type": structure_type})
    assert ("structure.ess" in _paths(app, WAVE2)) is asked
    assert "structure.ess" not in _paths(_app(WAVE1, **{"structure.structure_type": "company"}))


def test_missing_answers_are_the_required_applicable_ones_in_form_order():
    verdict = rules.evaluate(Application(call_id=WAVE1), get_call(WAVE1), TODAY)
    order = [q.path for q in questionnaire.questions(get_call(WAVE1))]
    assert verdict.missing == sorted(verdict.missing, key=order.index)
    assert "structure.legal_category" not in verdict.missing  # optional
    assert "posts.coordinator_scope" not in verdict.missing  # not asked


def test_one_label_per_commitment_everywhere():
    call = get_call(WAVE1)
    app = _app(**{"commitments.reporting": False})
    label = questionnaire.label_of(call, "commitments.reporting")
    assert label.startswith("Engagement n° 11 : Transmettre un reporting mensuel")
    verdict = rules.evaluate(app, call, TODAY)
    assert label in [p.label for p in presentation.problems(verdict, call)]
    assert label in [a.label for a in presentation.recap(app, call)]


def test_one_wording_for_an_empty_answer():
    call = get_call(WAVE1)
    app = _app(**{"structure.priority_programmes": [], "structure.commune": None})
    texts = {a.path: a.text for a in presentation.recap(app, call)}
    assert texts["structure.commune"] == "Non renseigné"
    # An empty multiple choice means « none of these », as the widget says.
    assert texts["structure.priority_programmes"] == "Aucun"


# --- one question edited in a copy of the data: every view follows ------------------------------


class EditedData:
    """Copies of the shipped call and questionnaire files, used by the whole app."""

    def __init__(self, root: Path) -> None:
        self.file = root / "questionnaires" / "cnfs_host.yaml"

    def replace(self, old: str, new: str) -> None:
        text = self.file.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        self.file.write_text(text.replace(old, new), encoding="utf-8")
        calls.clear_cache()
        questionnaire.clear_cache()


@pytest.fixture
def edited(tmp_path, monkeypatch):
    shutil.copytree(calls.CALLS_DIR, tmp_path / "calls")
    shutil.copytree(questionnaire.QUESTIONNAIRES_DIR, tmp_path / "questionnaires")
    monkeypatch.setattr(calls, "CALLS_DIR", tmp_path / "calls")
    monkeypatch.setattr(questionnaire, "QUESTIONNAIRES_DIR", tmp_path / "questionnaires")
    calls.clear_cache()
    questionnaire.clear_cache()
    yield EditedData(tmp_path)
    monkeypatch.undo()
    calls.clear_cache()
    questionnaire.clear_cache()


NEW_LABEL = "Lieux d'exercice du conseiller"
NEW_HELP = "Adresses des permanences où le conseiller reçoit le public."


def _edit_places_of_activity(edited: EditedData) -> None:
    # One line each: the label, the help, whether it is required, when it is asked.
    edited.replace('    label: "Lieux d\'activité"\n', f'    label: "{NEW_LABEL}"\n')
    edited.replace(
        '    help: "Lieux où le conseiller exercera : mairie, médiathèque, France Services, '
        'permanences…"\n',
        f'    help: "{NEW_HELP}"\n',
    )
    edited.replace(
        f'    help: "{NEW_HELP}"\n    required: false\n',
        f'    help: "{NEW_HELP}"\n    required: true\n'
        "    asked_when: {structure.france_services: true}\n",
    )


def _pdf_text(app: Application) -> str:
    call = get_call(WAVE1)
    verdict = rules.evaluate(app, call, TODAY)
    content = render_application(app, verdict, call, generated_at=TODAY_AT)
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_an_edited_question_changes_every_view(
    edited, app_env, session, applicant, reviewer, monkeypatch
):
    from tests.test_pages_applicant import Portal
    from tests.test_pages_reviewer import page

    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())
    _edit_places_of_activity(edited)
    call = get_call(WAVE1)
    asked = _app(**{"structure.france_services": True, "posts.places_of_activity": None})
    not_asked = _app(
        **{"structure.france_services": False, "posts.places_of_activity": None},
        **{"structure.siret": "20005478100006"},
    )

    # The rules: required where asked, not asked otherwise.
    assert "posts.places_of_activity" in rules.evaluate(asked, call, TODAY).missing
    assert "posts.places_of_activity" not in rules.evaluate(not_asked, call, TODAY).missing
    assert rules.evaluate(not_asked, call, TODAY).status != "incomplete"

    # The recap.
    recap = {a.label: a.text for a in presentation.recap(asked, call)}
    assert recap[NEW_LABEL] == "Non renseigné"
    assert NEW_LABEL not in {a.label for a in presentation.recap(not_asked, call)}

    # The PDF, read back.
    assert NEW_LABEL in _pdf_text(asked)
    assert "Lieux d" not in _pdf_text(not_asked)

    # The form and the panel, in the real app.
    ids = []
    for app in (asked, not_asked):
        record = storage.create_application(
            session=session, user=applicant, call_id=WAVE1, data=app
        )
        ids.append(record.id)
    session.commit()
    portal = Portal(session, applicant)
    portal.open(2, ids[0])
    widget = portal.widget("posts.places_of_activity")
    assert widget.label == NEW_LABEL
    assert widget.help == NEW_HELP
    assert f"Étape 2 — Postes : {NEW_LABEL}." in portal.all_text()
    portal.open(2, ids[1])
    assert not portal.has("posts.places_of_activity")
    assert NEW_LABEL not in portal.all_text()

    # The reviewer's dossier view.
    at = page("dossier", reviewer)
    at.query_params["id"] = str(ids[0])
    at.run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert f"**{NEW_LABEL}**  \nNon renseigné" in texts

    # The export of every answer: the column follows the label; not asked, the cell is empty.
    frame = answers_frame(session=session, user=reviewer, filters=ReviewFilters(call_id=WAVE1))
    cells = dict(zip(frame["N° de candidature"], frame[NEW_LABEL], strict=True))
    assert cells[ids[0]] == "Non renseigné"
    assert cells[ids[1]] != cells[ids[1]]  # NaN: not asked of this application


# --- the Département 93 AMI: the same engine, another questionnaire ---------------------------


def test_93_questions_read_the_call_file_and_answer_in_french():
    from core.formatting import format_eur
    from tests.builders import CD93, complete_project

    call = get_call(CD93)
    app = Application.model_validate(complete_project())
    by_path = {a.path: a.text for a in questionnaire.answers(app, call)}
    assert by_path["project.territory"] == "Territoire 8 : Est Ensemble"
    assert by_path["project.targets.diagnosed"] == "250"
    assert by_path["project.budget_eur"] == format_eur(187_500)
    assert by_path["project.consortium"] == "Ressourcerie de l'Est — 78467169500087 — Réemploi"
    assert by_path["attachments.ept_support_letter"].startswith("lettre-ept.pdf (")
    assert "attachments.administrative_file" not in by_path  # asked only without a 2020 subsidy
    target = questionnaire.question(call, "project.targets.diagnosed")
    assert questionnaire.help_text(target, call, app).startswith("Au moins 250 personnes.")


def test_an_items_question_with_min_above_max_names_the_key(tmp_path):
    source = questionnaire.QUESTIONNAIRES_DIR / "cd93_inclusion.yaml"
    edited = tmp_path / "cd93_inclusion.yaml"
    edited.write_text(
        source.read_text("utf-8").replace("min_items: 1", "min_items: 30"), encoding="utf-8"
    )
    with pytest.raises(QuestionnaireFileError, match="min_items dépasse max_items"):
        load_questionnaire_file(edited)


def test_the_coordinators_column_counts_only_where_the_questionnaire_asks(edited):
    # The listing's « Dont coordinateurs » follows the question's condition, not its own rule.
    edited.replace(
        '    column: "Dont coordinateurs"\n    required: true\n'
        "    asked_when: {posts.coordinator_wanted: true, call.offers_coordinator: true}\n",
        '    column: "Dont coordinateurs"\n    required: true\n'
        "    asked_when: {posts.coordinator_wanted: true, structure.france_services: true}\n",
    )
    wanted = {"posts.coordinator_wanted": True, "posts.coordinator_count": 2}
    with_fs = _app(**wanted, **{"structure.france_services": True})
    without_fs = _app(**wanted, **{"structure.france_services": False})
    assert storage.filter_columns(with_fs)["coordinator_count"] == 2
    assert storage.filter_columns(without_fs)["coordinator_count"] == 0
    unanswered = _app(**{"posts.coordinator_wanted": None})
    assert storage.filter_columns(unanswered)["coordinator_count"] is None


def test_the_listing_names_an_answer_column_as_the_questionnaire_does(
    edited, session, applicant, reviewer
):
    from openpyxl import load_workbook

    from core import exports, review_listing, review_table, review_view

    edited.replace('    column: "Postes demandés"\n', '    column: "Conseillers demandés"\n')
    storage.create_application(session=session, user=applicant, call_id=WAVE1, data=_app())
    session.commit()
    filters = ReviewFilters()

    csv, _ = exports.export_listing(session=session, user=reviewer, filters=filters, fmt="csv")
    header = csv.decode("utf-8-sig").splitlines()[0].split(";")
    assert "Conseillers demandés" in header and "Postes demandés" not in header
    xlsx, _ = exports.export_listing(session=session, user=reviewer, filters=filters, fmt="xlsx")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert "Conseillers demandés" in [cell.value for cell in sheet[1]]

    frame = review_listing.list_applications(session=session, user=reviewer, filters=filters)
    headers = review_table.listing_headers([get_call(WAVE1), get_call(WAVE2)])
    shown = review_view.listing_view(frame, all_columns=True, headers=headers)
    assert "Conseillers demandés" in shown.columns


def test_a_listing_of_two_kinds_of_call_keeps_the_portal_header_where_they_differ(edited):
    from core import review_table
    from tests.builders import CD93

    cd93_file = edited.file.parent / "cd93_inclusion.yaml"
    text = cd93_file.read_text(encoding="utf-8")
    assert text.count('    column: "SIRET"\n') == 1
    cd93_file.write_text(text.replace('    column: "SIRET"\n', '    column: "SIRET du porteur"\n'))
    questionnaire.clear_cache()
    cnfs, cd93 = get_call(WAVE1), get_call(CD93)
    assert review_table.listing_headers([cd93])["siret"] == "SIRET du porteur"
    assert review_table.listing_headers([cnfs, cd93])["siret"] == "SIRET"  # the portal's
    # A form label is no listing header: « Département du siège » stays « Département ».
    assert review_table.listing_headers([cd93])["department"] == "Département"
