"""One step of the current application: header and step bar, widgets bound to the draft, panel.

The draft stored by core is the only state: widgets are filled from it and every change is saved
at once (core.journey.update_draft), so leaving a step, reloading or coming back tomorrow loses
nothing. Widget keys only carry what the browser sent since the last save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core import clock, journey, presentation, questionnaire, step_changes
from core.calls import Call, get_call
from core.questionnaire import FormQuestion
from core.storage import DuplicateApplication, NotFound, Role, StaleVersion, User
from pages import components
from pages.components import escape_md
from pages.eligibility_panel import eligibility_panel, reason_box
from pages.step_nav import HOME_PAGE, current_dossier, forget_dossier, step_link

# An answer redraws only the parts of the step it changed (core.step_changes), by rerunning
# the fragments keyed below from its widget's callback. AppTest keeps only the elements of the
# last run, so the page tests turn this off and see every change redrawn in full.
PARTIAL_RERUNS = True
STEP_FRAGMENT = "step-body"
PANEL_FRAGMENT = "eligibility-panel"
# Drawn in the step's body: their rows and buttons change the step's own layout.
_WHOLE_BODY_WIDGETS = ("items", "file")


class _LoginEnded(Exception):
    """This tab's login ended before its answer could be saved."""


class StepForm:
    """StepForm(1).render(body): body's widgets go to the main column, the eligibility panel to
    the right column once the step has saved its changes."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.user: User = components.require_user(Role.APPLICANT)
        self.today = clock.today()
        application_id = current_dossier()
        if application_id is None:
            st.title(f"Étape {step}")
            st.info("Choisissez d'abord une candidature, ou créez-en une, depuis l'accueil.")
            st.page_link(HOME_PAGE, label="Aller à l'accueil", icon=":material/home:")
            st.stop()
        try:
            with components.db() as session:
                self.record, self.verdict = journey.load(
                    session=session, user=self.user, application_id=application_id, today=self.today
                )
        except NotFound as exc:
            forget_dossier()
            st.error(str(exc))
            st.page_link(HOME_PAGE, label="Retour à l'accueil", icon=":material/home:")
            st.stop()
        self.call: Call = get_call(self.record.call_id)
        self.steps = questionnaire.steps(self.call)
        self.read_only = self.record.status != "draft"
        self._version_key = f"_cnfs_v:{self.record.id}"
        self._base_key = f"_cnfs_base:{self.record.id}"
        self._notice_key = f"_cnfs_notice:{self.record.id}"
        synced = st.session_state.get(self._version_key)
        # Another tab (or a refused save) moved the stored version under this tab's widgets.
        self.stale = synced is not None and synced != self.record.version and not self.read_only
        self.base = st.session_state.get(self._base_key) if self.stale else self.record.data
        self.lost: list[str] = []
        # A refused answer: its message, the dossier it collides with, the very value refused.
        self.errors: dict[str, tuple[str, int | None, Any]] = {}
        self._checked = False  # the login was checked by this interaction's callback
        self._notice_shown = False  # a notice about another version is on screen
        self._page = components.page_requested()
        self._remember()
        self._header()

    def render(self, body: Callable[[StepForm], None], *, fragment: bool = True) -> None:
        """Notices, the body in the main column with the footer, the panel beside it.

        In a fragment, an answer reruns this part only: the login gate, the menu, the title and
        the step bar are not run and sent again (issue 15: a quarter of a rerun's work). The step
        bar's state is compared after the run, and the whole page is run again when it changed
        (a step completed, the structure's name).
        """
        if not fragment:
            self._body(body)
            return
        first_run = True

        @st.fragment(key=STEP_FRAGMENT)
        def step_body() -> None:
            nonlocal first_run
            if not first_run:
                self._refresh()
            first_run = False
            self._body(body)
            if self._header_state() != self._header_shown:
                st.rerun()

        step_body()

    def _refresh(self, *, checked_by_callback: bool = False) -> None:
        """Before a rerun of a fragment alone: the login checked again (unless the answer's
        callback just did, for its own question), the run's messages reset."""
        if not (checked_by_callback and self._checked):
            user = components.recheck_user()
            if user is None:
                st.rerun()  # the login gate says why and shows the login page
            self.user = user
            self.today = clock.today()
        self._checked = False
        self.stale, self.base, self.lost = False, self.record.data, []

    def _body(self, body: Callable[[StepForm], None]) -> None:
        self.notice = st.container()
        self.main, self.side = st.columns([3, 2], gap="large")
        if not self.read_only and self.step != presentation.submit_step(self.call):
            with self.side:
                # Typed text is applied (and so saved) a second after the last key. Rendered
                # once, before the widgets, so the step's widgets keep their place in the page.
                components.autosave_typing()
        with self:
            body(self)

    def _header_state(self) -> tuple[object, ...]:
        return step_changes.header_state(self.record.data, self.verdict, self.call)

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
            self._panel()
        self._notices()
        return False

    def _panel(self) -> None:
        @st.fragment(key=PANEL_FRAGMENT)
        def panel() -> None:  # rerun by an answer's callback, which has checked the login
            eligibility_panel(
                self.record.id,
                self.verdict,
                self.call,
                submitted=self.read_only,
                current_step=self.step,
            )

        panel()

    def ask(self, question: FormQuestion, draw: Callable[[], object]) -> None:
        """Draw one question; a change to its answer redraws it alone when nothing else on the
        step depends on it (see answered)."""
        if question.question.widget in _WHOLE_BODY_WIDGETS:
            draw()
            return
        first_run = True

        @st.fragment(key=self._question_fragment(question.path))
        def one_question() -> None:
            nonlocal first_run
            if not first_run:
                self._refresh(checked_by_callback=True)
            first_run = False
            draw()

        one_question()

    @staticmethod
    def _question_fragment(path: str) -> str:
        return f"question:{path}"

    @property
    def data(self):
        return self.record.data

    def heading(self, step: int) -> str:
        return presentation.step_heading(self.call, step)

    def _remember(self) -> None:
        st.session_state[self._version_key] = self.record.version
        st.session_state[self._base_key] = self.record.data

    def _header(self) -> None:
        st.title(self.heading(self.step), anchor=False)
        self._header_shown = self._header_state()  # compared after each run of the body
        name, steps_with_problems = self._header_shown
        name = name or "structure non renseignée"
        st.caption(escape_md(f"Candidature n° {self.record.id} — {name} — {self.call.short_title}"))
        last = presentation.submit_step(self.call)
        # One flex row, not columns: 6 elements instead of 11 on every rerun (issue 15).
        with st.container(horizontal=True, horizontal_alignment="distribute", gap="small"):
            for number, step in enumerate(self.steps, 1):
                done = number not in steps_with_problems and number != last
                icon = ":material/check_circle:" if done else ":material/radio_button_unchecked:"
                if number == self.step:
                    icon = ":material/arrow_right:"
                step_link(
                    number,
                    self.record.id,
                    label=f"{number}. {step.short}",
                    icon=icon,
                    # Not disabled: Streamlit then draws the link to this very page as the
                    # current one (highlighted), not greyed out as if it could not be opened.
                )
        if self.read_only and self.record.submission is not None:
            st.info(
                f"Candidature déposée (dossier {self.record.submission.dossier_number}) : elle "
                "n'est plus modifiable.",
                icon=":material/lock:",
            )

    def _footer(self) -> None:
        st.divider()
        # Previous at the left, next at the right; a flex row costs fewer elements than columns.
        align = "distribute" if 1 < self.step < len(self.steps) else "right"
        if self.step == len(self.steps):
            align = "left"
        with st.container(horizontal=True, horizontal_alignment=align):
            # Short titles: beside the panel, « Poste coordinateur » is cut at 1280 px.
            if self.step > 1:
                step_link(
                    self.step - 1,
                    self.record.id,
                    label=f"Étape précédente : {self.steps[self.step - 2].short}",
                    icon=":material/arrow_back:",
                )
            if self.step < len(self.steps):
                step_link(
                    self.step + 1,
                    self.record.id,
                    label=f"Étape suivante : {self.steps[self.step].short}",
                    icon=":material/arrow_forward:",
                )
        if not self.read_only and self.step != presentation.submit_step(self.call):
            st.caption("Chaque réponse est enregistrée dès que vous la saisissez.")

    def _notices(self) -> None:
        pending = st.session_state.pop(self._notice_key, None)
        self._notice_shown = bool(self.lost or pending or self.stale)
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

    def bind(
        self,
        question: FormQuestion,
        widget: Callable[..., Any],
        to_widget: Callable[[Any], Any],
        from_widget: Callable[[Any], Any],
        shown_label: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Fill the widget from the draft, render it, save a change, show its messages.
        `shown_label` replaces the question's label on the widget (the label with its source)."""
        path, label = question.path, question.label
        key = self.key(path)
        shown = to_widget(questionnaire.value_at(self.record.data, path))
        state = st.session_state
        if self.read_only or (key not in state and not components.browser_sent_value(key)):
            state[key] = shown
        elif self.stale:
            typed = from_widget(state[key])
            before = from_widget(to_widget(questionnaire.value_at(self.base, path)))
            if typed != before and typed != from_widget(shown):
                self.lost.append(label)
            state[key] = shown
        value = from_widget(
            widget(
                shown_label or label,
                key=key,
                disabled=self.read_only,
                on_change=self.answered,
                args=(question, to_widget, from_widget),
                **kwargs,
            )
        )
        if (
            not self.read_only
            and not self.stale
            and value != from_widget(shown)
            and not self._refused(path, value)
        ):
            self.save(path, value)  # the callback saves a change; this catches any other
        self.messages(path)
        return value

    def answered(
        self,
        question: FormQuestion,
        to_widget: Callable[[Any], Any],
        from_widget: Callable[[Any], Any],
    ) -> None:
        """A widget's callback: check the login, save the answer, then rerun only the parts of
        the step it changed (core.step_changes)."""
        path = question.path
        value = from_widget(st.session_state[self.key(path)])
        stored = from_widget(to_widget(questionnaire.value_at(self.record.data, path)))
        if value == stored:
            self.errors.pop(path, None)  # back to the saved answer: nothing was refused
        self._checked = False  # set again below for this very interaction only
        if self.read_only or value == stored or self._refused(path, value):
            return
        before = (self.record.data, self.verdict)
        self.save(path, value, recheck_login=True)  # a stale copy reruns the whole page
        fragments = components.fragments_this_run()
        if not fragments:
            if components.page_requested() != self._page:
                self._keep_refusal(question)  # a page link clicked: another page opens
            return  # a page's run: it is drawn in full anyway
        if not PARTIAL_RERUNS:
            return
        change = step_changes.redraw(
            self.call, self.step, path, before, (self.record.data, self.verdict)
        )
        if change.scope is step_changes.Scope.PAGE:
            st.rerun()
        if change.scope is step_changes.Scope.STEP or len(fragments) > 1 or self._notice_shown:
            # Other changes merged into this run (a row, a file) are applied by the body
            # only, and a notice about an earlier version must go: the step's body.
            st.rerun(STEP_FRAGMENT)
        self._checked = True  # the question's rerun needs no second login check
        if change.panel:
            st.rerun([self._question_fragment(path), PANEL_FRAGMENT])
        # Returning reruns this question's fragment alone, the interaction's default: no
        # request is queued, so a page link clicked meanwhile is never merged into one.

    def _keep_refusal(self, question: FormQuestion) -> None:
        """A refused answer sent with a page link: the page asked for says it was not saved."""
        if question.path in self.errors:
            message = self.errors[question.path][0]
            st.session_state[self._notice_key] = (
                f"Votre saisie pour « {question.label} » n'a pas été enregistrée : {message}"
            )

    def _refused(self, path: str, value: Any) -> bool:
        """Whether this very value was refused already (its message is still shown)."""
        return path in self.errors and self.errors[path][2] == value

    def save(self, path: str, value: Any, *, recheck_login: bool = False) -> None:
        """Save one answer; with recheck_login (a callback, before any run), the login is
        checked again in the same transaction (one round trip fewer on every answer)."""
        try:
            with components.db() as session:
                if recheck_login:
                    user = components.recheck_user(session)
                    if user is None:
                        raise _LoginEnded
                    self.user, self.today = user, clock.today()
                self.record, self.verdict = journey.update_draft(
                    session=session,
                    user=self.user,
                    application_id=self.record.id,
                    changes={path: value},
                    expected_version=self.record.version,
                    today=self.today,
                    loaded=self.record,
                )
        except _LoginEnded:
            st.rerun()  # the login gate says why and shows the login page
        except StaleVersion as exc:  # includes AlreadySubmitted
            self.resync(str(exc))
        except DuplicateApplication as exc:
            self.errors[path] = (str(exc), exc.existing_id, value)
        except journey.InvalidAnswer as exc:
            self.errors[path] = (str(exc), None, value)
        else:
            self.errors.pop(path, None)
            self._remember()

    def messages(self, path: str) -> None:
        if path in self.errors:
            message, existing_id, _ = self.errors[path]
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
        for reason in presentation.field_reasons(self.verdict, path):
            reason_box(reason)

    def resync(self, notice: str) -> None:
        """Rerun against the stored version; the stale path tells the user what was lost."""
        st.session_state[self._notice_key] = notice
        st.session_state[self._version_key] = -1
        st.rerun()
