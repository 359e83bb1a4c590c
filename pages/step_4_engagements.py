"""Étape 4 — Engagements: every commitment of the call, with its source; all are required."""

import streamlit as st

from pages.eligibility_panel import StepForm, escape_md

with StepForm(4) as form:
    st.write(
        "La structure d'accueil s'engage sur chacun des points suivants. Tous sont nécessaires "
        "pour déposer la candidature."
    )
    for commitment in form.call.commitments:
        form.checkbox(f"commitments.{commitment.id}", label=escape_md(commitment.text))
        st.caption(escape_md(f"Source : {commitment.source}"))
