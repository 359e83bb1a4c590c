"""Shared pieces of the applicant's steps: the current dossier, form widgets bound to the draft
and the live eligibility panel.

The draft stored by core is the only state: widgets are filled from it and every change is saved
at once (core.journey.update_draft), so leaving a step, reloading or coming back tomorrow loses
nothing. Widget keys only carry what the browser sent since the last save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from core import clock, journey
from core.calls import Call, get_call
from core.fields import COMMITMENTS_STEP, STEP_SHORT_TITLES, STEP_TITLES, field_info
from core.formatting import format_bool_fr, format_eur
from core.models import STATUS_LABELS_FR, Effect, Reason, Status, Verdict
from core.storage import (
    DuplicateApplication,
    NotFound,
    Role,
    StaleVersion,
    User,
)
from pages import components
from pages.components import escape_md

HOME_PAGE = "pages/applicant_home.py"
STEP_PAGES = {
    1: "pages/step_1_structure.py",
    2: "pages/step_2_postes.py",
    3: "pages/step_3_coordinateur.py",
    4: "pages/step_4_engagements.py",
    5: "pages/step_5_recapitulatif.py",
}
DOSSIER_PARAM = "dossier"
NEXT_ICON = ":material/arrow_forward:"
_DOSSIER = "_cnfs_dossier"

STATUS_COLORS = {
    Status.ELIGIBLE: "green",
    Status.TO_EXAMINE: "orange",
    Status.INCOMPLETE: "blue",
    Status.INELIGIBLE: "red",
}
STATUS_ICONS = {
    Status.ELIGIBLE: ":material/check_circle:",
    Status.TO_EXAMINE: ":material/search:",
    Status.INCOMPLETE: ":material/edit_note:",
    Status.INELIGIBLE: ":material/block:",
}
STATUS_EXPLANATIONS = {
    Status.ELIGIBLE: "Votre candidature est complète et éligible : vous pouvez la déposer.",
    Status.TO_EXAMINE: (
        "Votre candidature est complète ; certains points feront l'objet d'un examen particulier. "
        "Vous pouvez la déposer."
    ),
    Status.INCOMPLETE: "Il reste des réponses à donner ou à corriger avant de pouvoir déposer.",
    Status.INELIGIBLE: "En l'état, cette candidature ne peut pas être déposée à cet appel.",
}


def sources_text(sources: Sequence[str]) -> str:
    return "Source : " + " ; ".join(sources) if sources else ""


# --- the current dossier ------------------------------------------------------------------


def current_dossier() -> int | None:
    """The open application: ?dossier= in the URL (so a reload keeps it), else this tab's."""
    raw = st.query_params.get(DOSSIER_PARAM)
    if raw is not None:
        dossier = components.parse_id(raw)
        if dossier is not None:
            st.session_state[_DOSSIER] = dossier
            return dossier
        del st.query_params[DOSSIER_PARAM]
    dossier = st.session_state.get(_DOSSIER)
    if dossier is not None:
        st.query_params[DOSSIER_PARAM] = str(dossier)
    return dossier


def open_dossier(application_id: int, step: int) -> None:
    """Make this application the current one and go to one of its steps."""
    st.session_state[_DOSSIER] = application_id
    st.switch_page(STEP_PAGES[step], query_params={DOSSIER_PARAM: str(application_id)})


def step_link(step: int, application_id: int, label: str | None = None, **kwargs: Any) -> None:
    st.page_link(
        STEP_PAGES[step],
        label=label or f"Étape {step} — {STEP_TITLES[step]}",
        query_params={DOSSIER_PARAM: str(application_id)},
        **kwargs,
    )


# --- the eligibility panel ----------------------------------------------------------------


def reason_box(reason: Reason) -> None:
    """One reason, coloured by what it does, with its sources."""
    body = escape_md(reason.message)
    if reason.sources:
        body += "  \n*" + escape_md(sources_text(reason.sources)) + "*"
    if reason.effect in (Effect.INELIGIBLE, Effect.INCOMPLETE):
        st.error(body, icon=":material/error:")
    elif reason.effect == Effect.TO_EXAMINE:
        st.warning(body, icon=":material/search:")
    else:
        st.info(body, icon=":material/info:")


