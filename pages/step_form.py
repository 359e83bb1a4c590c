"""One step of the current application: header and step bar, widgets bound to the draft, panel.

The draft stored by core is the only state: widgets are filled from it and every change is saved
at once (core.journey.update_draft), so leaving a step, reloading or coming back tomorrow loses
nothing. Widget keys only carry what the browser sent since the last save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core import attachments, clock, journey, presentation, questionnaire
from core.calls import Call, get_call
from core.formatting import describe_attachment, format_bool_fr
from core.models import AttachmentRef
from core.questionnaire import FormQuestion
from core.storage import DuplicateApplication, NotFound, Role, StaleVersion, User
from pages import components
from pages.components import escape_md
from pages.eligibility_panel import eligibility_panel, reason_box
from pages.step_nav import HOME_PAGE, current_dossier, forget_dossier, step_link


def _text_in(value: Any) -> str:
    return "" if value is None else str(value)


def _text_out(value: Any) -> str | None:
    return (value or "").strip() or None


def _same(value: Any) -> Any:
    return value


class StepForm:
    """Used as `with StepForm(1) as form:`; widgets go to the main column, the eligibility
    panel to the right column once the step has saved its changes."""

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
        self.errors: dict[str, tuple[str, int | None]] = {}
        self._remember()
        self._header()
        self.notice = st.container()
        self.main, self.side = st.columns([3, 2], gap="large")
        if not self.read_only and step != presentation.submit_step(self.call):
            with self.side:
                # Typed text is applied (and so saved) a second after the last key. Rendered
                # once, before the widgets, so the step's widgets keep their place in the page.
                components.autosave_typing()

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

    def heading(self, step: int) -> str:
        return presentation.step_heading(self.call, step)

    def _remember(self) -> None:
        st.session_state[self._version_key] = self.record.version
        st.session_state[self._base_key] = self.record.data

    def _header(self) -> None:
        st.title(self.heading(self.step), anchor=False)
        name = self.record.data.structure.name or "structure non renseignée"
        st.caption(escape_md(f"Candidature n° {self.record.id} — {name} — {self.call.short_title}"))
        steps_with_problems = {p.step for p in presentation.problems(self.verdict, self.call)}
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
        **kwargs: Any,
    ) -> Any:
        """Fill the widget from the draft, render it, save a change, show its messages."""
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
        for reason in presentation.field_reasons(self.verdict, path):
            reason_box(reason)

    # --- one question, whatever its widget --------------------------------------------------

    def ask(self, question: FormQuestion) -> Any:
        """Render the question's widget as the questionnaire describes it."""
        q, call = question.question, self.call
        help_text = questionnaire.help_text(question, call, self.record.data)
        common: dict[str, Any] = {"help": None if q.help_as_caption else help_text}
        placeholder = questionnaire.placeholder(question, call)
        if q.widget in ("text", "long_text"):
            widget = st.text_input if q.widget == "text" else st.text_area
            if placeholder:
                common["placeholder"] = placeholder
            value = self.bind(question, widget, _text_in, _text_out, **common)
        elif q.widget == "number":
            value = self.bind(
                question,
                st.number_input,
                _same,
                lambda v: None if v is None else int(v),
                value=None,
                step=1,
                min_value=int(q.min) if q.min is not None else None,
                max_value=int(q.max) if q.max is not None else None,
                **common,
            )
        elif q.widget == "yes_no":
            value = self.bind(
                question,
                st.radio,
                _same,
                _same,
                options=[True, False],
                format_func=format_bool_fr,
                index=None,
                horizontal=True,
                **common,
            )
        elif q.widget == "choice":
            value = self._choice(question, common)
        elif q.widget == "multi":
            options = questionnaire.options(question, call)
            value = self.bind(
                question,
                st.multiselect,
                lambda v: [x for x in (v or []) if x in options],
                lambda v: list(v or []),
                options=options,
                format_func=lambda v: questionnaire.option_label(question, call, v),
                placeholder=q.empty or "Choisissez dans la liste",
                **common,
            )
        elif q.widget == "date":
            value = self.bind(
                question, st.date_input, _same, _same, value=None, format="DD/MM/YYYY", **common
            )
        elif q.widget == "checkbox":
            # The call's own text (trusted data), wrapped in full: every word of a commitment
            # must be readable before ticking it.
            value = self.bind(question, st.checkbox, bool, bool, wrap=True, **common)
        elif q.widget == "items":
            return self._items(question, help_text)
        elif q.widget == "file":
            value = self._file(question, help_text)
        else:  # a widget kind the schema knows and this portal does not render yet
            st.warning(
                escape_md(f"{question.label} : cette réponse ne peut pas encore être saisie ici."),
                icon=":material/construction:",
            )
            return None
        if q.help_as_caption and help_text:
            st.caption(escape_md(help_text))
        return value

    # --- files ------------------------------------------------------------------------------

    def _file(self, question: FormQuestion, help_text: str | None) -> AttachmentRef | None:
        """The stored file (name, size, type) with « Remplacer » and « Retirer », or an
        uploader; a refused file gets its French message and the stored one is kept."""
        ident = attachments.attachment_id(question)
        stored = self.record.data.attachments.get(ident)
        state = st.session_state
        base = f"{self.key(question.path)}"
        replacing_key, round_key, refused_key = (
            f"{base}:replace",
            f"{base}:round",
            f"{base}:refused",
        )
        with st.container(border=True):
            st.markdown(f"**{escape_md(question.label)}**")
            if help_text:
                st.caption(escape_md(help_text))
            if stored is not None:
                st.markdown(
                    ":material/attach_file: Fichier joint : "
                    + escape_md(describe_attachment(stored))
                )
            elif self.read_only:
                st.markdown("Aucun fichier joint.")
            if self.read_only:
                return stored
            done = state.pop(f"{base}:done", None)
            if done:
                st.success(escape_md(done), icon=":material/check_circle:")
            if stored is not None and not state.get(replacing_key):
                with st.container(horizontal=True):
                    replace = st.button(
                        "Remplacer", key=f"{base}:replace_button", icon=":material/sync:"
                    )
                    remove = st.button("Retirer", key=f"{base}:remove", icon=":material/delete:")
                if replace:
                    state[replacing_key] = True
                    st.rerun()
                if remove:
                    self._store_or_remove(question, ident, None, None)
                self._messages(question.path)
                return stored
            kinds = attachments.kinds_of(question)
            uploaded = st.file_uploader(
                "Choisir le fichier" if stored is None else "Choisir le nouveau fichier",
                type=[ext.lstrip(".") for kind in kinds for ext in kind.extensions],
                key=f"{base}:upload:{state.get(round_key, 0)}",
                max_upload_size=max(1, attachments.max_bytes_of(question) // 2**20),
            )
            refused = state.get(refused_key)
            if uploaded is not None and (refused is None or refused[0] != uploaded.file_id):
                state.pop(refused_key, None)
                self._store_or_remove(
                    question, ident, uploaded.name, uploaded.getvalue(), uploaded.file_id
                )
                refused = state.get(refused_key)
            if refused is not None and uploaded is not None and refused[0] == uploaded.file_id:
                kept = " Le fichier déjà joint est conservé." if stored is not None else ""
                st.error(escape_md(refused[1] + kept), icon=":material/error:")
            if stored is not None and st.button("Annuler", key=f"{base}:cancel"):
                state.pop(replacing_key, None)
                state.pop(refused_key, None)
                st.rerun()
            self._messages(question.path)
        return stored

    def _store_or_remove(
        self,
        question: FormQuestion,
        ident: str,
        filename: str | None,
        content: bytes | None,
        file_id: str | None = None,
    ) -> None:
        """Store the uploaded file (or remove the stored one when content is None), then rerun
        to show the stored state; a refusal is kept for this very upload."""
        base = self.key(question.path)
        try:
            with components.db() as session:
                if content is None:
                    attachments.remove(
                        session=session,
                        user=self.user,
                        application_id=self.record.id,
                        attachment=ident,
                        expected_version=self.record.version,
                        today=self.today,
                    )
                    done = f"Le fichier de « {question.label} » a été retiré."
                else:
                    record, _ = attachments.store(
                        session=session,
                        user=self.user,
                        application_id=self.record.id,
                        attachment=ident,
                        filename=filename or "",
                        content=content,
                        expected_version=self.record.version,
                        today=self.today,
                    )
                    ref = record.data.attachments[ident]
                    done = f"Fichier joint : {describe_attachment(ref)}."
        except attachments.AttachmentRefused as exc:
            st.session_state[f"{base}:refused"] = (file_id, str(exc))
            return
        except StaleVersion as exc:  # includes AlreadySubmitted
            st.session_state[self._notice_key] = str(exc)
            st.session_state[self._version_key] = -1
            st.rerun()
        state = st.session_state
        state[f"{base}:done"] = done
        state.pop(f"{base}:replace", None)
        state[f"{base}:round"] = state.get(f"{base}:round", 0) + 1  # a fresh, empty uploader
        st.rerun()

    def _choice(self, question: FormQuestion, common: dict[str, Any]) -> Any:
        options = questionnaire.options(question, self.call)
        kwargs: dict[str, Any] = dict(common)
        if question.question.radio:
            kwargs["horizontal"] = True
        else:
            kwargs["placeholder"] = "Choisissez dans la liste"
        return self.bind(
            question,
            st.radio if question.question.radio else st.selectbox,
            lambda v: v if v in options else None,
            _same,
            options=options,
            format_func=lambda v: questionnaire.option_label(question, self.call, v),
            index=None,
            **kwargs,
        )

    # --- a list of items (consortium partners…): rows of fields, added and removed ----------

    def _items(self, question: FormQuestion, help_text: str | None) -> list[dict[str, Any]]:
        """Rows of the question's fields; every change saves the whole list, like any answer."""
        q, path = question.question, question.path
        prefix = self.key(path)
        state = st.session_state
        stored = [_row(item, q.fields) for item in questionnaire.value_at(self.data, path) or []]
        st.markdown(f"**{escape_md(question.label)}**")
        if help_text:
            st.caption(escape_md(help_text))
        rows: list[dict[str, Any]] = []
        removed: int | None = None
        for index, row in enumerate(stored):
            with st.container(border=True):
                # Two fields a line (a last odd one on its own): each value stays readable.
                pairs, odd = divmod(len(q.fields), 2)
                columns = [c for _ in range(pairs) for c in st.columns(2)]
                columns += [st.container() for _ in range(odd)]
                typed: dict[str, Any] = {}
                for column, field in zip(columns, q.fields, strict=False):
                    key = f"{prefix}:{index}:{field.key}"
                    if self.read_only or self.stale or key not in state:
                        state[key] = _text_in(row.get(field.key))
                    label = f"{field.label} (n° {index + 1})"
                    typed[field.key] = _text_out(
                        column.text_input(label, key=key, disabled=self.read_only, max_chars=500)
                    )
                rows.append(typed)
                if not self.read_only and st.button(
                    f"Retirer la ligne n° {index + 1}",
                    key=f"{prefix}:{index}:remove",
                    icon=":material/delete:",
                ):
                    removed = index
        full = q.max_items is not None and len(stored) >= q.max_items
        added = not self.read_only and st.button(
            q.add_label, key=f"{prefix}:add", icon=":material/add:", disabled=full
        )
        if q.min_items or q.max_items:
            st.caption(escape_md(_items_bounds(q.min_items, q.max_items)))
        if self.read_only or self.stale:
            self._messages(path)
            return stored
        if removed is not None or added:
            if removed is not None:
                rows.pop(removed)
            else:
                rows.append({field.key: None for field in q.fields})
            self._save(path, rows)
            for key in [k for k in state if isinstance(k, str) and k.startswith(prefix + ":")]:
                del state[key]  # the rows moved: refill every field from the saved list
            if path not in self.errors:
                st.rerun()
        elif rows != stored:
            self._save(path, rows)
        self._messages(path)
        return rows


def _row(item: Any, fields: list) -> dict[str, Any]:
    read = item.get if isinstance(item, dict) else lambda name: getattr(item, name, None)
    return {field.key: read(field.key) for field in fields}


def _items_bounds(low: int | None, high: int | None) -> str:
    if low and high:
        return f"Au moins {low}, au plus {high}."
    return f"Au moins {low}." if low else f"Au plus {high}."
