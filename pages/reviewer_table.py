"""Applications list for reviewers: filters and paging in SQL, exports of the filtered list."""

from __future__ import annotations

import streamlit as st

from core import (
    answer_export,
    clock,
    exports,
    opinions,
    review_access,
    review_listing,
    review_table,
    review_view,
)
from core.calls import Call
from core.downloads import Producer
from core.formatting import count_fr, format_int
from core.storage import APPLICATION_STATUS_LABELS_FR, Role, User
from pages import components

DOSSIER_PAGE = "pages/reviewer_dossier.py"
ANY = "Tous"
YES_NO = {ANY: None, "Oui": True, "Non": False}

user = components.require_user(Role.REVIEWER, Role.ADMIN)
departments = review_table.department_options()
types = review_table.structure_type_options()

st.title("Candidatures")
st.caption("Consultation seule. Filtrez, triez, ouvrez un dossier ou exportez la liste filtrée.")

ALL = "Tous"  # an empty filter keeps every row
# The filters stay as set while the reviewer reads a dossier and comes back.
KEPT = "session"


def listing(user: User) -> None:
    """Filters, table and exports: a fragment, so that a filter reruns only this part."""
    st.caption(review_access.scope_summary(user))  # the calls of the account as checked now
    filters, in_view = _filters(user)
    total = _table(user, filters, in_view)
    _exports(filters, total)


def _filters(user: User) -> tuple[review_listing.ReviewFilters, list[Call]]:
    """The filters the reviewer chose, and the calls they cover."""
    calls = review_access.readable_calls(user)  # the call filter offers only the account's calls
    with st.expander("Filtres", expanded=True):
        c1, c2, c3 = st.columns(3)
        # "" rather than None for every call: a kept None shows as no choice at all.
        call_id = (
            c1.selectbox(
                "Appel",
                ["", *calls],
                format_func=lambda c: calls[c].short_title if c else "Tous les appels",
                key="f_call",
                persist_state=KEPT,
            )
            or None
        )
        regions = c2.multiselect(
            "Région",
            review_table.all_regions(),
            key="f_regions",
            persist_state=KEPT,
            placeholder=ALL,
        )
        deps = c3.multiselect(
            "Département",
            list(departments),
            format_func=departments.get,
            key="f_departments",
            persist_state=KEPT,
            placeholder=ALL,
        )
        c1, c2, c3, c4 = st.columns(4)
        statuses = c1.multiselect(
            "État",
            list(APPLICATION_STATUS_LABELS_FR),
            format_func=APPLICATION_STATUS_LABELS_FR.get,
            key="f_statuses",
            persist_state=KEPT,
            placeholder=ALL,
        )
        verdicts = c2.multiselect(
            "Éligibilité",
            list(review_table.VERDICT_OPTIONS),
            format_func=review_table.VERDICT_OPTIONS.get,
            key="f_verdicts",
            persist_state=KEPT,
            placeholder=ALL,
        )
        structure_types = c3.multiselect(
            "Type de structure",
            list(types),
            format_func=types.get,
            key="f_types",
            persist_state=KEPT,
            placeholder=ALL,
        )
        # Only the filters that mean something for the calls in view (no QPV for the 93 AMI).
        in_view = review_access.calls_in_view(user, call_id)
        offered = review_table.offered_filters(in_view)
        opinion_filter = ()
        if "opinions" in offered:
            opinion_filter = c4.multiselect(
                "Avis du préfet",
                list(opinions.OPINION_FILTER_OPTIONS),
                format_func=opinions.OPINION_FILTER_OPTIONS.get,
                key="f_opinions",
                persist_state=KEPT,
                placeholder=ALL,
            )
        free = iter(st.columns(4))
        answers = {}
        for key, label, widget_key in (
            ("coordinator", "Poste de coordinateur demandé", "f_coord"),
            ("france_services", "Portage de France Services", "f_fs"),
            ("qpv", "QPV", "f_qpv"),
        ):
            if key in offered:
                answers[key] = YES_NO[
                    next(free).selectbox(label, list(YES_NO), key=widget_key, persist_state=KEPT)
                ]
        search = next(free).text_input(
            "Recherche (SIRET ou nom)",
            key="f_search",
            persist_state=KEPT,
            max_chars=100,
            placeholder="ex. Saint-Étienne",
        )

    filters = review_listing.ReviewFilters(
        call_id=call_id,
        departments=tuple(deps),
        regions=tuple(regions),
        statuses=tuple(statuses),
        verdicts=tuple(verdicts),
        structure_types=tuple(structure_types),
        coordinator=answers.get("coordinator"),
        france_services=answers.get("france_services"),
        qpv=answers.get("qpv"),
        search=search,
        opinions=tuple(opinion_filter),
    )
    return filters, in_view


