"""The Département 93 AMI in the applicant's pages (AppTest): the same generic form, its own
steps in the menu, the consortium as rows, the panel's verdict."""

from __future__ import annotations

import datetime as dt

import pytest

from core import storage
from core.calls import get_call
from core.models import StructureType
from tests.builders import CD93, SIRET_OTHER, SIRET_PARTNER, WAVE1
from tests.test_pages_applicant import Portal, create_button, fill_step, new_draft

TODAY = dt.date(2021, 6, 1)  # the 93 AMI and both CNFS waves open


@pytest.fixture(autouse=True)
def _env(app_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def portal(session, applicant) -> Portal:
    return Portal(session, applicant)


ASSO_STEP_1 = {
    "structure.siret": SIRET_OTHER,
    "structure.name": "Association Les Liens numériques",
    "structure.structure_type": StructureType.ASSOCIATION,
    "structure.department": "93",
    "structure.commune": "Montreuil",
    "structure.address": "12 rue de Paris, 93100 Montreuil",
    "contact.name": "Élodie Lefèvre",
    "contact.role": "Coordinatrice",
    "contact.email": "elodie.lefevre@liens-numeriques.fr",
    "contact.phone": "01 48 70 60 00",
}
PROJECT_STEP_2 = {
    "project.territory": "T8",
    "project.summary": "Diagnostic, équipement, connexion, formation et certification.",
    "project.start_date": dt.date(2021, 9, 1),
    "project.target_publics": ["rsa", "siae_employees"],
    "project.prescribers": ["pie"],
    "project.targets.diagnosed": 250,
    "project.targets.equipped": 200,
    "project.targets.connected": 100,
    "project.targets.oriented": 150,
    "project.targets.certified": 100,
}


def button(portal: Portal, label: str):
    return next(b for b in portal.at.button if b.label == label)


def test_an_association_creates_a_93_draft_from_home(portal, session, applicant):
    portal.home()
    assert get_call(CD93).short_title in portal.at.selectbox[0].options or CD93 in (
        portal.at.selectbox[0].options
    )
    portal.at.selectbox[0].set_value(CD93)
    create_button(portal).click().run()
    portal.check()
    [record] = storage.list_applications(session=session, user=applicant)
    assert record.call_id == CD93
    assert portal.at.title[0].value == "Étape 1 — Structure porteuse"


def test_the_step_bar_and_titles_are_the_dossiers_calls(portal, session, applicant):
    portal.open(2, new_draft(session, applicant, CD93))
    assert portal.at.title[0].value == "Étape 2 — Projet et objectifs"
    labels = [link.label for link in portal.at.get("page_link")]
    assert "3. Consortium" in labels and "4. Pièces" in labels
    assert "2. Postes" not in labels
    cnfs = new_draft(session, applicant, WAVE1)
    portal.open(2, cnfs)
    assert portal.at.title[0].value == "Étape 2 — Postes"


def test_project_and_targets_are_saved_and_a_low_target_is_explained(portal, session, applicant):
    portal.dossier = new_draft(session, applicant, CD93)
    fill_step(portal, 2, PROJECT_STEP_2)
    stored = portal.stored().project
    assert stored.territory == "T8" and stored.targets.diagnosed == 250
    portal.fill("project.targets.diagnosed", 249)
    text = portal.all_text()
    assert "au moins 250 personnes" in text  # the seed's words, under the field and in the panel


def test_consortium_rows_are_added_filled_and_removed(portal, session, applicant):
    portal.dossier = new_draft(session, applicant, CD93)
    portal.open(3)
    button(portal, "Ajouter un partenaire").click().run()
    portal.check()
    key = f"f:{portal.dossier}:project.consortium"
    portal.at.text_input(key=f"{key}:0:name").input("Ressourcerie de l'Est").run()
    portal.at.text_input(key=f"{key}:0:siret").input(SIRET_PARTNER).run()
    portal.at.text_input(key=f"{key}:0:role").input("Reconditionnement").run()
    portal.check()
    [partner] = portal.stored().project.consortium
    assert (partner.name, partner.siret, partner.role) == (
        "Ressourcerie de l'Est",
        SIRET_PARTNER,
        "Reconditionnement",
    )
    button(portal, "Ajouter un partenaire").click().run()
    assert len(portal.stored().project.consortium) == 2
    assert "Partenaire n° 2 : indiquez son nom" in portal.all_text()
    portal.at.button(key=f"{key}:0:remove").click().run()
    portal.check()
    [left] = portal.stored().project.consortium
    assert left.name is None  # the first row went, the empty second one stays
    assert portal.at.text_input(key=f"{key}:0:name").value == ""


def test_a_complete_project_without_the_letter_is_incomplete_then_recap(portal, session, applicant):
    portal.dossier = new_draft(session, applicant, CD93)
    fill_step(portal, 1, ASSO_STEP_1)
    fill_step(portal, 2, PROJECT_STEP_2)
    fill_step(
        portal,
        3,
        {
            "project.network": "EPT Est Ensemble, PLIE",
            "project.budget_eur": 187_500,
            "project.coordination_budget_eur": 15_000,
            "project.prior_department_subsidy_2020": True,
        },
    )
    button(portal, "Ajouter un partenaire").click().run()
    key = f"f:{portal.dossier}:project.consortium"
    for field, value in (("name", "Ressourcerie"), ("siret", SIRET_PARTNER), ("role", "Réemploi")):
        portal.at.text_input(key=f"{key}:0:{field}").input(value).run()
    portal.open(4)
    for commitment in get_call(CD93).commitments:
        portal.fill(f"commitments.{commitment.id}", True)
    # The letter of the EPT still lacks: the panel says what to join.
    text = portal.all_text()
    assert "Lettre de soutien de l'EPT du territoire" in text
    portal.open(5)
    text = portal.all_text().replace("\u202f", " ").replace("\u00a0", " ")
    assert "Territoire 8 : Est Ensemble" in text
    assert "Ressourcerie — " in text
    assert "187 500 €" in text
    assert "Versement en trois tranches" not in text
