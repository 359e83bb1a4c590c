"""Login page: email and password, checked by core.auth (lockout counted in the database)."""

from __future__ import annotations

import streamlit as st

from core import auth
from core.demo_accounts import DEMO_ACCOUNTS
from pages import components, mail_components

components.ensure_routed()
settings = components.load_settings()

st.title("Conseillers numériques France Services")
st.subheader("Connexion au portail de candidature des structures d'accueil")

with st.form("login"):
    email = st.text_input("Adresse électronique", autocomplete="username")
    password = st.text_input("Mot de passe", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Se connecter", type="primary")

if submitted:
    if not email.strip() or not password:
        st.error("Saisissez votre adresse électronique et votre mot de passe.")
    else:
        with components.db() as session:
            outcome = auth.attempt_login(
                session=session,
                email=email,
                password=password,
                source=components.login_source(settings),
            )
            if outcome.user is not None:
                components.start_session(settings, session, outcome.user)
        if outcome.user is not None:
            components.go_after_login()
        if outcome.locked_until is not None:
            mail_components.send_later(settings)  # the owner's notice, without waiting for SMTP
        st.error(outcome.message)

st.page_link("pages/password_reset.py", label="Mot de passe oublié ?", icon=":material/key:")
st.caption("Pas encore de compte ? Ouvrez « Créer un compte » dans le menu.")

if settings.demo_mode:
    st.divider()
    st.markdown("**Mode démonstration : comptes d'essai**")
    st.table(
        [
            {"Profil": a.label, "Adresse électronique": a.email, "Mot de passe": a.password}
            for a in DEMO_ACCOUNTS
            if a.shown
        ]
    )