def _table(user: User, filters: review_listing.ReviewFilters, in_view: list[Call]) -> int:
    """Sort, paging and one page of the listing; how many applications match."""
    c1, c2, c3 = st.columns([2, 1, 1])
    sort = c1.selectbox(
        "Trier par",
        list(review_listing.SORT_LABELS_FR),
        format_func=review_listing.SORT_LABELS_FR.get,
        key="sort",
    )
    descending = c2.toggle("Ordre décroissant", value=True, key="descending")
    page_size = c3.selectbox("Lignes par page", review_listing.PAGE_SIZES, index=1, key="page_size")

    # A new filter or sort starts again from the first page.
    signature = (filters, sort, descending, page_size)
    if st.session_state.get("_review_signature") != signature:
        st.session_state["_review_signature"] = signature
        st.session_state["page"] = 1

    with components.db() as session:
        total = review_listing.count_applications(session=session, user=user, filters=filters)
        pages = max(1, -(-total // page_size))
        if st.session_state.get("page", 1) > pages:
            st.session_state["page"] = pages
        page = st.number_input("Page", min_value=1, max_value=pages, step=1, key="page")
        frame = review_listing.list_applications(
            session=session,
            user=user,
            filters=filters,
            sort=sort,
            descending=descending,
            offset=(int(page) - 1) * page_size,
            limit=page_size,
        )

    first = (int(page) - 1) * page_size + 1 if total else 0
    st.markdown(
        f"**{count_fr(total, 'candidature')}** "
        f"{'correspond' if total < 2 else 'correspondent'} aux filtres — "
        f"lignes {format_int(first)} à {format_int(first + len(frame) - 1 if total else 0)}, "
        f"page {int(page)} sur {pages}."
    )
    all_columns = st.toggle(
        "Afficher toutes les colonnes",
        key="all_columns",
        help="Par défaut : dossier, structure, département, état, éligibilité, postes et date.",
    )
    # The dossier page reads it for « précédent / suivant » (widget keys do not survive a page).
    st.session_state[review_view.LISTING_STATE] = (filters, sort, descending)
    headers = review_table.listing_headers(in_view)  # the same calls as the filters
    shown = review_view.listing_view(frame, all_columns=all_columns, headers=headers)
    labels = review_view.column_labels(headers)
    # Pixels: the compact view fits 1280 px without scrolling sideways. Rows taller than 4 rem
    # let Streamlit wrap a long structure name instead of cutting it.
    widths = {"dossier": 130, "structure_name": 235, "department": 95, "status": 75}
    widths |= {"verdict": 95, "posts_count": 60, "submitted_at": 130 if all_columns else 90}
    right = set(review_view.NUMBER_COLUMNS)
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="table",
        row_height=66,
        column_config={
            labels[key]: st.column_config.TextColumn(
                width=widths.get(key), alignment="right" if key in right else None
            )
            for key in (review_view.listing_keys(all_columns))
        },
    )
    selected = event.selection.rows if event is not None else []
    if selected:
        # One click on a row opens its dossier.
        application_id = int(frame.iloc[selected[0]]["id"])
        st.switch_page(DOSSIER_PAGE, query_params={"id": str(application_id)})
    st.caption(
        "Cliquez sur la case d'une ligne pour ouvrir son dossier ; au clavier, choisissez la "
        "ligne avec les flèches puis appuyez sur Maj+Espace."
    )
    return total


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _exports(filters: review_listing.ReviewFilters, total: int) -> None:
    st.subheader("Exporter la liste filtrée")
    st.caption(
        f"{count_fr(total, 'ligne')}, toutes pages confondues. Le CSV s'ouvre directement dans "
        "Excel (séparateur « ; », accents conservés)."
    )
    stamp = clock.today().isoformat()
    downloads = (  # (format, label, file name, type, help)
        ("csv", "Télécharger en CSV", f"candidatures-{stamp}.csv", "text/csv", None),
        ("xlsx", "Télécharger en XLSX", f"candidatures-{stamp}.xlsx", XLSX_MIME, None),
        (
            "answers",
            "Toutes les réponses (CSV)",
            f"reponses-{stamp}.csv",
            "text/csv",
            "Une colonne par question du questionnaire, dans les mots du récapitulatif.",
        ),
    )
    for column, (fmt, label, file_name, mime, tip) in zip(
        st.columns(len(downloads)), downloads, strict=True
    ):
        with column:
            components.download_button(
                label,
                _export(fmt, filters),
                file_name=file_name,
                mime=mime,
                disabled=total == 0,
                icon=":material/download:",
                help=tip,
            )


def _export(fmt: str, filters: review_listing.ReviewFilters) -> Producer:
    # Runs when the button is clicked, not on every rerun: the XLSX of 35,000 rows takes seconds.
    def produce(session, checked_user) -> bytes:
        if fmt == "answers":
            content, _ = answer_export.answers_csv(
                session=session, user=checked_user, filters=filters
            )
        else:
            content, _ = exports.export_listing(
                session=session, user=checked_user, filters=filters, fmt=fmt
            )
        return content

    return produce


components.checked_fragment(listing, user, Role.REVIEWER, Role.ADMIN)
