"""Which application is open and how to move between its steps (URLs kept across reloads)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages import components

HOME_PAGE = "pages/applicant_home.py"
# One page file per step number: their URLs are bookmarked and linked, so they stay.
STEP_PAGES = {
    1: "pages/step_1_structure.py",
    2: "pages/step_2_postes.py",
    3: "pages/step_3_coordinateur.py",
    4: "pages/step_4_engagements.py",
    5: "pages/step_5_recapitulatif.py",
}
DOSSIER_PARAM = "dossier"
NEXT_ICON = ":material/arrow_forward:"
DOSSIER_KEY = "_cnfs_dossier"
CALL_OF_DOSSIER_KEY = "_cnfs_dossier_calls"


def current_dossier() -> int | None:
    """The open application: ?dossier= in the URL (so a reload keeps it), else this tab's."""
    raw = st.query_params.get(DOSSIER_PARAM)
    if raw is not None:
        dossier = components.parse_id(raw)
        if dossier is not None:
            st.session_state[DOSSIER_KEY] = dossier
            return dossier
        del st.query_params[DOSSIER_PARAM]
    dossier = st.session_state.get(DOSSIER_KEY)
    if dossier is not None:
        st.query_params[DOSSIER_PARAM] = str(dossier)
    return dossier


def dossier_call_id(user: Any) -> str | None:
    """The call of the dossier in view (URL, else this tab's), read without changing the URL;
    None when there is none or it is not this user's."""
    raw = st.query_params.get(DOSSIER_PARAM)
    dossier = components.parse_id(raw) if raw is not None else st.session_state.get(DOSSIER_KEY)
    if dossier is None:
        return None
    known = st.session_state.setdefault(CALL_OF_DOSSIER_KEY, {})
    if dossier not in known:
        from core import storage

        try:
            with components.db() as session:
                record = storage.get_application(session=session, user=user, application_id=dossier)
        except storage.NotFound:
            return None
        known[dossier] = record.call_id  # a dossier never changes call
    return known[dossier]


def forget_dossier() -> None:
    st.session_state.pop(DOSSIER_KEY, None)


def open_dossier(application_id: int, step: int) -> None:
    """Make this application the current one and go to one of its steps."""
    st.session_state[DOSSIER_KEY] = application_id
    st.switch_page(STEP_PAGES[step], query_params={DOSSIER_PARAM: str(application_id)})


def step_link(step: int, application_id: int, *, label: str, **kwargs: Any) -> None:
    st.page_link(
        STEP_PAGES[step],
        label=label,
        query_params={DOSSIER_PARAM: str(application_id)},
        **kwargs,
    )
