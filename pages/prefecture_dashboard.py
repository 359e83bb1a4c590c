"""Prefecture's dashboard: opinions to give and given, per list, with the due dates."""

from __future__ import annotations

import streamlit as st

from core import prefecture, review_table
from core.formatting import count_fr, format_date_fr, format_int
from core.storage import Role
from pages import components

user = components.require_user(Role.PREFECTURE)

st.title("Consultation des préfets")
names = review_table.department_options()
st.caption(
    "Avis sur les candidatures déposées de "
    + ", ".join(names.get(code, code) for code in user.departments)
    + " (circulaire aux préfets, annexe 2). Consultation seule des dossiers : seuls vos avis "
    "s'enregistrent."
)

with components.db() as session:
    board = prefecture.progress(session=session, user=user)

cols = st.columns(3)
cols[0].metric("Avis à donner", format_int(board.to_answer))
cols[1].metric("Avis donnés", format_int(board.answered))
coming = board.by_list[board.by_list["Sans avis"] > 0]["Avis attendus le"].dropna()
cols[2].metric(
    "Prochaine échéance", format_date_fr(min(coming)) if len(coming) else "Aucune en attente"
)
if board.late_departments:
    st.warning(
        "Échéance dépassée : des dossiers restent sans avis alors que la date limite de leur "
        "liste est passée. Donnez votre avis au plus vite ou écrivez à l'ANCT."
    )

st.subheader("Par liste")
if board.by_list.empty:
    st.info("Aucune candidature déposée dans vos départements pour l'instant.")
else:
    for row in board.by_list.itertuples(index=False):
        due = row[3]
        st.markdown(
            f"- **{row[2]}** — {row[1]}, {row[0]} : "
            f"{count_fr(row[4], 'dossier')}, {count_fr(row[5], 'avec avis', 'avec avis')}, "
            f"**{count_fr(row[6], 'sans avis', 'sans avis')}** ; "
            + (
                f"avis attendus au plus tard le {format_date_fr(due)}."
                if due
                else "échéance à fixer."
            )
        )
    st.caption(
        f"{count_fr(int(board.by_list['Dossiers'].sum()), 'dossier déposé', 'dossiers déposés')}"
        " au total. Donnez votre avis depuis la page « Candidatures » (dossier par dossier) ou "
        "en renvoyant votre fiche remplie depuis la page « Fiche préfet »."
    )
