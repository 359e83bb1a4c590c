"""« Mot de passe oublié ? »: ask for a link (same answer for every address), then use it."""

from __future__ import annotations

import streamlit as st

from core import account_links, accounts, mail_events
from pages import components, mail_components

components.ensure_routed()
settings = components.load_settings()
_RESET_LINK = "_cnfs_reset_link"  # held in the tab, not in the URL, once the page has read it

token = st.query_params.get("jeton")
if token:
    st.session_state[_RESET_LINK] = token
    st.query_params.clear()
token = st.session_state.get(_RESET_LINK)

st.title("Mot de passe oublié")

if token is None:
    st.write(
        "Indiquez l'adresse électronique de votre compte : vous recevrez un lien pour choisir un "
        "nouveau mot de passe. Le lien ne sert qu'une fois et expire au bout d'une heure."
    )
    with st.form("reset_request", clear_on_submit=True):
        email = st.text_input("Adresse électronique du compte", autocomplete="username")
        asked = st.form_submit_button("Recevoir le lien", type="primary")
    if asked:
        if not accounts.EMAIL_RE.match(accounts.normalize_email(email)):
            st.error("Adresse électronique invalide : vérifiez-la (exemple : nom@mairie.fr).")
        else:
            with components.db() as session:
                mail_events.password_reset_requested(
                    session=session, email=email, settings=settings
                )
            mail_components.send_later(settings)
            # The same words whether or not the address has an account.
            st.success(
                "Si un compte existe pour cette adresse, un courriel vient de lui être envoyé "
                "avec un lien valable une heure. Pensez à regarder dans les courriels "
                "indésirables.",
                icon=":material/forward_to_inbox:",
            )
    st.page_link("pages/login.py", label="Retour à la connexion", icon=":material/login:")
    st.stop()

with components.db() as session:
    owner = account_links.peek(
        session=session, token=token, purpose=account_links.Purpose.RESET_PASSWORD
    )
if owner is None:
    st.session_state.pop(_RESET_LINK, None)
    st.error(account_links.INVALID_LINK, icon=":material/link_off:")
    if st.button("Demander un nouveau lien"):
        st.rerun()
    st.stop()

st.write(components.escape_md(f"Nouveau mot de passe pour le compte {owner.email}."))
with st.form("reset_password", clear_on_submit=True):
    new = st.text_input(
        "Nouveau mot de passe",
        type="password",
        autocomplete="new-password",
        help=(
            f"Au moins {accounts.PASSWORD_MIN_CHARS} caractères, pas uniquement des lettres, "
            f"au plus {accounts.PASSWORD_MAX_BYTES} octets."
        ),
    )
    confirmation = st.text_input(
        "Confirmez le nouveau mot de passe", type="password", autocomplete="new-password"
    )
    submitted = st.form_submit_button("Changer le mot de passe", type="primary")

if submitted:
    if new != confirmation:
        st.error("Les deux mots de passe saisis sont différents.")
    else:
        try:
            with components.db() as session:
                account_links.reset_password(session=session, token=token, new_password=new)
        except accounts.AccountError as exc:
            st.error(str(exc))
        else:
            st.session_state.pop(_RESET_LINK, None)
            if components.current_user() is not None:
                components.end_session(settings)
            components.flash(
                "Mot de passe changé. Toutes les connexions à votre compte ont été fermées : "
                "connectez-vous avec le nouveau mot de passe."
            )
            st.switch_page("pages/login.py")
