"""Étape 2 — Postes: how many, for how long, from when, where."""

import streamlit as st

from pages.eligibility_panel import StepForm

with StepForm(2) as form:
    st.subheader("Postes demandés", anchor=False)
    form.number("posts.count")
    form.choice(
        "posts.contract_months", form.call.contract.months, lambda m: f"{m} mois", radio=True
    )
    form.date("posts.start_date")
    form.yes_no("posts.salary_top_up")
    form.long_text("posts.places_of_activity")
    form.yes_no("posts.candidate_identified")

    st.subheader("Postes existants", anchor=False)
    if form.yes_no("posts.consolidates_existing_posts"):
        form.long_text("posts.consolidation_details")
