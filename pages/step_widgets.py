"""One question of a step, drawn with the widget its questionnaire entry names: text, number,
yes/no, choice, dates, commitments, a list of items (consortium partners…) or a file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from core import attachments, questionnaire
from core.formatting import describe_attachment, format_bool_fr
from core.models import AttachmentRef
from core.questionnaire import FormQuestion
from core.storage import StaleVersion
from pages import components
from pages.components import escape_md

if TYPE_CHECKING:
    from pages.step_form import StepForm


def _text_in(value: Any) -> str:
    return "" if value is None else str(value)


def _text_out(value: Any) -> str | None:
    return (value or "").strip() or None


def _same(value: Any) -> Any:
    return value


def ask(form: StepForm, question: FormQuestion) -> Any:
    """Render the question's widget as the questionnaire describes it."""
    q, call = question.question, form.call
    help_text = questionnaire.help_text(question, call, form.record.data)
    common: dict[str, Any] = {"help": None if q.help_as_caption else help_text}
    placeholder = questionnaire.placeholder(question, call)
    if q.widget in ("text", "long_text"):
        widget = st.text_input if q.widget == "text" else st.text_area
        if placeholder:
            common["placeholder"] = placeholder
        value = form.bind(question, widget, _text_in, _text_out, **common)
    elif q.widget == "number":
        value = form.bind(
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
        value = form.bind(
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
        value = _choice(form, question, common)
    elif q.widget == "multi":
        options = questionnaire.options(question, call)
        value = form.bind(
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
        value = form.bind(
            question, st.date_input, _same, _same, value=None, format="DD/MM/YYYY", **common
        )
    elif q.widget == "checkbox":
        # The call's own text (trusted data), wrapped in full: every word of a commitment
        # must be readable before ticking it. Its caption goes on a line of the label, not in
        # an element of its own: a step of 12 commitments sends 12 messages fewer per rerun.
        shown = None
        if q.help_as_caption and help_text:
            shown = f"{question.label}  \n:gray[:small[{escape_md(help_text)}]]"
            help_text = None
        value = form.bind(question, st.checkbox, bool, bool, shown_label=shown, wrap=True, **common)
    elif q.widget == "items":
        return _items(form, question, help_text)
    elif q.widget == "file":
        value = _file(form, question, help_text)
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


def _file(form: StepForm, question: FormQuestion, help_text: str | None) -> AttachmentRef | None:
    """The stored file (name, size, type) with « Remplacer » and « Retirer », or an
    uploader; a refused file gets its French message and the stored one is kept."""
    ident = attachments.attachment_id(question)
    stored = form.record.data.attachments.get(ident)
    state = st.session_state
    base = f"{form.key(question.path)}"
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
                ":material/attach_file: Fichier joint : " + escape_md(describe_attachment(stored))
            )
        elif form.read_only:
            st.markdown("Aucun fichier joint.")
        if form.read_only:
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
                _store_or_remove(form, question, ident, None, None)
            form.messages(question.path)
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
            _store_or_remove(
                form, question, ident, uploaded.name, uploaded.getvalue(), uploaded.file_id
            )
            refused = state.get(refused_key)
        if refused is not None and uploaded is not None and refused[0] == uploaded.file_id:
            kept = " Le fichier déjà joint est conservé." if stored is not None else ""
            st.error(escape_md(refused[1] + kept), icon=":material/error:")
        if stored is not None and st.button("Annuler", key=f"{base}:cancel"):
            state.pop(replacing_key, None)
            state.pop(refused_key, None)
            st.rerun()
        form.messages(question.path)
    return stored


def _store_or_remove(
    form: StepForm,
    question: FormQuestion,
    ident: str,
    filename: str | None,
    content: bytes | None,
    file_id: str | None = None,
) -> None:
    """Store the uploaded file (or remove the stored one when content is None), then rerun
    to show the stored state; a refusal is kept for this very upload."""
    base = form.key(question.path)
    try:
        with components.db() as session:
            if content is None:
                attachments.remove(
                    session=session,
                    user=form.user,
                    application_id=form.record.id,
                    attachment=ident,
                    expected_version=form.record.version,
                    today=form.today,
                )
                done = f"Le fichier de « {question.label} » a été retiré."
            else:
                record, _ = attachments.store(
                    session=session,
                    user=form.user,
                    application_id=form.record.id,
                    attachment=ident,
                    filename=filename or "",
                    content=content,
                    expected_version=form.record.version,
                    today=form.today,
                )
                ref = record.data.attachments[ident]
                done = f"Fichier joint : {describe_attachment(ref)}."
    except attachments.AttachmentRefused as exc:
        st.session_state[f"{base}:refused"] = (file_id, str(exc))
        return
    except StaleVersion as exc:  # includes AlreadySubmitted
        form.resync(str(exc))
    state = st.session_state
    state[f"{base}:done"] = done
    state.pop(f"{base}:replace", None)
    state[f"{base}:round"] = state.get(f"{base}:round", 0) + 1  # a fresh, empty uploader
    st.rerun()


def _choice(form: StepForm, question: FormQuestion, common: dict[str, Any]) -> Any:
    options = questionnaire.options(question, form.call)
    kwargs: dict[str, Any] = dict(common)
    if question.question.radio:
        kwargs["horizontal"] = True
    else:
        kwargs["placeholder"] = "Choisissez dans la liste"
    return form.bind(
        question,
        st.radio if question.question.radio else st.selectbox,
        lambda v: v if v in options else None,
        _same,
        options=options,
        format_func=lambda v: questionnaire.option_label(question, form.call, v),
        index=None,
        **kwargs,
    )


# --- a list of items (consortium partners…): rows of fields, added and removed ----------


def _items(form: StepForm, question: FormQuestion, help_text: str | None) -> list[dict[str, Any]]:
    """Rows of the question's fields; every change saves the whole list, like any answer."""
    q, path = question.question, question.path
    prefix = form.key(path)
    state = st.session_state
    stored = [_row(item, q.fields) for item in questionnaire.value_at(form.data, path) or []]
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
                if form.read_only or form.stale or key not in state:
                    state[key] = _text_in(row.get(field.key))
                label = f"{field.label} (n° {index + 1})"
                typed[field.key] = _text_out(
                    column.text_input(label, key=key, disabled=form.read_only, max_chars=500)
                )
            rows.append(typed)
            if not form.read_only and st.button(
                f"Retirer la ligne n° {index + 1}",
                key=f"{prefix}:{index}:remove",
                icon=":material/delete:",
            ):
                removed = index
    full = q.max_items is not None and len(stored) >= q.max_items
    added = not form.read_only and st.button(
        q.add_label, key=f"{prefix}:add", icon=":material/add:", disabled=full
    )
    if q.min_items or q.max_items:
        st.caption(escape_md(_items_bounds(q.min_items, q.max_items)))
    if form.read_only or form.stale:
        form.messages(path)
        return stored
    if removed is not None or added:
        if removed is not None:
            rows.pop(removed)
        else:
            rows.append({field.key: None for field in q.fields})
        form.save(path, rows)
        for key in [k for k in state if isinstance(k, str) and k.startswith(prefix + ":")]:
            del state[key]  # the rows moved: refill every field from the saved list
        if path not in form.errors:
            st.rerun()
    elif rows != stored:
        form.save(path, rows)
    form.messages(path)
    return rows


def _row(item: Any, fields: list) -> dict[str, Any]:
    read = item.get if isinstance(item, dict) else lambda name: getattr(item, name, None)
    return {field.key: read(field.key) for field in fields}


def _items_bounds(low: int | None, high: int | None) -> str:
    if low and high:
        return f"Au moins {low}, au plus {high}."
    return f"Au moins {low}." if low else f"Au plus {high}."
