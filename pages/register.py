"""Self-registration of applicant accounts (mairies, associations)."""

from __future__ import annotations

import streamlit as st

from core import accounts, mail_events
from core.storage import Role
from pages import components, mail_components

components.ensure_routed()
settings = components.load_settings()

st.title("Créer un compte")
st.write(
    "Ce compte permet à une collectivité, un établissement public ou une association de "
    "préparer et de déposer sa candidature pour accueillir des conseillers numériques."
)

with st.form("register"):
    name = st.text_input("Nom et prénom", autocomplete="name")
    email = st.text_input(
        "Adresse électronique professionnelle", autocomplete="email", placeholder="nom@mairie.fr"
    )
    password = st.text_input(
        "Mot de passe",
        type="password",
        autocomplete="new-password",
        help=(
            f"Au moins {accounts.PASSWORD_MIN_CHARS} caractères, pas uniquement des lettres, "
            f"au plus {accounts.PASSWORD_MAX_BYTES} octets."
        ),
    )
    confirmation = st.text_input(
        "Confirmez le mot de passe", type="password", autocomplete="new-password"
    )
    submitted = st.form_submit_button("Créer mon compte", type="primary")

if submitted:
    problems = accounts.password_problems(password)
    if password != confirmation:
        problems.append("Les deux mots de passe saisis sont différents.")
    if problems:
        for problem in problems:
            st.error(problem)
    else:
        try:
            with components.db() as session:
                user = accounts.create_user(
                    session=session, email=email, name=name, password=password, role=Role.APPLICANT
                )
                components.start_session(settings, session, user)
                confirmation = mail_events.request_email_confirmation(
                    session=session, user=user, settings=settings
                )
        except accounts.AccountError as exc:
            st.error(str(exc))
        else:
            sent, _ = mail_components.sent_sentence(
                settings,
                mail_components.send_now(settings, confirmation),
                "Le lien de confirmation",
            )
            components.flash(
                components.escape_md(
                    f"Bienvenue, {user.name} : votre compte est créé. {sent} Ouvrez ce lien pour "
                    "confirmer votre adresse avant de déposer une candidature."
                )
            )
            st.rerun()