def status_badge(status: Status) -> None:
    st.badge(STATUS_LABELS_FR[status], icon=STATUS_ICONS[status], color=STATUS_COLORS[status])


def eligibility_panel(
    application_id: int,
    verdict: Verdict,
    call: Call,
    *,
    submitted: bool = False,
    current_step: int | None = None,
) -> None:
    """Status, reasons with sources, what is missing with a link to the step that asks it."""
    st.subheader("Éligibilité", anchor=False)
    status_badge(verdict.status)
    if submitted:
        st.caption("Verdict établi au dépôt du dossier.")
    else:
        st.write(STATUS_EXPLANATIONS[verdict.status])
    if verdict.subsidy_eur is not None:
        st.markdown(f"Subvention estimée : **{escape_md(format_eur(verdict.subsidy_eur))}**")
        if verdict.subsidy_note:
            st.caption(escape_md(verdict.subsidy_note))
    for reason in verdict.reasons:
        if reason.effect == Effect.INELIGIBLE:
            reason_box(reason)
    _to_complete(application_id, verdict, call, linked=not submitted, current_step=current_step)
    for reason in verdict.reasons:
        if reason.effect == Effect.TO_EXAMINE:
            reason_box(reason)
    infos = [r for r in verdict.reasons if r.effect == Effect.INFO]
    if infos:
        with st.expander("Pour information"):
            for reason in infos:
                st.markdown(escape_md(reason.message))
                if reason.sources:
                    st.caption(escape_md(sources_text(reason.sources)))


def _to_complete(
    application_id: int, verdict: Verdict, call: Call, *, linked: bool, current_step: int | None
) -> None:
    by_step: dict[int, list[str]] = {}
    for problem in journey.problems(verdict, call):
        if problem.effect == Effect.INELIGIBLE:
            continue  # already shown above, with its sources
        by_step.setdefault(problem.step, []).append(problem.label)
    if not by_step:
        return
    st.markdown("**À compléter ou corriger**")
    for step, labels in sorted(by_step.items()):
        if step == COMMITMENTS_STEP:
            count = len(labels)
            summary = f"{count} engagement{'s' if count > 1 else ''} à accepter"
        else:
            summary = ", ".join(dict.fromkeys(labels))
        st.markdown(escape_md(f"Étape {step} — {STEP_TITLES[step]} : {summary}."))
        if linked and step != current_step:
            step_link(step, application_id, label=f"Aller à l'étape {step}", icon=NEXT_ICON)


# --- the form of one step -----------------------------------------------------------------


def _text_in(value: Any) -> str:
    return "" if value is None else str(value)


def _text_out(value: Any) -> str | None:
    return (value or "").strip() or None


def _same(value: Any) -> Any:
    return value


