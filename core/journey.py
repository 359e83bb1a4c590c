"""The applicant's journey as plain Python: open, update, submit a draft and say what comes next.

Pages call these functions and render what they return; nothing here knows about Streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy.orm import Session

from core import clock, mail_events, pdf, reference, rules, storage
from core.calls import Call, get_call, load_calls
from core.fields import COMMITMENTS_STEP, FIELDS, STEP_TITLES, FieldInfo, field_info
from core.formatting import (
    ESS_STATUS_LABELS_FR,
    NOT_ANSWERED,
    STRUCTURE_TYPE_LABELS_FR,
    format_bool_fr,
    format_date_fr,
    format_eur,
    format_int,
)
from core.models import (
    Application,
    Declaration,
    Effect,
    EssStatus,
    Reason,
    Status,
    StructureType,
    Verdict,
)
from core.storage import ApplicationRecord, SubmissionRecord, User

SUBMIT_STEP = 5


def programme_choices(call: Call) -> list[str]:
    """Priority programmes offered in the multiple choice, from the call file."""
    return list(call.priority_programmes.names) if call.priority_programmes else []


class CallNotOpen(Exception):
    def __init__(self, call: Call, today: dt.date) -> None:
        if today < call.opens_on:
            text = f"ouvre le {format_date_fr(call.opens_on)}"
        else:
            text = f"est clos depuis le {format_date_fr(call.closes_on or today)}"
        super().__init__(
            f"L'appel « {call.short_title} » {text} : aucune candidature ne peut y "
            "être créée aujourd'hui."
        )


class InvalidAnswer(ValueError):
    """An answer the model cannot hold (wrong type, too long); the message is French."""

    def __init__(self, paths: list[str], too_long: dict[str, tuple[int, int]] | None = None):
        too_long = too_long or {}
        parts = [
            f"« {field_info(p).label} » accepte au plus {format_int(limit)} caractères (vous en "
            f"avez saisi {format_int(typed)}) : raccourcissez le texte pour qu'il soit enregistré."
            for p, (limit, typed) in too_long.items()
        ]
        others = [p for p in paths if p not in too_long]
        if others:
            labels = ", ".join(f"« {field_info(p).label} »" for p in others)
            parts.append(
                f"Réponse impossible à enregistrer pour {labels} : saisissez-la à nouveau."
            )
        super().__init__(" ".join(parts))


class CallOverview(NamedTuple):
    call: Call
    is_open: bool
    text: str  # French, e.g. "Ouvert depuis le 17 novembre 2020. Dépôt au fil de l'eau."


class NextStep(NamedTuple):
    step: int | None  # the step page to open, None when nothing is left to do
    text: str


class Problem(NamedTuple):
    step: int
    label: str
    message: str
    effect: Effect = Effect.INCOMPLETE


def calls_overview(today: dt.date) -> list[CallOverview]:
    """Every call with whether it is open today, in plain French."""
    result = []
    for call in load_calls().values():
        is_open = call.is_open(today)
        if today < call.opens_on:
            text = f"Ouvrira le {format_date_fr(call.opens_on)}."
        elif call.closes_on and today > call.closes_on:
            text = f"Clos depuis le {format_date_fr(call.closes_on)}."
        else:
            text = f"Ouvert depuis le {format_date_fr(call.opens_on)}."
            if call.closes_on:
                text += f" Clôture le {format_date_fr(call.closes_on)}."
            if call.closing_note:
                text += f" {call.closing_note}"
        result.append(CallOverview(call, is_open, text))
    return result


def open_draft(
    *, session: Session, user: User, call_id: str, today: dt.date, siret: str | None = None
) -> ApplicationRecord:
    """A new draft for an open call; DuplicateApplication when the SIRET already applied."""
    call = get_call(call_id)
    if not call.is_open(today):
        raise CallNotOpen(call, today)
    data = Application(call_id=call_id)
    if siret and siret.strip():
        data.structure.siret = siret
    return storage.create_application(session=session, user=user, call_id=call_id, data=data)


def verdict_for(record: ApplicationRecord, today: dt.date) -> Verdict:
    """A submitted application keeps the verdict frozen at submission; a draft is evaluated."""
    if record.submission is not None:
        return record.submission.verdict
    return rules.evaluate(record.data, get_call(record.call_id), today)


def load(
    *, session: Session, user: User, application_id: int, today: dt.date
) -> tuple[ApplicationRecord, Verdict]:
    """The stored application (NotFound if absent or not yours) and its verdict."""
    record = storage.get_application(session=session, user=user, application_id=application_id)
    return record, verdict_for(record, today)


def overview(
    *, session: Session, user: User, today: dt.date
) -> list[tuple[ApplicationRecord, Verdict, NextStep]]:
    """The user's applications, each with its verdict and what to do next."""
    result = []
    for record in storage.list_applications(session=session, user=user):
        verdict = verdict_for(record, today)
        result.append((record, verdict, next_step(record, verdict)))
    return result


