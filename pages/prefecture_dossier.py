"""One submitted dossier of the prefecture's departments: answers read-only, and its opinion."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import prefecture, presentation, questionnaire
from core.formatting import format_datetime_fr
from core.storage import NotFound, Role
from pages import components, opinion_panel

user = components.require_user(Role.PREFECTURE)
st.title("Dossier et avis")

application_id = components.parse_id(st.query_params.get("id"))
if application_id is None:
    st.info("Ouvrez un dossier depuis la page « Candidatures ».")
    st.stop()

try:
    with components.db() as session:
        dossier = prefecture.consultation_dossier(
            session=session, user=user, application_id=application_id
        )
except NotFound:
    st.error(f"Aucune candidature ne porte le n° {application_id}.")
    st.stop()

record = dossier.application
submission = record.submission
data = submission.data
st.subheader(components.escape_md(data.structure.name or "Structure non renseignée"), anchor=False)
st.caption(f"{dossier.call.title} — {dossier.list_title}")
cols = st.columns(3)
cols[0].markdown(f"N° de dossier  \n**{submission.dossier_number}**")
cols[1].markdown(f"Déposé le  \n**{format_datetime_fr(submission.submitted_at)}**")
posts = data.posts.count if data.posts.count is not None else "—"
cols[2].markdown(f"Postes demandés  \n**{posts}**")

st.subheader("Avis de la préfecture")
opinion_panel.show_opinion(dossier.opinion, dossier.changes, deadline=dossier.deadline)
opinion_panel.opinion_form(
    user, record.id, dossier.opinion, data.posts.count or 0, open_=dossier.open
)

st.subheader("Réponses déposées")
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
