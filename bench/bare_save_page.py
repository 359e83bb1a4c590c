"""A second floor for bench/answer_cost.py: the few-widget page (bench/bare_page.py) that also
saves each answer to PostgreSQL, one statement and a commit, as durably as the application.

What the application costs above it is its own work (login check, audit, verdict, drawing a
step); what this page costs above the bare page is the price of saving every answer at once.
"""

import os
import uuid

import streamlit as st
from sqlalchemy import Engine, text

from core.db import get_engine
from core.server_sockets import set_nodelay_on_server_sockets

st.cache_resource(set_nodelay_on_server_sockets)()


@st.cache_resource
def floor_engine(url: str) -> Engine:
    """The application's own engine and pool (core.db), and this page's table, made once."""
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_floor "
                "(tab text PRIMARY KEY, answer text NOT NULL, version integer NOT NULL)"
            )
        )
    return engine


def save() -> None:
    with floor_engine(os.environ["CNFS_DATABASE_URL"]).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO bench_floor (tab, answer, version) VALUES (:tab, :answer, 1) "
                "ON CONFLICT (tab) DO UPDATE SET answer = EXCLUDED.answer, "
                "version = bench_floor.version + 1"
            ),
            {"tab": st.session_state.tab, "answer": st.session_state.name},
        )


floor_engine(os.environ["CNFS_DATABASE_URL"])  # on the first visit, not in the first answer
st.session_state.setdefault("tab", uuid.uuid4().hex)
st.set_page_config(page_title="Page témoin avec enregistrement", layout="wide")
st.title("Page témoin avec enregistrement")
name = st.text_input("Nom de la structure", key="name", on_change=save)
kind = st.selectbox("Type", ["Commune", "EPCI", "Département"], key="kind")
count = st.number_input("Nombre de postes", min_value=0, value=1, step=1, key="count")
answer = st.radio("France Services", ["Oui", "Non"], horizontal=True, key="fs")
st.write(f"{name} — {kind} — {count} poste(s) — {answer}")