def value_at(application: Application, path: str) -> Any:
    """The answer at a dotted path ("structure.siret", "commitments.<id>")."""
    section, _, leaf = path.partition(".")
    holder = getattr(application, section)
    if isinstance(holder, dict):
        return holder.get(leaf)
    return getattr(holder, leaf)


def apply_changes(application: Application, changes: Mapping[str, Any]) -> Application:
    """A copy of the application with answers replaced at dotted paths; InvalidAnswer if refused."""
    data = application.model_dump()
    for path, value in changes.items():
        section, _, leaf = path.partition(".")
        if section not in data or not leaf or "." in leaf:
            raise InvalidAnswer([path])
        if isinstance(value, str) and not value.strip():
            value = None  # an emptied text box means "not answered"
        data[section][leaf] = value
    try:
        return Application.model_validate(data)
    except ValidationError as exc:
        paths = sorted({".".join(str(p) for p in err["loc"][:2]) for err in exc.errors()})
        too_long = {
            ".".join(str(p) for p in err["loc"][:2]): (err["ctx"]["max_length"], len(err["input"]))
            for err in exc.errors()
            if err["type"] == "string_too_long"
        }
        raise InvalidAnswer(paths, too_long) from None


def update_draft(
    *,
    session: Session,
    user: User,
    application_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    today: dt.date,
) -> tuple[ApplicationRecord, Verdict]:
    """Save changed answers on top of the stored draft; StaleVersion if someone saved since."""
    record = storage.get_application(session=session, user=user, application_id=application_id)
    if not user.can_write(record):
        raise storage.Forbidden()  # even a change that would save nothing
    if record.status != "draft":
        raise storage.AlreadySubmitted()
    if record.version != expected_version:
        raise storage.StaleVersion()
    data = apply_changes(record.data, changes)
    call = get_call(record.call_id)
    verdict = rules.evaluate(data, call, today)
    if data == record.data:
        return record, verdict
    saved = storage.save_draft(
        session=session,
        user=user,
        application_id=application_id,
        data=data,
        expected_version=expected_version,
        verdict_status=verdict.status.value,
    )
    return saved, verdict


class DeclarationMissing(Exception):
    """The deposit is refused until the person who files names themself and certifies."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Avant de déposer : " + " ; ".join(problems) + ".")


def declaration_problems(declaration: Declaration) -> list[str]:
    """What the deposit's declaration still lacks, in French (empty when it is complete)."""
    problems = []
    if not declaration.signatory_name:
        problems.append("indiquez le nom et le prénom de la personne qui dépose")
    if not declaration.signatory_role:
        problems.append("indiquez sa fonction")
    if not declaration.certified:
        problems.append("cochez la case de certification")
    return problems


