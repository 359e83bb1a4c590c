"""Étape 4 — Engagements: every commitment of the call, with its source; all are required."""

import streamlit as st

from pages.eligibility_panel import StepForm, escape_md

with StepForm(4) as form:
    st.write(
        "La structure d'accueil s'engage sur chacun des points suivants. Tous sont nécessaires "
        "pour déposer la candidature."
    )
    for commitment in form.call.commitments:
        # The call's own text (trusted data), wrapped in full: every word of a commitment must
        # be readable before ticking it.
        form.checkbox(f"commitments.{commitment.id}", label=commitment.text, help=None, wrap=True)
        st.caption(escape_md(f"Source : {commitment.source}"))
