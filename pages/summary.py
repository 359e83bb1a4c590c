"""The summary step: errors to fix, answers, money, verdict, submit, PDF."""

from __future__ import annotations

import streamlit as st

from core import attachments, clock, journey, mail_events, outbox, presentation
from core.formatting import count_fr, format_date_fr, format_datetime_fr, format_eur
from core.models import Declaration
from core.storage import EmailNotConfirmed, NotSubmittable, StaleVersion
from pages import components, mail_components
from pages.attachment_list import attachment_downloads
from pages.components import escape_md
from pages.step_form import StepForm
from pages.step_nav import NEXT_ICON, step_link


def acknowledgement(application_id: int) -> outbox.OutboxStatus | None:
    with components.db() as session:
        return outbox.latest(
            session=session,
            kind=mail_events.DEPOSIT_ACKNOWLEDGEMENT,
            application_id=application_id,
            outbox_only=components.load_settings().mail.outbox_only,
        )


def render_summary(form: StepForm) -> None:
    """Inside the step form: what blocks submission, the answers, the money, submit, PDF."""
    record, verdict, call = form.record, form.verdict, form.call
    settings = components.load_settings()
    submission = record.submission

    if submission is not None:
        st.success(
            escape_md(
                f"Candidature déposée le {format_datetime_fr(submission.submitted_at)}. "
                f"Dossier n° {submission.dossier_number}."
                # A call without a monthly review (the 93 AMI) has no review date.
                + (
                    f" Examen prévu le {format_date_fr(submission.verdict.review_date)}."
                    if submission.verdict.review_date
                    else ""
                )
            ),
            icon=":material/task_alt:",
        )
        if call.after_submission:
            st.info(
                escape_md(
                    f"Et maintenant ? {call.after_submission.text} Une question : "
                    f"{call.after_submission.contact_email}."
                ),
                icon=":material/info:",
            )
        text, delivered = mail_components.sent_sentence(
            settings, acknowledgement(record.id), "L'accusé de réception (avec le PDF)"
        )
        (st.info if delivered else st.warning)(escape_md(text), icon=":material/mail:")
    else:
        problems = presentation.problems(verdict, call)
        if problems:
            st.error(
                f"Avant de déposer, {count_fr(len(problems), 'point')} à régler :",
                icon=":material/error:",
            )
            for step in sorted({p.step for p in problems}):
                st.markdown(f"**{escape_md(form.heading(step))}**")
                for problem in (p for p in problems if p.step == step):
                    label = problem.label.rstrip(".")  # the message follows after « : »
                    st.markdown(f"- {escape_md(label)} : {escape_md(problem.message)}")
                step_link(step, record.id, label=f"Corriger l'étape {step}", icon=NEXT_ICON)

    if call.amount_per_post is not None:  # calls funding posts; a budget is among the answers
        st.subheader("Financement", anchor=False)
        st.markdown(f"Subvention : **{escape_md(format_eur(verdict.subsidy_eur))}**")
        if verdict.subsidy_note:
            st.caption(escape_md(verdict.subsidy_note))
        three = len(verdict.tranches) == 3
        st.markdown("Versement en trois tranches :" if three else "Versements :")
        for line in presentation.tranche_lines(verdict, call):
            st.markdown(f"- {escape_md(line)}")
        st.caption(escape_md(f"Source : {call.amount_per_post.source}"))
    if submission is None and verdict.review_date and call.review:
        st.markdown(
            escape_md(
                f"Si vous déposez aujourd'hui, la candidature sera examinée le "
                f"{format_date_fr(verdict.review_date)} ({call.review.source})."
            )
        )

    st.subheader("Vos réponses", anchor=False)
    answers = presentation.recap(record.data, call)
    for step in sorted({a.step for a in answers}):
        with st.expander(form.heading(step), expanded=False):
            for answer in (a for a in answers if a.step == step):
                st.markdown(f"**{escape_md(answer.label)}** : {escape_md(answer.text)}")

    if attachments.file_questions(call):
        st.subheader("Pièces jointes", anchor=False)
        attachment_downloads(record.id, submission.data if submission else record.data, call)

    st.subheader("Dépôt", anchor=False)
    if submission is None:
        unconfirmed = mail_components.address_notice(settings, form.user, key="resend_confirmation")
        ready = journey.can_submit(record, verdict) and not unconfirmed
        if not journey.can_submit(record, verdict):
            st.caption("Le dépôt sera possible quand la candidature sera complète et éligible.")
        declared = record.data.declaration
        wording = call.declaration
        # A form: nothing is filed until the button, after the person has named themself.
        with st.form("deposit", enter_to_submit=False, border=True):
            st.markdown("**Qui dépose cette candidature ?**")
            left, right = st.columns(2)
            name = left.text_input(
                wording.name_label,
                value=declared.signatory_name or "",
                max_chars=200,
                key="signatory_name",
            )
            role = right.text_input(
                wording.role_label,
                value=declared.signatory_role or "",
                max_chars=200,
                key="signatory_role",
            )
            certified = st.checkbox(wording.text, key="certified", help=wording.source)
            deposit = st.form_submit_button(
                "Déposer la candidature", type="primary", disabled=not ready, key="submit"
            )
        if deposit:
            declaration = Declaration(signatory_name=name, signatory_role=role, certified=certified)
            try:
                with components.db() as session:
                    journey.submit(
                        session=session,
                        user=form.user,
                        application_id=record.id,
                        expected_version=record.version,
                        today=form.today,
                        declaration=declaration,
                    )
            except (
                StaleVersion,
                NotSubmittable,
                EmailNotConfirmed,
                journey.DeclarationMissing,
            ) as exc:
                st.error(escape_md(str(exc)), icon=":material/error:")
            else:
                # Recorded with the deposit; sent now if the mail server answers, else retried.
                status = acknowledgement(record.id)
                mail_components.send_now(settings, status.id if status else None)
                st.rerun()

    application_id = record.id

    def pdf_bytes(session, checked_user) -> bytes:
        return journey.pdf_for(
            session=session,
            user=checked_user,
            application_id=application_id,
            today=clock.today(),
            now=clock.now(),
        )

    components.download_button(
        "Télécharger le dossier déposé (PDF)" if submission else "Télécharger un aperçu (PDF)",
        pdf_bytes,
        file_name=presentation.pdf_filename(record),
        mime="application/pdf",
        icon=":material/download:",
        key="pdf",
    )