def submit(
    *,
    session: Session,
    user: User,
    application_id: int,
    expected_version: int,
    today: dt.date,
    declaration: Declaration,
) -> tuple[SubmissionRecord, bytes]:
    """Record who files, then evaluate, submit, render the PDF and record its hash, all in the
    caller's transaction.

    Refuses a declaration that is not complete (DeclarationMissing) and incomplete or
    ineligible applications (NotSubmittable). The PDF is generated at the submission instant,
    so pdf_for() renders the same bytes again later.
    """
    record = storage.get_application(session=session, user=user, application_id=application_id)
    if record.status != "draft":
        raise storage.AlreadySubmitted()
    problems = declaration_problems(declaration)
    if problems:
        raise DeclarationMissing(problems)
    call = get_call(record.call_id)
    verdict = rules.evaluate(record.data, call, today)
    if verdict.status not in storage.SUBMITTABLE:
        raise storage.NotSubmittable(verdict.status)
    # The declaration is part of the frozen snapshot (and so of the PDF).
    signed = declaration.model_copy(update={"certified_at": clock.now()})
    record = storage.save_draft(
        session=session,
        user=user,
        application_id=application_id,
        data=record.data.model_copy(update={"declaration": signed}),
        expected_version=expected_version,
        verdict_status=verdict.status.value,
    )
    submission = storage.submit_application(
        session=session,
        user=user,
        application_id=application_id,
        expected_version=record.version,
        verdict=verdict,
        call_version=call.version,
        commitments_version=call.commitments_version,
    )
    content = _submission_pdf(submission, call)
    storage.set_submission_pdf_hash(
        session=session, user=user, submission_id=submission.id, pdf_sha256=pdf.pdf_sha256(content)
    )
    # Same transaction: a deposit is never recorded without its acknowledgement, nor the reverse.
    mail_events.deposit_acknowledged(
        session=session, user=user, submission=submission, call=call, pdf=content
    )
    return submission.model_copy(update={"pdf_sha256": pdf.pdf_sha256(content)}), content


def _submission_pdf(submission: SubmissionRecord, call: Call) -> bytes:
    return pdf.render_application(
        submission.data,
        submission.verdict,
        call,
        dossier_number=submission.dossier_number,
        submitted_at=submission.submitted_at,
        generated_at=submission.submitted_at,
    )


def pdf_for(
    *, session: Session, user: User, application_id: int, today: dt.date, now: dt.datetime
) -> bytes:
    """The PDF of an application: the submitted one (same bytes as at submission) or a draft."""
    record = storage.get_application(session=session, user=user, application_id=application_id)
    call = get_call(record.call_id)
    if record.submission is not None:
        return _submission_pdf(record.submission, call)
    verdict = rules.evaluate(record.data, call, today)
    return pdf.render_application(record.data, verdict, call, generated_at=now)


def pdf_filename(record: ApplicationRecord) -> str:
    if record.submission is not None:
        return f"{record.submission.dossier_number}.pdf"
    return f"candidature-{record.id}-brouillon.pdf"


def step_of(path: str) -> int:
    return field_info(path).step


def ess_choices() -> list[EssStatus]:
    """ESS answers a company or cooperative can give (BY_STATUS is implied for associations)."""
    return list(EssStatus)


def field_reasons(verdict: Verdict, path: str) -> list[Reason]:
    """Reasons to show under the widget of this field (problems first)."""
    order = {Effect.INELIGIBLE: 0, Effect.INCOMPLETE: 1, Effect.TO_EXAMINE: 2, Effect.INFO: 3}
    found = [r for r in verdict.reasons if r.field == path and r.effect != Effect.INFO]
    return sorted(found, key=lambda r: order[r.effect])


def missing_by_step(verdict: Verdict) -> dict[int, list[FieldInfo]]:
    """Missing answers grouped by the step that asks them, in form order."""
    result: dict[int, list[FieldInfo]] = {}
    for path in verdict.missing:
        info = field_info(path)
        result.setdefault(info.step, []).append(info)
    return result


def problems(verdict: Verdict, call: Call | None = None) -> list[Problem]:
    """Everything that blocks submission, by step: missing answers, invalid ones, ineligibility."""
    texts = {c.id: c.text for c in call.commitments} if call else {}
    result: list[Problem] = []
    explained: set[str] = set()
    for reason in verdict.reasons:
        if reason.effect not in (Effect.INELIGIBLE, Effect.INCOMPLETE):
            continue
        path = reason.field
        step = step_of(path) if path else 1
        label = _label(path, texts) if path else "Candidature"
        result.append(Problem(step, label, reason.message, reason.effect))
        if path:
            explained.add(path)
    for path in verdict.missing:
        if path not in explained:
            result.append(Problem(step_of(path), _label(path, texts), "Réponse manquante."))
    return sorted(result, key=lambda p: p.step)


def _label(path: str, commitment_texts: Mapping[str, str]) -> str:
    if path.startswith("commitments."):
        text = commitment_texts.get(path.split(".", 1)[1])
        if text:
            return f"Engagement : {text.rstrip('.')}"
    return field_info(path).label


