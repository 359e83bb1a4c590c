"""Accueil: open calls, a new application, and the applicant's applications with what is next."""

import datetime as dt

import streamlit as st

from core import clock, journey, presentation, storage
from core.calls import get_call
from core.formatting import format_date_fr, to_paris
from core.storage import DuplicateApplication, Role
from pages import components, mail_components
from pages.components import escape_md
from pages.eligibility_panel import status_badge
from pages.step_nav import open_dossier, step_link

_CONFIRM = "_cnfs_confirm_delete"  # the draft whose deletion awaits confirmation


def confirm_delete(record: storage.ApplicationRecord, where) -> None:
    """« Supprimer », then a confirmation in place: nothing goes in one click."""
    if st.session_state.get(_CONFIRM) != record.id:
        if where.button("Supprimer", key=f"delete-{record.id}", icon=":material/delete:"):
            st.session_state[_CONFIRM] = record.id
            st.rerun()
        return
    st.warning(
        f"Supprimer la candidature n° {record.id} ? Vous pourrez la restaurer depuis cette page "
        f"pendant {storage.DELETED_DRAFTS_KEPT_DAYS} jours.",
        icon=":material/delete:",
    )
    yes, no = st.columns([1, 1])
    if yes.button("Confirmer la suppression", key=f"delete-yes-{record.id}", type="primary"):
        st.session_state.pop(_CONFIRM, None)
        try:
            with components.db() as session:
                storage.delete_draft(
                    session=session,
                    user=user,
                    application_id=record.id,
                    expected_version=record.version,
                )
        except storage.StaleVersion as exc:  # includes AlreadySubmitted
            st.error(escape_md(str(exc)))
            return
        except storage.NotFound:
            st.error("Cette candidature est introuvable : elle a peut-être déjà été supprimée.")
            return
        components.flash(f"La candidature n° {record.id} est supprimée.")
        st.rerun()
    if no.button("Annuler", key=f"delete-no-{record.id}"):
        st.session_state.pop(_CONFIRM, None)
        st.rerun()


def offer_move(record: storage.ApplicationRecord) -> None:
    """An ineligible draft that another open call funds moves there in one click."""
    for call in journey.fitting_calls(record, today):
        st.info(
            escape_md(f"Votre structure peut candidater à l'appel « {call.short_title} ».")
            + " Vos réponses y sont reprises, sauf celles que cet appel ne demande pas.",
            icon=":material/swap_horiz:",
        )
        if not st.button(
            f"Déplacer vers « {call.short_title} »",
            key=f"move-{record.id}-{call.id}",
            icon=":material/swap_horiz:",
        ):
            continue
        try:
            with components.db() as session:
                moved = journey.move_draft(
                    session=session,
                    user=user,
                    application_id=record.id,
                    call_id=call.id,
                    expected_version=record.version,
                    today=today,
                )
        except storage.DuplicateApplication as exc:
            where = f" (n° {exc.existing_id})" if exc.existing_id else ""
            st.error(
                escape_md(
                    f"Ce SIRET a déjà une candidature dans l'appel « {call.short_title} »{where} : "
                    "reprenez-la, et supprimez celle-ci si elle ne sert plus."
                )
            )
            return
        except (storage.StaleVersion, journey.CallNotOpen) as exc:
            st.error(escape_md(str(exc)))
            return
        message = f"La candidature n° {record.id} est déplacée vers « {call.short_title} »."
        if moved.dropped:
            message += " Réponses non reprises, cet appel ne les demandant pas : " + (
                " ; ".join(f"« {label} »" for label in moved.dropped) + "."
            )
        else:
            message += " Toutes vos réponses sont reprises."
        components.flash(message)
        st.rerun()


user = components.require_user(Role.APPLICANT)
today = clock.today()
calls = presentation.calls_overview(today)

st.title("Accueil", anchor=False)
st.write(f"Bonjour {escape_md(user.name)}.")
mail_components.address_notice(components.load_settings(), user, key="home_resend_confirmation")

