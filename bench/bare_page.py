"""The floor for bench/load.py: a Streamlit page with a few widgets and no database."""

import streamlit as st

from core.server_sockets import set_nodelay_on_server_sockets

# The same server as the application's: its messages leave at once (core.server_sockets).
st.cache_resource(set_nodelay_on_server_sockets)()

st.set_page_config(page_title="Page témoin", layout="wide")
st.title("Page témoin")
name = st.text_input("Nom de la structure", key="name")
kind = st.selectbox("Type", ["Commune", "EPCI", "Département"], key="kind")
count = st.number_input("Nombre de postes", min_value=0, value=1, step=1, key="count")
answer = st.radio("France Services", ["Oui", "Non"], horizontal=True, key="fs")
st.write(f"{name} — {kind} — {count} poste(s) — {answer}")
