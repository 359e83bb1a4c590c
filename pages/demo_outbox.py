"""Demo only: the mails the portal would have sent, so a confirmation link can be followed."""

from __future__ import annotations

import streamlit as st

from core import outbox
from core.formatting import format_datetime_fr
from pages import components

components.ensure_routed()
settings = components.load_settings()

st.title("Courriels envoyés (démonstration)")
if not settings.demo_mode:
    st.error("Cette page n'existe qu'en mode démonstration.")
    st.stop()
st.write(
    "En démonstration, le portail n'envoie aucun courriel : il les garde ici, les plus récents "
    "en premier. Ouvrez un lien comme le ferait son destinataire."
)

with components.db() as session:
    entries = outbox.recent(session=session)
if not entries:
    st.info("Aucun courriel pour l'instant : créez un compte ou déposez une candidature.")
for entry in entries:
    with st.container(border=True):
        st.markdown(f"**{components.escape_md(entry.subject)}**")
        # Plain text: an address typed by a user is not turned into a mailto link.
        st.text(f"À : {', '.join(entry.recipients)} — {format_datetime_fr(entry.created_at)}")
        st.text(entry.body or "")  # plain text: names typed by users are never markup here
        if entry.attachment_name:
            st.caption(components.escape_md(f"Pièce jointe : {entry.attachment_name}"))
        if entry.action_url:
            st.link_button("Ouvrir le lien", entry.action_url, icon=":material/open_in_new:")
