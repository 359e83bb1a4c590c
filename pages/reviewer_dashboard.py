"""Reviewers' dashboard: counts, totals, territorial agreements and the commission calendar."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import prefecture, review_access
from core.formatting import count_fr, format_date_fr, format_eur, format_int, format_percent_fr
from core.storage import Role
from pages import components, review_cache

user = components.require_user(Role.REVIEWER, Role.ADMIN)
calls = review_access.readable_calls(user)
calls_consulted = {c.id for c in prefecture.consulted_calls() if c.id in calls}

st.title("Tableau de bord des candidatures")
st.info(review_access.scope_summary(user))
st.caption("Consultation seule : les candidatures ne peuvent pas être modifiées depuis cet espace.")
call_id = st.selectbox(
    "Appel",
    [None, *calls],
    format_func=lambda c: "Tous les appels" if c is None else calls[c].short_title,
    key="dashboard_call",
)

consulted = bool(calls_consulted) and (call_id is None or call_id in calls_consulted)
with components.db() as session:
    board, consultation = review_cache.figures(
        session=session, user=user, call_id=call_id, consultation=consulted
    )

if board.funds_posts:
    cols = st.columns(5)
    cols[0].metric("Candidatures", format_int(board.total))
    cols[1].metric("Déposées", format_int(board.submitted))
    cols[2].metric(
        "Postes demandés", format_int(board.posts_submitted), help="Candidatures déposées."
    )
    cols[3].metric(
        "Montant demandé",
        format_eur(board.eur_submitted),
        help=(
            "Postes demandés × montant par poste, hors majoration outre-mer ; appels finançant "
            "des postes seulement (les budgets par territoire sont comptés à part)."
        ),
    )
    cols[4].metric("Postes de coordinateur", format_int(board.coordinators_submitted))
else:
    cols = st.columns(5)
    cols[0].metric("Candidatures", format_int(board.total))
    cols[1].metric("Déposées", format_int(board.submitted))

for territorial in board.territories:
    call = territorial.call
    st.subheader(f"Par territoire — {call.short_title}")
    share = format_eur(territorial.rows[0].share_eur) if territorial.rows else ""
    st.table(
        pd.DataFrame(
            {
                "Territoire": [r.label for r in territorial.rows],
                "Déposés": [format_int(r.submitted) for r in territorial.rows],
                "Brouillons": [format_int(r.drafts) for r in territorial.rows],
                "Recevables": [format_int(r.eligible) for r in territorial.rows],
                "Budget demandé (déposés)": [format_eur(r.budget_eur) for r in territorial.rows],
                "Part du territoire": [
                    "au-dessus de la part" if r.over_share else "dans la part"
                    for r in territorial.rows
                ],
            }
        ).set_index("Territoire")
    )
    st.caption(
        f"Enveloppe de {format_eur(call.envelope.total_eur)} en "
        f"{count_fr(call.envelope.shares, 'part')} de {share} : chaque territoire compare le "
        "budget de ses dossiers déposés à sa part. Brouillons comptés en nombre seulement."
    )
    st.table(
        pd.DataFrame(
            {
                "Objectif": [t.label for t in territorial.targets],
                "Minimum": [
                    ("environ " if t.approximate else "") + format_int(t.minimum)
                    for t in territorial.targets
                ],
                **{
                    r.territory_id or "—": [
                        "—"
                        if not r.submitted
                        else format_int(r.targets[t.id])
                        + (" (sous le minimum)" if r.targets[t.id] < t.minimum else "")
                        for t in territorial.targets
                    ]
                    for r in territorial.rows
                },
            }
        ).set_index("Objectif")
    )
    st.caption(
        "Objectifs des dossiers déposés additionnés par territoire, face au minimum que l'appel "
        "demande à un projet ("
        + " ; ".join(f"{r.territory_id or '—'} : {r.label}" for r in territorial.rows)
        + ")."
    )

if board.agreements:
    st.subheader("Accords territoriaux")
for progress in board.agreements:
    agreement = progress.agreement
    st.markdown(f"**{agreement.title}** ({agreement.department} — {progress.department_name})")
    st.progress(
        min(progress.posts_ratio, 1.0),
        text=(
            f"Postes demandés : {format_int(progress.posts_requested)} sur "
            f"{format_int(agreement.max_posts)} ({format_percent_fr(progress.posts_ratio)})"
        ),
    )
    st.progress(
        min(progress.eur_ratio, 1.0),
        text=(
            f"Montant demandé : {format_eur(progress.eur_requested)} sur "
            f"{format_eur(agreement.max_eur)} ({format_percent_fr(progress.eur_ratio)})"
        ),
    )
    st.caption(
        f"{count_fr(progress.applications, 'candidature déposée', 'candidatures déposées')} ; "
        f"{count_fr(progress.draft_posts, 'poste')} encore en brouillon. "
        f"Source : {agreement.source}."
    )
    if progress.posts_requested > agreement.max_posts or progress.eur_requested > agreement.max_eur:
        st.warning("Les demandes déposées dépassent l'enveloppe de l'accord.")

if consulted:
    st.subheader("Avis des préfets")
if consultation is not None:
    cols = st.columns(3)
    cols[0].metric("Dossiers avec avis", format_int(consultation.answered))
    cols[1].metric("Dossiers sans avis", format_int(consultation.to_answer))
    cols[2].metric("Départements en retard", format_int(len(consultation.late_departments)))
    if consultation.late_departments:
        st.warning(
            "Départements en retard (dossiers sans avis après la date limite de leur liste) : "
            + ", ".join(consultation.late_departments)
            + "."
        )
    st.dataframe(consultation.by_department, hide_index=True, width="stretch")
    st.caption(
        "Par département : dossiers déposés avec et sans avis de la préfecture ; « sans avis en "
        "retard » compte ceux dont la liste a passé sa date limite d'avis."
    )

in_view = list(calls.values()) if call_id is None else [calls[call_id]]
has_commissions = any(c.review is not None for c in in_view)
calendar = board.calendar
if has_commissions:
    st.subheader("Calendrier des commissions")
if not has_commissions:
    pass  # a call without monthly commissions (territorial projects): no calendar to show
elif calendar.empty:
    st.info("Aucune candidature déposée pour l'instant.")
else:
    coming = calendar[calendar["À venir"]]
    if coming.empty:
        st.caption("Aucune commission à venir pour les candidatures déposées.")
    for row in coming.itertuples(index=False):
        st.markdown(
            f"- **{format_date_fr(row[0])}** : {count_fr(row[1], 'dossier')}, "
            f"{count_fr(row[2], 'poste')}"
        )
    chart = calendar.assign(
        **{"Date d'examen": calendar["Date d'examen"].map(lambda d: d.strftime("%d/%m/%Y"))}
    )
    st.bar_chart(
        chart, x="Date d'examen", y="Dossiers", x_label="Date d'examen", y_label="Dossiers"
    )
    st.caption(
        "Chaque candidature est examinée le jour d'examen qui suit son dépôt "
        "(déposée à partir de ce jour : le mois suivant)."
    )

st.subheader("Répartition")
if board.total == 0:
    # Empty tables would show Streamlit's English « empty »; a reviewer of a call not yet open
    # sees this.
    st.caption("Aucune candidature à répartir pour l'instant.")
    st.stop()
tabs = st.tabs(
    ["Par état", "Par éligibilité", "Par type de structure", "Par région", "Par département"]
)
tables = [
    board.by_status,
    board.by_verdict,
    board.by_structure_type,
    board.by_region,
    board.by_department,
]
money = st.column_config.NumberColumn(format="localized")  # grouped digits, as in French
for tab, table in zip(tabs, tables, strict=True):
    with tab:
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={"Montant demandé (déposées, €)": money},
        )
with tabs[3]:
    st.bar_chart(board.by_region, x="Région", y="Déposées", horizontal=True, y_label="")
