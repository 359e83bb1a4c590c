"""Self-registration of applicant accounts (mairies, associations)."""

from __future__ import annotations

import streamlit as st

from core import accounts
from pages import components

components.ensure_routed()

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
            f"au plus {accounts.PASSWORD_MAX_BYTES} octets, et pas un mot de passe courant : "
            "par exemple trois ou quatre mots sans rapport, séparés par des tirets."
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
                accounts.register(session=session, email=email, name=name, password=password)
        except accounts.AccountError as exc:
            st.error(str(exc))
        else:
            # The same answer whether the address had an account or not (no probing).
            components.flash(accounts.REGISTRATION_RECEIVED)
            st.switch_page(components.LOGIN_PAGE)
