"""Accueil: open calls, a new application, and the applicant's applications with what is next."""

import streamlit as st

from core import clock, journey
from core.calls import get_call
from core.storage import DuplicateApplication, Role
from pages import components, mail_components
from pages.components import escape_md
from pages.eligibility_panel import status_badge
from pages.step_nav import open_dossier, step_link

user = components.require_user(Role.APPLICANT)
today = clock.today()
calls = journey.calls_overview(today)

st.title("Accueil", anchor=False)
st.write(f"Bonjour {escape_md(user.name)}.")
mail_components.address_notice(components.load_settings(), user, key="home_resend_confirmation")

st.subheader("Mes candidatures", anchor=False)
with components.db() as session:
    applications = journey.overview(session=session, user=user, today=today)
if not applications:
    st.write("Vous n'avez pas encore de candidature.")
for record, verdict, next_step in applications:
    with st.container(border=True):
        name = record.data.structure.name or "Structure non renseignée"
        st.markdown(f"**{escape_md(name)}** — candidature n° {record.id}")
        st.caption(escape_md(get_call(record.call_id).short_title))
        st.badge(
            "Déposée" if record.status == "submitted" else "Brouillon",
            color="violet" if record.status == "submitted" else "gray",
        )
        status_badge(verdict.status)
        st.write(escape_md(next_step.text))
        label = "Voir le dossier" if record.status == "submitted" else "Reprendre"
        if st.button(label, key=f"open-{record.id}"):
            open_dossier(record.id, next_step.step or 1)

st.subheader("Appels à candidatures", anchor=False)
for overview in calls:
    with st.container(border=True):
        st.markdown(f"**{escape_md(overview.call.title)}**")
        st.badge(
            "Ouvert" if overview.is_open else "Fermé", color="green" if overview.is_open else "gray"
        )
        if overview.call.who_may_apply:
            st.write(escape_md(f"Pour qui : {overview.call.who_may_apply}"))
        st.caption(escape_md(overview.text))

st.subheader("Nouvelle candidature", anchor=False)
open_calls = [o.call for o in calls if o.is_open]
if not open_calls:
    st.info("Aucun appel n'est ouvert aujourd'hui.")
else:
    with st.form("new_application"):
        call_id = st.selectbox(
            "Appel",
            [c.id for c in open_calls],
            format_func=lambda cid: get_call(cid).short_title,
        )
        siret = st.text_input(
            "N° SIRET de la structure (facultatif)",
            max_chars=40,
            help="En l'indiquant dès maintenant, vous saurez si une candidature existe déjà "
            "pour cette structure.",
        )
        create = st.form_submit_button("Créer la candidature", type="primary")
    if create:
        try:
            with components.db() as session:
                record = journey.open_draft(
                    session=session, user=user, call_id=call_id, today=today, siret=siret
                )
        except DuplicateApplication as exc:
            st.error(escape_md(str(exc)))
            if exc.existing_id is not None:
                step_link(1, exc.existing_id, label=f"Ouvrir la candidature n° {exc.existing_id}")
        except journey.CallNotOpen as exc:
            st.error(escape_md(str(exc)))
        else:
            open_dossier(record.id, 1)
