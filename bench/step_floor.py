"""The second floor for bench/load.py: step 1 of a complete draft as Streamlit draws it, with
nothing behind it (no database, no login, no rules, no questionnaire).

Element for element the page the application sends when step 1 is drawn in full (43 deltas,
the same types in the same containers, and the same 6 framing messages with st.navigation), as
a field change redrew it before each question became a fragment of its own: this page's time
over the few-widget page's (bench/bare_page.py) is what drawing a 14-question step costs in
Streamlit on every change. The application now redraws only the question changed (and the
panel when the verdict moves), which is why it can come closer to the few-widget floor.
"""

import streamlit as st

from core.server_sockets import set_nodelay_on_server_sockets

st.cache_resource(set_nodelay_on_server_sockets)()
st.set_page_config(page_title="Page témoin, étape 1", layout="wide")

STEPS = ["Structure", "Postes", "Coordinateur", "Engagements", "Récapitulatif"]


def step_page() -> None:
    main, side = st.columns([3, 2], gap="large")
    with side:
        st.html("<span hidden></span>")
    with main:
        st.subheader("Structure", anchor=False)
        st.text_input("N° SIRET", value="21930066500018", key="siret")
        st.text_input("Nom de la structure", key="name")
        st.selectbox("Type de structure", ["Commune", "EPCI", "Département"], key="type")
        st.text_input("Catégorie juridique", value="7210", key="legal")
        st.subheader("Adresse", anchor=False)
        st.selectbox("Département du siège", ["93", "94", "95"], key="department")
        st.text_input("Commune", value="Bondy", key="commune")
        st.text_input("Adresse", value="Esplanade Claude-Fuzier", key="address")
        st.radio("Portage d'une France Services", ["Oui", "Non"], horizontal=True, key="fs")
        st.radio("Quartier prioritaire", ["Oui", "Non"], horizontal=True, key="qpv")
        st.multiselect("Programmes prioritaires", ["Action cœur de ville", "PVD"], key="prog")
        st.subheader("Contact", anchor=False)
        st.text_input("Nom du contact", value="Lou Bernard", key="contact")
        st.text_input("Fonction", value="DGS", key="role")
        st.text_input("Adresse électronique", value="dgs@ville-bondy.fr", key="email")
        st.text_input("Téléphone", value="01 48 50 00 00", key="phone")
        st.divider()
        with st.container(horizontal=True, horizontal_alignment="right"):
            st.page_link(page, label="Étape suivante : Postes", icon=":material/arrow_forward:")
        st.caption("Chaque réponse est enregistrée dès que vous la saisissez.")
    with side:
        st.subheader("Éligibilité", anchor=False)
        st.markdown(":green-badge[Éligible]\n\nToutes les conditions sont remplies.")
        with st.expander("Pour information"):
            st.markdown("Commune de plus de 3 500 habitants.")


page = st.Page(step_page, title="1. Structure", default=True)
current = st.navigation([page])
st.html("<span hidden></span>")
st.container(horizontal=True)  # the login gate's and the messages' slots of streamlit_app.py
st.container(horizontal=True)
st.sidebar.caption("Mode démonstration : données fictives.")
st.sidebar.button("Se déconnecter", key="logout")
st.title("Étape 1 — Structure", anchor=False)
st.caption("Candidature n° 1 — Commune de Bondy — CNFS — collectivités (vague 1)")
with st.container(horizontal=True, horizontal_alignment="distribute", gap="small"):
    for number, short in enumerate(STEPS, 1):
        st.page_link(page, label=f"{number}. {short}", icon=":material/check_circle:")
st.container(horizontal=True)  # the notices' slot
current.run()
