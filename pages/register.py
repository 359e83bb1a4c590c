"""Self-registration of applicant accounts (mairies, associations)."""

from __future__ import annotations

import streamlit as st

from core import accounts, mail_events
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
                user = accounts.register(session=session, email=email, name=name, password=password)
                if user is not None:  # a new account: its address is to be confirmed
                    mail_events.request_email_confirmation(
                        session=session, user=user, settings=settings
                    )
        except accounts.AccountError as exc:
            st.error(str(exc))
        else:
            # The same answer, in the same time, whether the address had an account or not
            # (no probing): the mail leaves from the background sender, not from this run.
            mail_components.send_later(settings)
            demo = (
                " En démonstration, aucun courriel ne part : lisez-le dans le menu « Courriels "
                "(démonstration) »."
                if settings.demo_mode
                else ""
            )
            components.flash(accounts.REGISTRATION_RECEIVED + demo)
            st.switch_page(components.LOGIN_PAGE)
