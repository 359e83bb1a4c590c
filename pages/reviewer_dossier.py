"""One dossier, read-only: submitted answers, verdict with reasons and sources, history, PDF."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import attachments, prefecture, presentation, questionnaire, review
from core.formatting import (
    EFFECT_LABELS_FR,
    event_detail_fr,
    format_date_fr,
    format_datetime_fr,
    format_eur,
)
from core.models import STATUS_LABELS_FR
from core.storage import NotFound, Role
from pages import components, opinion_panel
from pages.attachment_list import attachment_downloads
from pages.components import escape_md

ACTION_LABELS_FR = {
    "created": "Candidature créée",
    "draft_saved": "Brouillon enregistré",
    "submitted": "Candidature déposée",
    "pdf_recorded": "Empreinte du PDF enregistrée",
    "attachment_stored": "Pièce jointe ajoutée",
    "attachment_removed": "Pièce jointe retirée",
}

user = components.require_user(Role.REVIEWER, Role.ADMIN)
st.title("Dossier de candidature")

application_id = st.number_input(
    "N° de candidature",
    min_value=1,
    max_value=components.MAX_ID,
    step=1,
    value=components.parse_id(st.query_params.get("id")),
    placeholder="ex. 12",
    key="dossier_id",
)
if application_id is None:
    st.info("Saisissez un numéro de candidature, ou ouvrez-en une depuis la page Candidatures.")
    st.stop()
st.query_params["id"] = str(int(application_id))

try:
    with components.db() as session:
        dossier = review.get_dossier(session=session, user=user, application_id=int(application_id))
except NotFound:
    st.error(f"Aucune candidature ne porte le n° {int(application_id)}.")
    st.stop()


record = dossier.application
submission = dossier.submission
data = submission.data if submission else record.data
st.subheader(escape_md(data.structure.name or "Structure non renseignée"), anchor=False)
st.caption(f"{dossier.call.title}")
cols = st.columns(3)
if submission:
    # Dossier numbers are too long for a metric's large figure.
    cols[0].markdown(f"N° de dossier  \n**{submission.dossier_number}**")
    cols[1].markdown(f"Déposée le  \n**{format_datetime_fr(submission.submitted_at)}**")
else:
    cols[0].metric("État", "Brouillon")
    cols[1].metric("Dernière modification", format_datetime_fr(record.updated_at))
cols[2].metric("Postes demandés", data.posts.count if data.posts.count is not None else "—")
if not submission:
    st.warning(
        "Cette candidature n'est pas encore déposée : le brouillon peut encore changer. "
        "Seul un dossier déposé fait foi."
    )

if submission and dossier.call.prefect_consultation:
    st.subheader("Avis de la préfecture")
    with components.db() as session:
        consultation = prefecture.consultation_dossier(
            session=session, user=user, application_id=record.id
        )
    st.caption(consultation.list_title)
    opinion_panel.show_opinion(
        consultation.opinion, consultation.changes, deadline=consultation.deadline
    )

st.subheader("Réponses" + (" déposées" if submission else " du brouillon"))
# The same answers, in the same words, as the applicant's summary and the PDF.
answers = pd.DataFrame(
    [
        {
            "Étape": questionnaire.step_title(dossier.call, a.step),
            "Question": a.label,
            "Réponse": a.text,
        }
        for a in presentation.recap(data, dossier.call)
    ]
)
st.dataframe(answers, hide_index=True, width="stretch")

if attachments.file_questions(dossier.call):
    st.subheader("Pièces jointes" + (" déposées" if submission else " du brouillon"))
    attachment_downloads(record.id, data, dossier.call)

st.subheader("Éligibilité")
verdict = submission.verdict if submission else None
if verdict is None:
    label = review.verdict_label(record.verdict_status)
    st.info(f"Dernière évaluation du brouillon : {label}.")
else:
    st.markdown(f"**{STATUS_LABELS_FR[verdict.status]}** (évaluation au moment du dépôt)")
    if verdict.subsidy_eur is not None:
        st.markdown(f"Subvention estimée : {format_eur(verdict.subsidy_eur)}")
    if verdict.subsidy_note:
        st.caption(verdict.subsidy_note)
    if verdict.review_date:
        st.markdown(f"Date d'examen : {format_date_fr(verdict.review_date)}")
    if verdict.reasons:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Nature": EFFECT_LABELS_FR.get(r.effect, r.effect),
                        "Motif": r.message,
                        "Sources": " ; ".join(r.sources),
                    }
                    for r in verdict.reasons
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("Aucun point particulier.")

st.subheader("Historique")
history = pd.DataFrame(
    [
        {
            "Date": format_datetime_fr(e.at),
            "Action": ACTION_LABELS_FR.get(e.action, e.action),
            "Par": e.actor_email or "—",
            "Détail": event_detail_fr(e.action, e.detail, {dossier.call.id: dossier.call.title}),
        }
        for e in dossier.events
    ],
    columns=["Date", "Action", "Par", "Détail"],
)
st.dataframe(history, hide_index=True, width="stretch")

st.subheader("PDF du dossier")
if submission is None:
    st.caption("Le PDF du dossier est disponible une fois la candidature déposée.")
else:
    pdf = review.dossier_pdf(dossier)
    dossier_id = dossier.application.id

    def pdf_bytes(session, checked_user) -> bytes:
        # Read again with the user checked at click time: their scope of this moment applies.
        review.get_dossier(session=session, user=checked_user, application_id=dossier_id)
        return pdf.content

    components.download_button(
        "Télécharger le PDF du dossier",
        pdf_bytes,
        file_name=f"{submission.dossier_number}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
    )
    if pdf.matches is True:
        st.success(
            "Le PDF régénéré est identique à celui remis au dépôt "
            f"(empreinte SHA-256 {pdf.sha256[:16]}…)."
        )
    elif pdf.matches is False:
        st.warning(
            "Le PDF régénéré diffère de celui remis au dépôt : la mise en page ou l'appel a "
            f"changé depuis. Empreinte enregistrée {pdf.stored_sha256[:16]}…, "
            f"empreinte actuelle {pdf.sha256[:16]}…"
        )
    else:
        st.info("Aucune empreinte n'a été enregistrée au dépôt : comparaison impossible.")
    if submission.call_version != dossier.call.version:
        st.caption(
            f"Déposé sous la version {submission.call_version} de l'appel ; "
            f"version actuelle : {dossier.call.version}."
        )