class StepForm:
    """One step of the current application: header, widgets bound to the draft, panel.

    Used as `with StepForm(1) as form:`; the widgets go to the main column, the eligibility
    panel to the right column once the step has saved its changes.
    """

    def __init__(self, step: int) -> None:
        self.step = step
        self.user: User = components.require_user(Role.APPLICANT)
        self.today = clock.today()
        application_id = current_dossier()
        if application_id is None:
            st.title(f"Étape {step} — {STEP_TITLES[step]}")
            st.info("Choisissez d'abord une candidature, ou créez-en une, depuis l'accueil.")
            st.page_link(HOME_PAGE, label="Aller à l'accueil", icon=":material/home:")
            st.stop()
        try:
            with components.db() as session:
                self.record, self.verdict = journey.load(
                    session=session, user=self.user, application_id=application_id, today=self.today
                )
        except NotFound as exc:
            st.session_state.pop(_DOSSIER, None)
            st.error(str(exc))
            st.page_link(HOME_PAGE, label="Retour à l'accueil", icon=":material/home:")
            st.stop()
        self.call: Call = get_call(self.record.call_id)
        self.read_only = self.record.status != "draft"
        self._version_key = f"_cnfs_v:{self.record.id}"
        self._base_key = f"_cnfs_base:{self.record.id}"
        self._notice_key = f"_cnfs_notice:{self.record.id}"
        synced = st.session_state.get(self._version_key)
        # Another tab (or a refused save) moved the stored version under this tab's widgets.
        self.stale = synced is not None and synced != self.record.version and not self.read_only
        self.base = st.session_state.get(self._base_key) if self.stale else self.record.data
        self.lost: list[str] = []
        self.errors: dict[str, tuple[str, int | None]] = {}
        self._remember()
        self._header()
        self.notice = st.container()
        self.main, self.side = st.columns([3, 2], gap="large")

    # context manager: widgets in the main column, panel afterwards
    def __enter__(self) -> StepForm:
        self.main.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self.main.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return False
        with self.main:
            self._footer()
        with self.side:
            eligibility_panel(
                self.record.id,
                self.verdict,
                self.call,
                submitted=self.read_only,
                current_step=self.step,
            )
        self._notices()
        return False

    @property
    def data(self):
        return self.record.data

    def _remember(self) -> None:
        st.session_state[self._version_key] = self.record.version
        st.session_state[self._base_key] = self.record.data

    def _header(self) -> None:
        st.title(f"Étape {self.step} — {STEP_TITLES[self.step]}", anchor=False)
        name = self.record.data.structure.name or "structure non renseignée"
        st.caption(escape_md(f"Candidature n° {self.record.id} — {name} — {self.call.short_title}"))
        missing = journey.problems(self.verdict, self.call)
        steps_with_problems = {p.step for p in missing}
        columns = st.columns(len(STEP_PAGES))
        for column, step in zip(columns, STEP_PAGES, strict=True):
            done = step not in steps_with_problems and step != journey.SUBMIT_STEP
            icon = ":material/check_circle:" if done else ":material/radio_button_unchecked:"
            if step == self.step:
                icon = ":material/arrow_right:"
            with column:
                step_link(
                    step,
                    self.record.id,
                    label=f"{step}. {STEP_SHORT_TITLES[step]}",
                    icon=icon,
                    disabled=step == self.step,
                )
        if self.read_only and self.record.submission is not None:
            st.info(
                f"Candidature déposée (dossier {self.record.submission.dossier_number}) : elle "
                "n'est plus modifiable.",
                icon=":material/lock:",
            )

    def _footer(self) -> None:
        st.divider()
        left, right = st.columns(2)
        if self.step > 1:
            with left:
                step_link(
                    self.step - 1,
                    self.record.id,
                    label=f"Étape précédente : {STEP_TITLES[self.step - 1]}",
                    icon=":material/arrow_back:",
                )
        if self.step < len(STEP_PAGES):
            with right:
                step_link(
                    self.step + 1,
                    self.record.id,
                    label=f"Étape suivante : {STEP_TITLES[self.step + 1]}",
                    icon=":material/arrow_forward:",
                )
        if not self.read_only and self.step != journey.SUBMIT_STEP:
            st.caption("Chaque réponse est enregistrée dès que vous la saisissez.")
            components.autosave_typing()  # makes that sentence true before Enter or Tab

    def _notices(self) -> None:
        pending = st.session_state.pop(self._notice_key, None)
        with self.notice:
            if self.lost:
                labels = ", ".join(f"« {label} »" for label in self.lost)
                st.warning(
                    escape_md(
                        (pending or str(StaleVersion()))
                        + f" Votre saisie pour {labels} n'a pas été enregistrée : la version "
                        "enregistrée est affichée ci-dessous ; saisissez à nouveau ce qui doit "
                        "l'être."
                    ),
                    icon=":material/sync_problem:",
                )
            elif pending:
                st.warning(escape_md(pending), icon=":material/sync_problem:")
            elif self.stale:
                st.info(
                    "Cette candidature a été modifiée dans un autre onglet : la dernière version "
                    "enregistrée est affichée.",
                    icon=":material/sync:",
                )

    # --- binding --------------------------------------------------------------------------

    def key(self, path: str) -> str:
        return f"f:{self.record.id}:{path}"

    def _bind(
        self,
        path: str,
        widget: Callable[..., Any],
        to_widget: Callable[[Any], Any],
        from_widget: Callable[[Any], Any],
        label: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Fill the widget from the draft, render it, save a change, show its messages."""
        label = label or field_info(path).label
        kwargs.setdefault("help", journey.help_text(path, self.call, self.record.data))
        key = self.key(path)
        shown = to_widget(journey.value_at(self.record.data, path))
        state = st.session_state
        if self.read_only or key not in state:
            state[key] = shown
        elif self.stale:
            typed = from_widget(state[key])
            before = from_widget(to_widget(journey.value_at(self.base, path)))
            if typed != before and typed != from_widget(shown):
                self.lost.append(label)
            state[key] = shown
        value = from_widget(widget(label, key=key, disabled=self.read_only, **kwargs))
        if not self.read_only and not self.stale and value != from_widget(shown):
            self._save(path, value)
        self._messages(path)
        return value

    def _save(self, path: str, value: Any) -> None:
        try:
            with components.db() as session:
                self.record, self.verdict = journey.update_draft(
                    session=session,
                    user=self.user,
                    application_id=self.record.id,
                    changes={path: value},
                    expected_version=self.record.version,
                    today=self.today,
                )
        except StaleVersion as exc:  # includes AlreadySubmitted
            # Rerun against the stored version; the stale path tells the user what was lost.
            st.session_state[self._notice_key] = str(exc)
            st.session_state[self._version_key] = -1
            st.rerun()
        except DuplicateApplication as exc:
            self.errors[path] = (str(exc), exc.existing_id)
        except journey.InvalidAnswer as exc:
            self.errors[path] = (str(exc), None)
        else:
            self._remember()

    def _messages(self, path: str) -> None:
        if path in self.errors:
            message, existing_id = self.errors[path]
            # The verdict still judges the stored answer, so its messages would mislead here.
            st.error(
                escape_md(f"{message} Cette saisie n'a pas été enregistrée."),
                icon=":material/error:",
            )
            if existing_id is not None:
                step_link(1, existing_id, label=f"Ouvrir la candidature n° {existing_id}")
            return
        if self.read_only:
            return
        for reason in journey.field_reasons(self.verdict, path):
            reason_box(reason)

    # --- widgets --------------------------------------------------------------------------

    def text(self, path: str, *, label: str | None = None, **kwargs: Any) -> str | None:
        return self._bind(path, st.text_input, _text_in, _text_out, label, **kwargs)

    def long_text(self, path: str, *, label: str | None = None, **kwargs: Any) -> str | None:
        return self._bind(path, st.text_area, _text_in, _text_out, label, **kwargs)

    def yes_no(self, path: str, *, label: str | None = None, **kwargs: Any) -> bool | None:
        return self._bind(
            path,
            st.radio,
            _same,
            _same,
            label,
            options=[True, False],
            format_func=format_bool_fr,
            index=None,
            horizontal=True,
            **kwargs,
        )

    def choice(
        self,
        path: str,
        options: Sequence[Any],
        format_func: Callable[[Any], str] = str,
        *,
        label: str | None = None,
        radio: bool = False,
        **kwargs: Any,
    ) -> Any:
        options = list(options)

        def to_widget(value: Any) -> Any:
            return value if value in options else None

        widget = st.radio if radio else st.selectbox
        if radio:
            kwargs.setdefault("horizontal", True)
        else:
            kwargs.setdefault("placeholder", "Choisissez dans la liste")
        return self._bind(
            path,
            widget,
            to_widget,
            _same,
            label,
            options=options,
            format_func=format_func,
            index=None,
            **kwargs,
        )

    def number(self, path: str, *, label: str | None = None, **kwargs: Any) -> int | None:
        kwargs.setdefault("min_value", 0)
        return self._bind(
            path,
            st.number_input,
            _same,
            lambda v: None if v is None else int(v),
            label,
            value=None,
            step=1,
            **kwargs,
        )

    def date(self, path: str, *, label: str | None = None, **kwargs: Any) -> dt.date | None:
        return self._bind(
            path, st.date_input, _same, _same, label, value=None, format="DD/MM/YYYY", **kwargs
        )

    def multi(
        self, path: str, options: Sequence[str], *, label: str | None = None, **kwargs: Any
    ) -> list[str]:
        options = list(options)
        kwargs.setdefault("placeholder", "Aucun")
        return self._bind(
            path,
            st.multiselect,
            lambda v: [x for x in (v or []) if x in options],
            lambda v: list(v or []),
            label,
            options=options,
            **kwargs,
        )

    def checkbox(self, path: str, *, label: str, **kwargs: Any) -> bool:
        return self._bind(path, st.checkbox, bool, bool, label, **kwargs)
