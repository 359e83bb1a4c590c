"""The prefecture's sheet (annex 2): its department's lists A and B, to download and send back."""

from __future__ import annotations

import streamlit as st

from core import exports, prefecture, review_table
from core.storage import Role
from pages import components, opinion_panel

user = components.require_user(Role.PREFECTURE)
names = review_table.department_options()
calls = {c.id: c for c in prefecture.consulted_calls()}

st.title("Fiche préfet")
st.caption(
    "Liste départementale des structures candidates (circulaire aux préfets, annexe 2), avec "
    "les avis déjà donnés. Remplissez-la dans Excel ou LibreOffice et renvoyez-la ici."
)
c1, c2 = st.columns(2)
code = c1.selectbox(
    "Département", list(user.departments), format_func=lambda c: names.get(c, c), key="ps_dep"
)
call_id = c2.selectbox(
    "Appel", list(calls), format_func=lambda c: calls[c].short_title, key="ps_call"
)

with components.db() as session:
    sheet = exports.prefect_sheet(session=session, user=user, department_code=code, call_id=call_id)

st.subheader(f"{sheet.department} — {sheet.department_name}")
list_a, list_b = exports.prefect_frames(sheet)
for title, frame in (
    ("Liste A : structures publiques", list_a),
    ("Liste B : structures privées", list_b),
):
    st.markdown(f"**{title}** ({len(frame)})")
    if frame.empty:
        st.caption("Aucune structure sur cette liste pour cet appel.")
    else:
        st.dataframe(components.blank_missing(frame), hide_index=True, width="stretch")

opinion_panel.sheet_download(code, call_id)
opinion_panel.import_panel(user, sheet.department, call_id)