def next_step(record: ApplicationRecord, verdict: Verdict) -> NextStep:
    """What the applicant should do next, in French, and on which step."""
    if record.submission is not None:
        submitted_on = format_date_fr(record.submission.submitted_at.date())
        text = f"Déposée le {submitted_on} (dossier {record.submission.dossier_number})."
        if verdict.review_date:
            text += f" Examen prévu le {format_date_fr(verdict.review_date)}."
        return NextStep(SUBMIT_STEP, text)
    if verdict.status == Status.INELIGIBLE:
        blocking = [r for r in verdict.reasons if r.effect == Effect.INELIGIBLE]
        step = step_of(blocking[0].field) if blocking and blocking[0].field else 1
        return NextStep(
            step, f"Non éligible : voir les motifs à l'étape {step} — {STEP_TITLES[step]}."
        )
    if verdict.status == Status.INCOMPLETE:
        found = problems(verdict)
        step = found[0].step if found else 1
        count = len(verdict.missing)
        detail = f" ({count} réponse{'s' if count > 1 else ''} à compléter)" if count else ""
        return NextStep(step, f"À compléter : étape {step} — {STEP_TITLES[step]}{detail}.")
    return NextStep(SUBMIT_STEP, "Prête à être déposée : étape 5 — Récapitulatif et dépôt.")


def can_submit(record: ApplicationRecord, verdict: Verdict) -> bool:
    return record.status == "draft" and verdict.status in storage.SUBMITTABLE


def structure_type_choices(call: Call) -> list[StructureType]:
    """Every structure type, those the call funds first: others are choosable, to be told why."""
    funded = [t for t in StructureType if t in call.eligible_structure_types]
    return funded + [t for t in StructureType if t not in call.eligible_structure_types]


def _sources(sources: list[str]) -> str:
    return " ; ".join(dict.fromkeys(sources))


def _programmes_source(call: Call) -> str:
    programmes = call.priority_programmes
    return f" (Source : {programmes.source})" if programmes else ""


def help_text(path: str, call: Call, application: Application) -> str | None:
    """Help shown beside a question, quoting the call's sources where they answer it."""
    s = application.structure
    if path == "structure.siret":
        return (
            "14 chiffres : SIREN (9 chiffres) puis NIC (5 chiffres), tels qu'ils figurent sur "
            "l'avis de situation au répertoire SIRENE. Les espaces sont acceptés."
        )
    if path == "structure.structure_type":
        sources = [src for t in call.eligible_structure_types.values() for src in t.sources[:1]]
        return (
            "Choisissez le type qui décrit votre structure. Si elle ne peut pas candidater à cet "
            "appel, le panneau « Éligibilité » dit pourquoi et vers quoi se tourner. "
            f"(Source : {_sources(sources)})"
        )
    if path == "structure.legal_category":
        text = (
            "Facultatif. Code à 4 chiffres de la catégorie juridique INSEE (niveau III), indiqué "
            "sur l'avis de situation SIRENE. Laissez vide si vous ne le connaissez pas."
        )
        if s.structure_type is not None:
            codes = reference.categories_for_structure_type(s.structure_type)[:6]
            if codes:
                text += " Pour ce type de structure : " + ", ".join(
                    f"{c.code} ({c.label})" for c in codes
                )
                text += "."
        return text
    if path == "structure.ess":
        eligible = call.eligible_structure_types.get(s.structure_type) if s.structure_type else None
        sources = eligible.sources if eligible else []
        return (
            "Cet appel finance les structures de l'économie sociale et solidaire : une société "
            "doit en relever par son statut ou par l'agrément ESUS."
            + (f" (Source : {_sources(sources)})" if sources else "")
        )
    if path == "structure.department":
        text = "Département du siège de la structure."
        if call.overseas_uplift is not None:
            text += (
                f" En outre-mer, le montant par poste est majoré "
                f"({call.overseas_uplift.label_when_unset} ; {call.overseas_uplift.source})."
            )
        return text
    if path == "structure.france_services":
        return (
            "Les structures qui portent une France Services font l'objet d'une attention "
            "particulière ; le conseiller y vient en complément des agents d'accueil. "
            "(Source : Circulaire aux préfets, annexe 3)"
        )
    if path == "structure.qpv":
        return (
            "Votre structure intervient-elle dans un quartier prioritaire de la politique de la "
            f"ville ? Ces projets sont prioritaires.{_programmes_source(call)}"
        )
    if path == "structure.priority_programmes":
        return (
            "Programmes auxquels votre projet se rattache : ils sont prioritaires pour l'avis du "
            f"préfet.{_programmes_source(call)}"
        )
    if path == "contact.email":
        return "Adresse à laquelle l'ANCT vous écrira, par exemple prenom.nom@mairie.fr."
    if path == "contact.phone":
        return "10 chiffres (01 23 45 67 89) ou numéro international (+262 …)."
    if path == "posts.count":
        amount = call.amount_per_post
        ceiling = "au plus " if amount.is_ceiling else ""
        return (
            f"Entre {call.posts.min} et {call.posts.max} postes. Subvention de {ceiling}"
            f"{format_eur(amount.value)} par poste pour {amount.funded_months} mois. "
            f"(Source : {amount.source})"
        )
    if path == "posts.contract_months":
        durations = " ou ".join(str(m) for m in call.contract.months)
        return (
            f"Contrat de travail de {durations} mois ; la convention dure au plus "
            f"{call.contract.convention_max_months} mois. (Source : {call.contract.source})"
        )
    if path == "posts.start_date":
        return "Date à venir, au format JJ/MM/AAAA."
    if path == "posts.salary_top_up":
        return (
            "La structure rémunère le conseiller au moins au SMIC et peut compléter cette "
            f"rémunération, à sa charge. (Source : {call.contract.source})"
        )
    if path == "posts.places_of_activity":
        return (
            "Lieux où le conseiller exercera : mairie, médiathèque, France Services, permanences…"
        )
    if path in ("posts.consolidates_existing_posts", "posts.consolidation_details"):
        rule = call.consolidation
        return f"{rule.message} (Source : {rule.source})" if rule else None
    if path.startswith("posts.coordinator_"):
        rule = call.coordinator
        return f"{rule.message} (Source : {rule.source})" if rule else None
    if path.startswith("commitments."):
        texts = {c.id: c.source for c in call.commitments}
        source = texts.get(path.split(".", 1)[1])
        return f"Source : {source}" if source else None
    return None


