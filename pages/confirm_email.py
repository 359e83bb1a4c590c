"""The page a confirmation link opens: confirms the address once, then says what comes next."""

from __future__ import annotations

import streamlit as st

from core import account_links
from core.storage import Role
from pages import components

components.ensure_routed()
_CONFIRMED = "_cnfs_confirmed_email"  # kept for the reruns after the token left the URL

st.title("Confirmation de l'adresse électronique")

token = st.query_params.get("jeton")
if token:
    with components.db() as session:
        confirmed = account_links.confirm_email(session=session, token=token)
    st.session_state[_CONFIRMED] = confirmed.email if confirmed else None
    st.query_params.clear()  # the used token leaves the address bar and the history

email = st.session_state.get(_CONFIRMED)
if email:
    st.success(
        components.escape_md(
            f"Merci : l'adresse {email} est confirmée. Vous pouvez déposer vos candidatures."
        ),
        icon=":material/mark_email_read:",
    )
else:
    st.error(
        "Ce lien de confirmation n'est plus valable : il a déjà servi, il a expiré ou il est "
        "incomplet. Si votre adresse n'est pas encore confirmée, demandez un nouveau lien depuis "
        "« Mon compte » ou l'étape « Récapitulatif et dépôt ».",
        icon=":material/link_off:",
    )

user = components.current_user()
if user is None:
    st.page_link("pages/login.py", label="Se connecter", icon=":material/login:")
elif user.role == Role.APPLICANT:
    st.page_link(
        "pages/applicant_home.py", label="Reprendre ma candidature", icon=":material/home:"
    )
