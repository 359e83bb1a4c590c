"""The user's account: who they are, and a password change that ends their other logins."""

from __future__ import annotations

import streamlit as st

from core import accounts, auth
from core.storage import ROLE_LABELS_FR
from pages import components, mail_components

settings = components.load_settings()
user = components.require_user()

st.title("Mon compte")
st.write(f"**Nom :** {components.escape_md(user.name)}")
st.write(f"**Adresse électronique :** {components.escape_md(user.email)}")
st.write(f"**Profil :** {ROLE_LABELS_FR[user.role]}")
if not mail_components.address_notice(settings, user, key="account_resend_confirmation"):
    st.write("**Adresse électronique confirmée.**")

st.subheader("Changer de mot de passe")
with st.form("password", clear_on_submit=True):
    current = st.text_input("Mot de passe actuel", type="password")
    new = st.text_input(
        "Nouveau mot de passe",
        type="password",
        help=(
            f"Au moins {accounts.PASSWORD_MIN_CHARS} caractères, pas uniquement des lettres, "
            f"au plus {accounts.PASSWORD_MAX_BYTES} octets."
        ),
    )
    confirmation = st.text_input("Confirmez le nouveau mot de passe", type="password")
    submitted = st.form_submit_button("Changer le mot de passe")

if submitted:
    if new != confirmation:
        st.error("Les deux mots de passe saisis sont différents.")
    else:
        try:
            with components.db() as session:
                auth.change_password(
                    session=session, user=user, current_password=current, new_password=new
                )
                # This tab stays logged in; every other login of the account ends.
                components.start_session(settings, session, user)
        except accounts.AccountError as exc:
            st.error(str(exc))
        else:
            components.flash("Mot de passe changé. Vos autres sessions ont été fermées.")
            st.rerun()
