"""Étape 1 — Structure: identity, type, place, contact and priority programmes."""

import streamlit as st

from core import journey, reference, rules
from core.formatting import ESS_STATUS_LABELS_FR, STRUCTURE_TYPE_LABELS_FR
from pages.eligibility_panel import StepForm

departments = {d.code: f"{d.code} — {d.name}" for d in reference.departments()}

with StepForm(1) as form:
    st.subheader("Identification", anchor=False)
    form.text("structure.siret", placeholder="Ex. : 219 300 662 00018")
    form.text("structure.name")
    structure_type = form.choice(
        "structure.structure_type",
        journey.structure_type_choices(form.call),
        STRUCTURE_TYPE_LABELS_FR.__getitem__,
    )
    form.text("structure.legal_category", placeholder="Ex. : 7210")
    if rules.asks_ess(form.call, structure_type):
        form.choice(
            "structure.ess", journey.ess_choices(), ESS_STATUS_LABELS_FR.__getitem__, radio=True
        )

    st.subheader("Territoire", anchor=False)
    form.choice("structure.department", list(departments), departments.__getitem__)
    form.text("structure.commune")
    form.text("structure.address")
    form.yes_no("structure.france_services")
    form.yes_no("structure.qpv")
    form.multi("structure.priority_programmes", journey.programme_choices(form.call))

    st.subheader("Personne à contacter", anchor=False)
    form.text("contact.name")
    form.text("contact.role", placeholder="Ex. : secrétaire de mairie")
    form.text("contact.email", placeholder="Ex. : prenom.nom@mairie.fr")
    form.text("contact.phone", placeholder="Ex. : 01 23 45 67 89")
