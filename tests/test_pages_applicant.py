"""Applicant pages run with Streamlit's AppTest against the test database (SQLite)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth, journey, storage
from core.calls import get_call
from core.models import Application, StructureType
from core.storage import User
from tests.builders import SIRET_COMMUNE_93, SIRET_OTHER, WAVE1, WAVE2
from tests.conftest import login_ticket

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
HOME = "pages/applicant_home.py"
STEPS = {
    1: "pages/step_1_structure.py",
    2: "pages/step_2_postes.py",
    3: "pages/step_3_coordinateur.py",
    4: "pages/step_4_engagements.py",
    5: "pages/step_5_recapitulatif.py",
}
TODAY = dt.date(2021, 2, 10)  # both waves open
WIDGET_KINDS = (
    "text_input",
    "text_area",
    "selectbox",
    "radio",
    "number_input",
    "date_input",
    "multiselect",
    "checkbox",
)


class Portal:
    """An AppTest of the whole app, logged in as one applicant."""

    def __init__(self, session, user: User) -> None:
        self.session = session
        self.user = user
        self.at = AppTest.from_file(APP, default_timeout=30)
        version = auth.session_version(session=session, user_id=user.id)
        self.at.session_state["_cnfs_auth"] = login_ticket(user, version)
        self.at.run()
        self.dossier: int | None = None

    def open(self, step: int, dossier: int | None = None) -> Portal:
        dossier = dossier or self.dossier
        self.dossier = dossier
        self.at.query_params["dossier"] = str(dossier)
        self.at.switch_page(STEPS[step]).run()
        self.check()
        return self

    def home(self) -> Portal:
        self.at.switch_page(HOME).run()
        self.check()
        return self

    def check(self) -> None:
        assert not self.at.exception, [e.value for e in self.at.exception]

    def widget(self, path: str):
        key = f"f:{self.dossier}:{path}"
        for kind in WIDGET_KINDS:
            try:
                return getattr(self.at, kind)(key=key)
            except KeyError:
                continue
        raise KeyError(path)

    def has(self, path: str) -> bool:
        try:
            self.widget(path)
        except KeyError:
            return False
        return True

    def fill(self, path: str, value) -> Portal:
        widget = self.widget(path)
        if widget.type in ("text_input", "text_area"):
            widget.input(value)
        else:
            widget.set_value(value)
        self.at.run()
        self.check()
        return self

    def stored(self) -> Application:
        self.session.expire_all()
        return storage.get_application(
            session=self.session, user=self.user, application_id=self.dossier
        ).data

    def texts(self, kind: str) -> list[str]:
        return [e.value for e in getattr(self.at, kind)]

    def all_text(self) -> str:
        kinds = ("markdown", "caption", "error", "warning", "info", "success")
        return "\n".join(str(v) for kind in kinds for v in self.texts(kind)).replace("\\", "")


@pytest.fixture(autouse=True)
def _env(app_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def portal(session, applicant) -> Portal:
    return Portal(session, applicant)


def new_draft(session, user, call_id: str = WAVE1) -> int:
    record = storage.create_application(session=session, user=user, call_id=call_id)
    session.commit()
    return record.id


COMMUNE_STEP_1 = {
    "structure.siret": "219 300 480 00007",
    "structure.name": "Commune de Montreuil",
    "structure.structure_type": StructureType.COMMUNE,
    "structure.legal_category": "7210",
    "structure.department": "93",
    "structure.commune": "Montreuil",
    "structure.address": "1 place Jean-Jaurès, 93100 Montreuil",
    "structure.france_services": True,
    "structure.qpv": True,
    "structure.priority_programmes": ["Action cœur de ville"],
    "contact.name": "Élodie Lefèvre",
    "contact.role": "Secrétaire de mairie",
    "contact.email": "elodie.lefevre@montreuil.fr",
    "contact.phone": "01 48 70 60 00",
}
STEP_2 = {
    "posts.count": 2,
    "posts.contract_months": 36,
    "posts.start_date": dt.date(2021, 3, 1),
    "posts.salary_top_up": False,
    "posts.places_of_activity": "Médiathèque ; mairie annexe",
    "posts.candidate_identified": False,
    "posts.consolidates_existing_posts": False,
}


def fill_step(portal: Portal, step: int, answers: dict) -> None:
    portal.open(step)
    for path, value in answers.items():
        portal.fill(path, value)


def accept_commitments(portal: Portal, call_id: str) -> None:
    portal.open(4)
    for commitment in get_call(call_id).commitments:
        portal.fill(f"commitments.{commitment.id}", True)


def create_button(portal: Portal):
    return next(b for b in portal.at.button if b.label == "Créer la candidature")


def submit_button(portal: Portal):
    return portal.at.button(key="submit")


def deposit(portal: Portal, *, certified: bool = True) -> None:
    """Name the person who files, certify, then press « Déposer la candidature »."""
    portal.at.text_input(key="signatory_name").input("Camille Martin")
    portal.at.text_input(key="signatory_role").input("Maire adjointe")
    portal.at.checkbox(key="certified").set_value(certified)
    submit_button(portal).click().run()


# --- smoke ---------------------------------------------------------------------------------


def test_home_runs_and_lists_calls(portal):
    portal.home()
    text = portal.all_text()
    assert "CNFS" in text or "Conseillers numériques" in text
    assert "Ouvert depuis le 17 novembre 2020." in text
    assert "Vous n'avez pas encore de candidature." in text


@pytest.mark.parametrize("step", sorted(STEPS))
def test_every_step_runs_with_a_new_draft(portal, session, applicant, step):
    portal.open(step, new_draft(session, applicant))
    assert portal.at.title[0].value.startswith(f"Étape {step}")
    assert "Éligibilité" in [h.value for h in portal.at.subheader]


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_step_without_dossier_points_to_home(portal, step):
    portal.at.switch_page(STEPS[step]).run()
    portal.check()
    assert "Choisissez d'abord une candidature" in portal.all_text()


def test_a_dossier_of_someone_else_is_not_found(portal, session, other_applicant):
    portal.open(1, new_draft(session, other_applicant))
    assert "Candidature introuvable" in portal.all_text()


def test_closed_or_future_call_says_so(session, applicant, monkeypatch):
    monkeypatch.setenv("CNFS_TODAY", "2021-01-20")
    portal = Portal(session, applicant).home()
    assert "Ouvrira le 1er février 2021." in portal.all_text()
    assert portal.at.selectbox[0].options == [get_call(WAVE1).short_title]


# --- Accueil ---------------------------------------------------------------------------------


def test_new_application_from_home_opens_step_1(portal, session, applicant):
    portal.home()
    portal.at.selectbox[0].set_value(WAVE1)
    portal.at.text_input[0].input(SIRET_COMMUNE_93)
    create_button(portal).click().run()
    portal.check()
    [record] = storage.list_applications(session=session, user=applicant)
    assert record.data.structure.siret == SIRET_COMMUNE_93
    assert portal.at.title[0].value == "Étape 1 — Structure"
    assert portal.at.query_params["dossier"] == str(record.id)


def test_new_application_with_a_used_siret_points_to_the_existing_one(portal, session, applicant):
    existing = journey.open_draft(
        session=session, user=applicant, call_id=WAVE1, today=TODAY, siret=SIRET_COMMUNE_93
    )
    session.commit()
    portal.home()
    portal.at.text_input[0].input(SIRET_COMMUNE_93)
    create_button(portal).click().run()
    portal.check()
    assert f"(n° {existing.id})" in portal.all_text()
    assert any(f"n° {existing.id}" in link.label for link in portal.at.get("page_link"))


def test_home_lists_applications_with_status_and_next_step(portal, session, applicant):
    portal.dossier = new_draft(session, applicant)
    portal.home()
    text = portal.all_text()
    assert f"candidature n° {portal.dossier}" in text
    assert "À compléter : étape 1 — Structure" in text


# --- whole journeys --------------------------------------------------------------------------


def test_commune_journey_in_wave_1(portal, session, applicant):
    portal.dossier = new_draft(session, applicant)
    fill_step(portal, 1, COMMUNE_STEP_1)
    fill_step(portal, 2, STEP_2)
    fill_step(portal, 3, {"posts.coordinator_wanted": True})
    assert portal.has("posts.coordinator_scope")
    for path, value in {
        "posts.coordinator_count": 1,
        "posts.coordinator_justification": "Animer le réseau des deux conseillers",
        "posts.coordinator_scope": "Territoire de la commune",
    }.items():
        portal.fill(path, value)
    accept_commitments(portal, WAVE1)
    portal.open(5)
    text = portal.all_text()
    assert "100 000 €" in text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "examinée le 15 février 2021" in text
    assert not submit_button(portal).disabled
    deposit(portal, certified=False)  # a deliberate deposit: not without the certification
    assert any("cochez la case de certification" in e.value for e in portal.at.error)
    assert (
        storage.get_application(
            session=session, user=applicant, application_id=portal.dossier
        ).status
        == "draft"
    )
    deposit(portal)
    portal.check()
    text = portal.all_text()
    assert f"Dossier n° CNFS-2021-{portal.dossier:06d}" in text
    assert "Examen prévu le 15 février 2021" in text
    assert portal.at.get("download_button")
    # A click must not rerun the page: the rerun draws the button again and drops the file id
    # the browser is about to fetch (« Deferred file … not found »: the click gave nothing).
    assert all(b.proto.ignore_rerun for b in portal.at.get("download_button"))
    submission = storage.get_submission(
        session=session, user=applicant, application_id=portal.dossier
    )
    assert submission.verdict.status == "to_examine"  # coordinator: examen particulier
    assert submission.pdf_sha256 is not None
    portal.home()
    assert "Déposée le 10 février 2021" in portal.all_text()


def test_association_journey_in_wave_2(portal, session, applicant):
    portal.dossier = new_draft(session, applicant, WAVE2)
    answers = COMMUNE_STEP_1 | {
        "structure.siret": SIRET_OTHER,
        "structure.name": "Association Les Liens numériques",
        "structure.structure_type": StructureType.ASSOCIATION,
        "structure.legal_category": "9220",
    }
    fill_step(portal, 1, answers)
    assert not portal.has("structure.ess")  # ESS by its status
    fill_step(portal, 2, STEP_2)
    fill_step(portal, 3, {"posts.coordinator_wanted": False})
    assert not portal.has("posts.coordinator_scope")
    accept_commitments(portal, WAVE2)
    portal.open(5)
    deposit(portal)
    portal.check()
    assert storage.get_submission(session=session, user=applicant, application_id=portal.dossier)


def test_company_is_asked_about_ess(portal, session, applicant):
    portal.open(1, new_draft(session, applicant, WAVE2))
    portal.fill("structure.structure_type", StructureType.COMPANY)
    assert portal.has("structure.ess")


def test_association_in_wave_1_cannot_submit(portal, session, applicant):
    portal.dossier = new_draft(session, applicant)
    fill_step(
        portal,
        1,
        COMMUNE_STEP_1
        | {"structure.structure_type": StructureType.ASSOCIATION, "structure.legal_category": ""},
    )
    assert "vague 2" in portal.all_text()  # under the field and in the panel
    fill_step(portal, 2, STEP_2)
    fill_step(portal, 3, {"posts.coordinator_wanted": False})
    accept_commitments(portal, WAVE1)
    portal.open(5)
    assert submit_button(portal).disabled
    assert "vague 2" in portal.all_text()
    assert "Non éligible" in portal.all_text()  # the status badge


# --- drafts ----------------------------------------------------------------------------------


def test_moving_between_steps_keeps_every_answer(portal, session, applicant):
    portal.dossier = new_draft(session, applicant)
    fill_step(portal, 1, COMMUNE_STEP_1)
    fill_step(portal, 2, STEP_2)
    for step in (1, 3, 2, 5, 1):
        portal.open(step)
    # Identifiers come back compacted to ASCII digits (core.identifiers), the rest as typed.
    compacted = {"structure.siret": "21930048000007", "contact.phone": "0148706000"}
    for path, value in (COMMUNE_STEP_1 | compacted).items():
        assert portal.widget(path).value == value, path
    portal.open(2)
    for path, value in STEP_2.items():
        assert portal.widget(path).value == value, path
    # A new browser tab (a reload) finds the dossier from the URL alone.
    fresh = Portal(session, applicant)
    fresh.open(2, portal.dossier)
    assert fresh.widget("posts.count").value == 2


def test_bad_siret_is_kept_as_typed_with_the_message_under_it(portal, session, applicant):
    portal.open(1, new_draft(session, applicant))
    portal.fill("structure.siret", "21930048OOOOO7")
    assert portal.stored().structure.siret == "21930048OOOOO7"
    assert any("14 chiffres" in e for e in portal.texts("error"))
    portal.fill("structure.siret", "21930048000008")
    assert any("clé de contrôle" in e for e in portal.texts("error"))
    portal.fill("contact.email", "elodie@")
    assert any("courriel n'est pas valide" in e for e in portal.texts("error"))


def test_a_save_from_another_tab_is_not_overwritten_silently(portal, session, applicant):
    portal.open(1, new_draft(session, applicant))
    portal.fill("structure.commune", "Montreuil")
    record = storage.get_application(session=session, user=applicant, application_id=portal.dossier)
    journey.update_draft(  # another tab saves first
        session=session,
        user=applicant,
        application_id=portal.dossier,
        changes={"structure.name": "Nom saisi ailleurs"},
        expected_version=record.version,
        today=TODAY,
    )
    session.commit()
    portal.fill("structure.address", "Adresse tapée ici")
    warnings = " ".join(portal.texts("warning")).replace("\\", "")
    assert "modifiée dans un autre onglet" in warnings
    assert "« Adresse » n'a pas été enregistrée" in warnings
    assert portal.widget("structure.name").value == "Nom saisi ailleurs"
    assert portal.widget("structure.address").value == ""
    portal.fill("structure.address", "Adresse tapée ici")  # typed again: saved this time
    assert portal.stored().structure.address == "Adresse tapée ici"
    assert portal.stored().structure.name == "Nom saisi ailleurs"


def test_submitted_application_is_read_only(portal, session, applicant):
    portal.dossier = new_draft(session, applicant)
    fill_step(portal, 1, COMMUNE_STEP_1)
    fill_step(portal, 2, STEP_2)
    fill_step(portal, 3, {"posts.coordinator_wanted": False})
    accept_commitments(portal, WAVE1)
    portal.open(5)
    deposit(portal)
    portal.check()
    for step in (1, 2, 3, 4):
        portal.open(step)
        widgets = [w for kind in WIDGET_KINDS for w in getattr(portal.at, kind)]
        assert widgets and all(w.disabled for w in widgets), step
        assert "n'est plus modifiable" in portal.all_text()
    portal.open(5)
    assert (
        not portal.at.button(key="submit")
        if "submit" in [b.key for b in portal.at.button]
        else True
    )
    with pytest.raises(storage.AlreadySubmitted):
        journey.update_draft(
            session=session,
            user=applicant,
            application_id=portal.dossier,
            changes={"posts.count": 9},
            expected_version=storage.get_application(
                session=session, user=applicant, application_id=portal.dossier
            ).version,
            today=TODAY,
        )


def test_delete_a_draft_with_confirmation_then_restore_it(portal, session, applicant):
    portal.dossier = new_draft(session, applicant)
    portal.home()
    portal.at.button(key=f"delete-{portal.dossier}").click().run()
    portal.check()
    # Nothing is deleted before the confirmation, and « Annuler » keeps it.
    assert "Supprimer la candidature n°" in portal.all_text()
    portal.at.button(key=f"delete-no-{portal.dossier}").click().run()
    assert storage.list_applications(session=session, user=applicant)
    portal.at.button(key=f"delete-{portal.dossier}").click().run()
    portal.at.button(key=f"delete-yes-{portal.dossier}").click().run()
    portal.check()
    assert storage.list_applications(session=session, user=applicant) == []
    text = portal.all_text()
    assert "Vous n'avez pas encore de candidature." in text
    assert "Candidatures supprimées" in [h.value for h in portal.at.subheader]
    assert "restaurable jusqu'au" in text
    portal.at.button(key=f"restore-{portal.dossier}").click().run()
    portal.check()
    [back] = storage.list_applications(session=session, user=applicant)
    assert back.id == portal.dossier
    assert "Candidatures supprimées" not in [h.value for h in portal.at.subheader]


def test_a_submitted_application_has_no_delete_button(portal, session, applicant):
    portal.dossier = new_draft(session, applicant)
    fill_step(portal, 1, COMMUNE_STEP_1)
    fill_step(portal, 2, STEP_2)
    fill_step(portal, 3, {"posts.coordinator_wanted": False})
    accept_commitments(portal, WAVE1)
    portal.open(5)
    deposit(portal)
    portal.home()
    assert f"delete-{portal.dossier}" not in [b.key for b in portal.at.button]


def test_each_commitment_shows_its_text_and_its_source_before_it_is_ticked(
    portal, session, applicant
):
    portal.dossier = new_draft(session, applicant)
    portal.open(4)
    commitments = get_call(WAVE1).commitments
    for number, commitment in enumerate(commitments, 1):
        box = portal.at.checkbox(key=f"f:{portal.dossier}:commitments.{commitment.id}")
        label = box.label.replace("\\", "")
        assert label.startswith(f"Engagement n° {number} : {commitment.text}")
        assert f"Source : {commitment.source}" in label
