"""Shared blocks of the prefect consultation: the opinion in force with its history, the
on-screen opinion form, and the import of a filled sheet (preview, then confirmation)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core import clock, exports, opinions, sheet_import
from core.formatting import format_date_fr, format_datetime_fr
from core.opinions import OPINION_LABELS_FR, Opinion, OpinionInput
from core.storage import Forbidden, NotFound, User
from pages import components

OPINION_CHOICES = list(Opinion)
# Streamlit's uploader says « Upload » and « 20MB per file » in English: French words instead
# (static CSS, no user text).
_UPLOADER_FR = f"""<style>
[data-testid="stFileUploaderDropzone"] button p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button p::after {{
  content: "Choisir le fichier"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: "ou glissez-le ici — classeur XLSX, {sheet_import.MAX_FILE_BYTES // 2**20} Mo au plus";
  font-size: 0.875rem; }}
</style>"""


def _change_text(opinion: object, count: object) -> str:
    if opinion is None:
        return "Sans avis"
    return f"{OPINION_LABELS_FR[opinion]} ({count} conseiller{'s' if (count or 0) > 1 else ''})"


def _origin(change: opinions.OpinionChange) -> str:
    if change.source == "file" and change.file_sha256:
        return f"fiche « {change.file_name} » (SHA-256 {change.file_sha256[:12]}…)"
    return opinions.SOURCE_LABELS_FR.get(change.source, change.source).lower()


def show_opinion(
    current: opinions.CurrentOpinion | None,
    changes: list[opinions.OpinionChange],
    *,
    deadline: dt.date | None,
) -> None:
    """The opinion in force and every change, read-only."""
    if deadline is not None:
        st.caption(f"Avis attendus au plus tard le {format_date_fr(deadline)}.")
    if current is None:
        st.info("Sans avis : la préfecture n'a pas encore donné son avis sur ce dossier.")
    else:
        plural = "s" if current.supported_count > 1 else ""
        st.markdown(f"**{current.label}**")
        # Plain text: Streamlit's markdown would turn the address into a link.
        st.text(
            f"{current.supported_count} conseiller{plural} soutenu{plural}, le "
            f"{format_datetime_fr(current.updated_at)} par {current.updated_by_email}"
        )
        if current.comment:
            st.text(current.comment)  # user text: never rendered as markdown or HTML
    if changes:
        st.markdown("**Historique de l'avis**")
        for change in reversed(changes):
            # Plain text: neither an address nor a comment becomes a link or markup.
            st.text(
                f"• {format_datetime_fr(change.at)}, {change.actor_email}, {_origin(change)} : "
                f"{_change_text(change.old_opinion, change.old_count)} → "
                f"{_change_text(change.new_opinion, change.new_count)}"
            )
            if change.new_comment:
                st.text(f"   « {change.new_comment} »")


PROBLEMS_SHOWN = 30  # in full, one line each; beyond, every problem is in a grid as well


def show_table(frame: pd.DataFrame) -> None:
    """A grid (never markdown: cells hold what users typed, in the portal or in the file)."""
    wide = {"Commentaire", "Problème", "Structure", "Origine"}
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.TextColumn(width="large") for c in wide & set(frame)},
    )


def opinion_form(
    user: User,
    application_id: int,
    current: opinions.CurrentOpinion | None,
    posts_requested: int,
    *,
    open_: bool,
) -> None:
    """The prefecture's form: opinion, count supported, comment; saved through core."""
    if not open_:
        st.warning("La date limite des avis sur cette liste est passée : l'avis ne change plus.")
        return
    key = f"opinion_{application_id}_{current.version if current else 0}"
    with st.form(key):
        opinion = st.radio(
            "Votre avis",
            OPINION_CHOICES,
            format_func=OPINION_LABELS_FR.get,
            index=OPINION_CHOICES.index(current.opinion) if current else None,
            horizontal=True,
        )
        count = st.number_input(
            f"Nombre de conseillers numériques soutenus (0 à {posts_requested})",
            min_value=0,
            max_value=max(posts_requested, 0),
            step=1,
            value=current.supported_count if current else posts_requested,
            help="Pour un avis négatif, indiquez 0.",
        )
        comment = st.text_area(
            "Commentaire",
            value=current.comment if current else "",
            max_chars=opinions.COMMENT_MAX_CHARS,
            help="De 10 à 1 000 caractères ; obligatoire pour un avis négatif ou un examen "
            "complémentaire.",
        )
        sent = st.form_submit_button("Enregistrer l'avis", type="primary")
    if not sent:
        return
    if opinion is None:
        st.error("Choisissez un avis : positif, négatif ou examen complémentaire.")
        return
    try:
        with components.db() as session:
            opinions.record_opinion(
                session=session,
                user=user,
                application_id=application_id,
                value=OpinionInput(opinion=opinion, supported_count=int(count), comment=comment),
                expected_version=current.version if current else 0,
            )
    except (opinions.OpinionError, opinions.OpinionConflict, Forbidden, NotFound) as exc:
        st.error(str(exc))
        return
    components.flash("Avis enregistré.")
    st.rerun()


