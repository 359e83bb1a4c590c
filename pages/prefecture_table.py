"""The prefecture's listing: submitted applications of its departments, with its opinions."""

from __future__ import annotations

import streamlit as st

from core import opinions, prefecture, review_listing, review_table
from core.formatting import count_fr
from core.storage import Role
from pages import components

DOSSIER_PAGE = "pages/prefecture_dossier.py"
OPINION_FILTERS = opinions.OPINION_FILTER_OPTIONS
# What the prefecture answers first, then the dossier's details.
SHOWN = [
    "dossier_number",
    "structure_name",
    "opinion",
    "supported_count",
    "posts_count",
    "opinion_at",
    "submitted_at",
    "siret",
    "structure_type",
    "department",
    "call",
    "france_services",
    "qpv",
]

user = components.require_user(Role.PREFECTURE)
st.title("Candidatures de vos départements")
st.caption("Candidatures déposées seulement ; les brouillons ne vous sont pas transmis.")

c1, c2 = st.columns([1, 2])
wanted = c1.multiselect(
    "Avis",
    list(OPINION_FILTERS),
    format_func=OPINION_FILTERS.get,
    placeholder="Tous",
    key="pt_opinions",
)
search = c2.text_input("Recherche (SIRET ou nom)", max_chars=100, key="pt_search")
filters = review_listing.ReviewFilters(opinions=tuple(wanted), search=search)

with components.db() as session:
    total = prefecture.count_applications(session=session, user=user, filters=filters)
    frame = prefecture.list_applications(session=session, user=user, filters=filters, limit=500)

st.markdown(f"**{count_fr(total, 'candidature')}**")
event = st.dataframe(
    components.blank_missing(review_table.to_french(frame[["id", *SHOWN]])),
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="pt_table",
    column_config={
        "Date de dépôt": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
        "Date de l'avis": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
        "N° de candidature": None,
    },
)
selected = event.selection.rows if event is not None else []
if selected:
    row = frame.iloc[selected[0]]
    if st.button(f"Ouvrir le dossier {row['dossier_number']}", type="primary"):
        st.switch_page(DOSSIER_PAGE, query_params={"id": str(int(row["id"]))})
else:
    st.caption("Sélectionnez une ligne pour ouvrir le dossier et donner votre avis.")
if total > len(frame):
    st.caption("Seules les 500 premières lignes sont affichées : affinez la recherche.")