class Answer(NamedTuple):
    step: int
    label: str
    text: str  # plain text (a user's answer): render it escaped, never as HTML


def recap(application: Application, call: Call) -> list[Answer]:
    """Every answer of the form in order, formatted in French for the summary step."""
    result = []
    s, p = application.structure, application.posts
    for info in FIELDS:
        if info.path == "structure.ess" and not rules.asks_ess(call, s.structure_type):
            continue
        if info.path == "posts.consolidation_details" and not p.consolidates_existing_posts:
            continue
        coordinator_detail = info.path.startswith("posts.coordinator_") and (
            info.path != "posts.coordinator_wanted"
        )
        if coordinator_detail and not p.coordinator_wanted:
            continue
        result.append(Answer(info.step, info.label, _answer_text(info.path, application)))
    for commitment in call.commitments:
        accepted = application.commitments.get(commitment.id) is True
        result.append(
            Answer(COMMITMENTS_STEP, commitment.text, "Accepté" if accepted else "Non accepté")
        )
    return result


def _answer_text(path: str, application: Application) -> str:
    value = value_at(application, path)
    if value is None or value == [] or value == "":
        return NOT_ANSWERED
    if path == "structure.structure_type":
        return STRUCTURE_TYPE_LABELS_FR[value]
    if path == "structure.ess":
        return ESS_STATUS_LABELS_FR[value]
    if path == "structure.department":
        dep = reference.department(value)
        return f"{dep.code} — {dep.name}" if dep else str(value)
    if path == "structure.legal_category":
        category = reference.legal_category(value)
        return f"{value} — {category.label}" if category else str(value)
    if path == "posts.contract_months":
        return f"{value} mois"
    if isinstance(value, bool):
        return format_bool_fr(value)
    if isinstance(value, dt.date):
        return format_date_fr(value)
    if isinstance(value, list):
        return " ; ".join(value)
    return str(value)


def tranche_lines(verdict: Verdict, call: Call) -> list[str]:
    """The payment schedule in French: "20 % — 20 000 € — dans le mois suivant …"."""
    lines = []
    for tranche, rule in zip(verdict.tranches, call.tranches, strict=False):
        amount = format_eur(tranche.amount_eur) if tranche.amount_eur is not None else None
        parts = [f"{tranche.percent} %", amount, rule.label]
        lines.append(" — ".join(part for part in parts if part))
    return lines