def import_panel(user: User, department: str, call_id: str | None) -> None:
    """Upload the filled sheet, see what it changes row by row, confirm to record it."""
    st.subheader("Renvoyer la fiche remplie")
    st.caption(
        "Importez la fiche téléchargée ci-dessus, remplie dans Excel ou LibreOffice. Le portail "
        "montre d'abord ce qui va changer ; rien n'est enregistré avant votre confirmation, et "
        "rien du tout s'il reste une erreur."
    )
    # A new key after each import empties the uploader.
    round_ = st.session_state.get("_sheet_upload_round", 0)
    st.html(_UPLOADER_FR)
    upload = st.file_uploader(
        "Fiche remplie (XLSX)",
        # Any file: core says in French what to do with one that is not the sheet (an .ods
        # saved by LibreOffice, say); Streamlit's own refusal would be in English.
        key=f"sheet_upload_{department}_{call_id}_{round_}",
    )
    if upload is None:
        return
    content = upload.getvalue()
    try:
        with components.db() as session:
            preview = sheet_import.preview_import(
                session=session,
                user=user,
                content=content,
                file_name=upload.name,
                department=department,
                call_id=call_id,
            )
    except (Forbidden, NotFound) as exc:
        st.error(str(exc))
        return
    if not preview.ok:
        st.error(
            f"Import impossible : {len(preview.problems)} problème"
            f"{'s' if len(preview.problems) > 1 else ''} à corriger dans la fiche, puis "
            "importez-la de nouveau. Rien n'a été enregistré."
        )
        # Read in full: a grid cell cuts a long message (« … Enregistrer sous … »).
        for problem in preview.problems[:PROBLEMS_SHOWN]:
            st.markdown(f"- {components.escape_md(problem.text())}")
        if len(preview.problems) > PROBLEMS_SHOWN:
            st.caption(f"Tous les problèmes ({len(preview.problems)}), par onglet et ligne :")
            show_table(
                pd.DataFrame(
                    [
                        {
                            "Onglet": p.sheet or "Fichier",
                            "Ligne": str(p.row) if p.row else "",
                            "Colonne": p.column or "",
                            "Problème": p.message,
                        }
                        for p in preview.problems
                    ]
                )
            )
        return
    if not preview.changes:
        st.success(
            "Cette fiche ne change aucun avis : tous ceux qu'elle porte sont déjà enregistrés "
            f"({preview.unchanged} inchangé{'s' if preview.unchanged > 1 else ''})."
        )
        return
    st.markdown(
        f"**Aperçu : {len(preview.changes)} avis à enregistrer**, "
        f"{preview.unchanged} inchangé{'s' if preview.unchanged > 1 else ''}, "
        f"{preview.blank} ligne{'s' if preview.blank > 1 else ''} sans avis."
    )
    show_table(preview.frame())
    if st.button("Confirmer l'import", type="primary", key=f"confirm_{preview.fingerprint}"):
        try:
            with components.db() as session:
                changed = sheet_import.confirm_import(
                    session=session, user=user, preview=preview, today=clock.today()
                )
        except (sheet_import.ImportConflict, sheet_import.ImportRefused) as exc:
            st.error(str(exc))
            return
        st.session_state["_sheet_upload_round"] = round_ + 1
        components.flash(f"Import enregistré : {changed} avis mis à jour depuis « {upload.name} ».")
        st.rerun()


def sheet_download(department_code: str, call_id: str) -> None:
    """The department's sheet as XLSX, built when clicked for the user checked at that moment."""
    today = clock.today()

    def sheet_bytes(session, checked_user) -> bytes:
        fresh = exports.prefect_sheet(
            session=session, user=checked_user, department_code=department_code, call_id=call_id
        )
        return exports.prefect_sheet_xlsx(fresh, generated_on=today)

    components.download_button(
        "Télécharger la fiche préfet (XLSX)",
        sheet_bytes,
        file_name=exports.prefect_filename(department_code, today),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        type="primary",
    )
