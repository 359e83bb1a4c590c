"""Étape 3 — Poste coordinateur: asked only when the structure wants one."""

import streamlit as st

from pages.eligibility_panel import StepForm

with StepForm(3) as form:
    if form.call.coordinator is None:
        st.info("Cet appel ne prévoit pas de poste de conseiller numérique coordinateur.")
    if form.yes_no("posts.coordinator_wanted"):
        form.number("posts.coordinator_count")
        form.long_text("posts.coordinator_justification")
        form.long_text("posts.coordinator_scope")
