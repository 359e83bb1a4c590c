"""The prefect's sheet (annex 2 of the circular): lists A and B of a department, as XLSX."""

from __future__ import annotations

import streamlit as st

from core import exports, prefecture, review_table
from core.storage import Role
from pages import components, opinion_panel

user = components.require_user(Role.REVIEWER, Role.ADMIN)
# The sheet covers consulted calls only; the call filter offers those the account reads.
calls = {c.id: c for c in prefecture.consulted_calls() if user.reads_call(c.id)}
departments = review_table.department_options()

st.title("Fiche préfet")
st.caption(
    "Liste départementale des structures candidates à transmettre au préfet (circulaire aux "
    "préfets, annexe 2) : liste A pour les structures publiques, liste B pour les structures "
    "privées. Les colonnes « Avis positif », « Nombre de conseillers numériques » et « Examen "
    "complémentaire » reçoivent l'avis du préfet ; la fiche reprend les avis déjà donnés."
)
if not calls:
    st.info(
        "Aucun des appels que vous instruisez ne passe par l'avis des préfets : pas de fiche "
        "préfet pour votre compte."
    )
    st.stop()
c1, c2 = st.columns(2)
code = c1.selectbox(
    "Département", list(departments), format_func=departments.get, index=None, key="p_department"
)
call_id = c2.selectbox(
    "Appel",
    [None, *calls],
    format_func=lambda c: "Tous les appels" if c is None else calls[c].short_title,
    key="p_call",
)
if code is None:
    st.info("Choisissez un département.")
    st.stop()

with components.db() as session:
    sheet = exports.prefect_sheet(session=session, user=user, department_code=code, call_id=call_id)

st.subheader(f"{sheet.department} — {sheet.department_name}")
st.markdown(f"Nombre de structures candidates : **{sheet.candidates}**")
for line in sheet.agreements:
    st.info(f"Accord territorial — {line}")


list_a, list_b = exports.prefect_frames(sheet)
for title, frame in (
    ("Liste A : structures publiques", list_a),
    ("Liste B : structures privées", list_b),
):
    st.markdown(f"**{title}** ({len(frame)})")
    if frame.empty:  # an empty grid reads « empty », in English, on its canvas
        st.caption("Aucune structure candidate sur cette liste.")
    else:
        st.dataframe(components.blank_missing(frame), hide_index=True, width="stretch")

opinion_panel.sheet_download(code, call_id)
if user.role == Role.ADMIN:
    # An ANCT administrator may send back a sheet a prefecture filled, on its behalf.
    opinion_panel.import_panel(user, sheet.department, call_id)