st.subheader("Mes candidatures", anchor=False)
with components.db() as session:
    applications = journey.overview(session=session, user=user, today=today)
if not applications:
    st.write("Vous n'avez pas encore de candidature.")
for record, verdict, next_step in applications:
    with st.container(border=True):
        name = record.data.structure.name or "Structure non renseignée"
        st.markdown(f"**{escape_md(name)}** — candidature n° {record.id}")
        st.caption(escape_md(get_call(record.call_id).short_title))
        st.badge(
            storage.APPLICATION_STATUS_LABELS_FR[record.status],
            color="violet" if record.status == "submitted" else "gray",
        )
        status_badge(verdict.status)
        st.write(escape_md(next_step.text))
        label = "Voir le dossier" if record.status == "submitted" else "Reprendre"
        left, right = st.columns([1, 1])
        if left.button(label, key=f"open-{record.id}"):
            open_dossier(record.id, next_step.step or 1)
        if record.status == "draft":
            confirm_delete(record, right)
            offer_move(record)

deleted = []
with components.db() as session:
    deleted = storage.list_deleted_drafts(session=session, user=user)
if deleted:
    st.subheader("Candidatures supprimées", anchor=False)
    st.caption(
        f"Une candidature supprimée se restaure pendant {storage.DELETED_DRAFTS_KEPT_DAYS} jours, "
        "puis elle est effacée définitivement."
    )
for record in deleted:
    with st.container(border=True):
        name = record.data.structure.name or "Structure non renseignée"
        st.markdown(f"**{escape_md(name)}** — candidature n° {record.id}")
        until = record.deleted_at + dt.timedelta(days=storage.DELETED_DRAFTS_KEPT_DAYS)
        st.caption(
            escape_md(
                f"{get_call(record.call_id).short_title} — supprimée le "
                f"{format_date_fr(to_paris(record.deleted_at).date())}, restaurable jusqu'au "
                f"{format_date_fr(to_paris(until).date())}."
            )
        )
        if st.button("Restaurer", key=f"restore-{record.id}", icon=":material/restore:"):
            try:
                with components.db() as session:
                    storage.restore_draft(session=session, user=user, application_id=record.id)
            except storage.NotRestorable as exc:
                st.error(escape_md(str(exc)))
            except storage.NotFound:
                st.error("Cette candidature ne peut plus être restaurée.")
            else:
                components.flash(f"La candidature n° {record.id} est restaurée.")
                st.rerun()

st.subheader("Appels à candidatures", anchor=False)
for overview in calls:
    with st.container(border=True):
        st.markdown(f"**{escape_md(overview.call.title)}**")
        st.badge(
            "Ouvert" if overview.is_open else "Fermé", color="green" if overview.is_open else "gray"
        )
        if overview.call.who_may_apply:
            st.write(escape_md(f"Pour qui : {overview.call.who_may_apply}"))
        st.caption(escape_md(overview.text))

st.subheader("Nouvelle candidature", anchor=False)
open_calls = [o.call for o in calls if o.is_open]
if not open_calls:
    st.info("Aucun appel n'est ouvert aujourd'hui.")
else:
    with st.form("new_application"):
        call_id = st.selectbox(
            "Appel",
            [c.id for c in open_calls],
            format_func=lambda cid: get_call(cid).short_title,
        )
        siret = st.text_input(
            "N° SIRET de la structure (facultatif)",
            max_chars=40,
            help="En l'indiquant dès maintenant, vous saurez si une candidature existe déjà "
            "pour cette structure.",
        )
        create = st.form_submit_button("Créer la candidature", type="primary")
    if create:
        try:
            with components.db() as session:
                record = journey.open_draft(
                    session=session, user=user, call_id=call_id, today=today, siret=siret
                )
        except DuplicateApplication as exc:
            st.error(escape_md(str(exc)))
            if exc.existing_id is not None:
                step_link(1, exc.existing_id, label=f"Ouvrir la candidature n° {exc.existing_id}")
        except journey.CallNotOpen as exc:
            st.error(escape_md(str(exc)))
        else:
            open_dossier(record.id, 1)
