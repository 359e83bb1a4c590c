"""One dossier, read-only: submitted answers, verdict with reasons and sources, history, PDF."""

from __future__ import annotations

import streamlit as st

from core import (
    attachments,
    prefecture,
    presentation,
    questionnaire,
    review_dossier,
    review_table,
    review_view,
)
from core.calls import load_calls
from core.formatting import (
    EFFECT_LABELS_FR,
    event_detail_fr,
    format_date_fr,
    format_datetime_fr,
    format_eur,
)
from core.models import STATUS_LABELS_FR
from core.storage import APPLICATION_STATUS_LABELS_FR, NotFound, Role
from pages import components, opinion_panel
from pages.attachment_list import attachment_downloads
from pages.components import escape_md


def multiline_md(text: str) -> str:
    """Escaped text whose line breaks stay line breaks."""
    return "  \n".join(escape_md(line) for line in text.splitlines() if line.strip())


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


def _go_to(target: int) -> None:
    st.session_state["dossier_id"] = target


listing = st.session_state.get(review_view.LISTING_STATE)
if listing is not None:
    filters, sort, descending = listing
    with components.db() as session:
        around = review_view.neighbours(
            session=session,
            user=user,
            application_id=int(application_id),
            filters=filters,
            sort=sort,
            descending=descending,
        )
    if around.position is not None:
        c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="center")
        c1.button(
            "Dossier précédent",
            icon=":material/arrow_back:",
            disabled=around.previous is None,
            on_click=_go_to,
            args=(around.previous,),
            key="previous_dossier",
        )
        c2.caption(
            f"Dossier {around.position} sur {around.total} de la liste filtrée (page Candidatures)."
        )
        c3.button(
            "Dossier suivant",
            icon=":material/arrow_forward:",
            icon_position="right",
            disabled=around.next is None,
            on_click=_go_to,
            args=(around.next,),
            key="next_dossier",
        )

try:
    with components.db() as session:
        dossier = review_dossier.get_dossier(
            session=session, user=user, application_id=int(application_id)
        )
except NotFound:
    st.error(f"Aucune candidature ne porte le n° {int(application_id)}.")
    st.stop()


record = dossier.application
submission = dossier.submission
data = submission.data if submission else record.data
st.subheader(escape_md(data.structure.name or "Structure non renseignée"), anchor=False)
st.caption(f"{dossier.call.title}")
# Plain text, not metrics: a metric's large figure cuts a dossier number or a date.
cols = st.columns([2, 3, 1.5])
if submission:
    cols[0].markdown(f"N° de dossier  \n**{submission.dossier_number}**")
    cols[1].markdown(f"Déposée le  \n**{format_datetime_fr(submission.submitted_at)}**")
else:
    cols[0].markdown(f"État  \n**{APPLICATION_STATUS_LABELS_FR[record.status]}**")
    cols[1].markdown(f"Dernière modification  \n**{format_datetime_fr(record.updated_at)}**")
if dossier.call.posts is not None:
    posts = data.posts.count if data.posts.count is not None else "—"
    cols[2].markdown(f"Postes demandés  \n**{posts}**")
else:  # a call funding a budget: the subsidy requested, as the rules read it
    requested = submission.verdict.subsidy_eur if submission else None
    cols[2].markdown(f"Subvention demandée  \n**{format_eur(requested)}**")
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
# The same answers, in the same words, as the applicant's summary and the PDF; as text that
# wraps, so a long answer is read in full.
by_step: dict[int, list] = {}
for answer in presentation.recap(data, dossier.call):
    by_step.setdefault(answer.step, []).append(answer)
for step, step_answers in by_step.items():
    with st.container(border=True):
        st.markdown(f"**{escape_md(questionnaire.step_title(dossier.call, step))}**")
        for answer in step_answers:
            st.markdown(f"**{escape_md(answer.label)}**  \n{multiline_md(answer.text)}")

if attachments.file_questions(dossier.call):
    st.subheader("Pièces jointes" + (" déposées" if submission else " du brouillon"))
    attachment_downloads(record.id, data, dossier.call)

st.subheader("Éligibilité")
verdict = submission.verdict if submission else None
if verdict is None:
    label = review_table.verdict_label(record.verdict_status)
    st.info(f"Dernière évaluation du brouillon : {label}.")
else:
    st.markdown(f"**{STATUS_LABELS_FR[verdict.status]}** (évaluation au moment du dépôt)")
    if verdict.subsidy_eur is not None:
        st.markdown(f"Subvention estimée : {format_eur(verdict.subsidy_eur)}")
    if verdict.subsidy_note:
        st.caption(verdict.subsidy_note)
    if verdict.review_date:
        st.markdown(f"Date d'examen : {format_date_fr(verdict.review_date)}")
    for reason in verdict.reasons:
        sources = f" — {escape_md(' ; '.join(reason.sources))}" if reason.sources else ""
        st.markdown(
            f"- **{escape_md(EFFECT_LABELS_FR.get(reason.effect, reason.effect))}** : "
            f"{escape_md(reason.message)}{sources}"
        )
    if not verdict.reasons:
        st.caption("Aucun point particulier.")

st.subheader("Historique")
titles = {call.id: call.title for call in load_calls().values()}  # a moved draft names two
lines = review_view.history(
    dossier.events, lambda action, detail: event_detail_fr(action, detail, titles)
)
st.dataframe(review_view.history_frame(lines), hide_index=True, width="stretch")

st.subheader("PDF du dossier")
if submission is None:
    st.caption("Le PDF du dossier est disponible une fois la candidature déposée.")
else:
    pdf = review_dossier.dossier_pdf(dossier)
    dossier_id = dossier.application.id

    def pdf_bytes(session, checked_user) -> bytes:
        # Read again with the user checked at click time: their scope of this moment applies.
        review_dossier.get_dossier(session=session, user=checked_user, application_id=dossier_id)
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
