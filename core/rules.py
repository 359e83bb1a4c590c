"""Eligibility rules: pure functions from (application, call, today) to an explained Verdict."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from stdnum.fr import siret as stdnum_siret

from core import identifiers, questionnaire, reference
from core.calls import Call
from core.formatting import count_fr, format_date_fr
from core.identifiers import compact_siret
from core.models import (
    Application,
    Effect,
    EssStatus,
    Reason,
    Status,
    StructureType,
    Tranche,
    Verdict,
)

AMI = "AMI collectivités"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE_RE = re.compile(r"^(?:0[0-9]{9}|\+[0-9]{8,15})$")  # ASCII digits only
PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
LEGAL_CATEGORY_RE = re.compile(r"^\d{4}$")
MAX_INVALID_FIELDS = 50
asks_ess = questionnaire.asks_ess


def coerce_application(data: Application | Any) -> tuple[Application, list[Reason]]:
    """Read any JSON-shaped input as a draft, dropping invalid answers with a reason for each."""
    if isinstance(data, Application):
        return data, []
    if not isinstance(data, Mapping):
        return Application(), [
            Reason(
                code="input.not_an_object",
                message="Le dossier reçu n'est pas un objet JSON : aucune réponse n'a pu être lue.",
                effect=Effect.INCOMPLETE,
            )
        ]
    cleaned: Any = _plain_copy(data)
    reasons: list[Reason] = []
    for _ in range(MAX_INVALID_FIELDS):
        try:
            return Application.model_validate(cleaned), reasons
        except ValidationError as exc:
            for err in exc.errors():
                path = ".".join(str(p) for p in err["loc"])
                if _drop(cleaned, err["loc"]):
                    reasons.append(
                        Reason(
                            code="input.invalid_value",
                            message=f"La réponse « {path} » n'est pas valable ; "
                            "saisissez-la à nouveau.",
                            effect=Effect.INCOMPLETE,
                            field=path,
                        )
                    )
                    break
            else:
                break
    return Application(), reasons + [
        Reason(
            code="input.unreadable",
            message="Le dossier reçu n'a pas pu être lu ; reprenez la saisie.",
            effect=Effect.INCOMPLETE,
        )
    ]


def _plain_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    return value


def _drop(data: Any, loc: tuple) -> bool:
    """Remove the value at loc (or its nearest droppable parent); False when nothing changed."""
    for depth in range(len(loc), 0, -1):
        parent = data
        try:
            for key in loc[: depth - 1]:
                parent = parent[key]
        except (KeyError, IndexError, TypeError):
            continue
        key = loc[depth - 1]
        if isinstance(parent, dict) and key in parent:
            del parent[key]
            return True
        if isinstance(parent, list) and isinstance(key, int) and key < len(parent):
            del parent[key]
            return True
    return False


def review_date(submitted_on: dt.date, day_of_month: int) -> dt.date:
    """Next review: before the review day, this month's; from that day on, next month's."""
    if submitted_on.day < day_of_month:
        return submitted_on.replace(day=day_of_month)
    year, month = divmod(submitted_on.month, 12)
    return dt.date(submitted_on.year + year, month + 1, day_of_month)


def tranches(subsidy_eur: int | None, call: Call) -> list[Tranche]:
    """Payment schedule; the last tranche takes the rounding remainder."""
    result: list[Tranche] = []
    paid = 0
    for i, rule in enumerate(call.tranches):
        amount: int | None = None
        if subsidy_eur is not None:
            last = i == len(call.tranches) - 1
            amount = subsidy_eur - paid if last else subsidy_eur * rule.percent // 100
            paid += amount
        result.append(
            Tranche(
                percent=rule.percent,
                amount_eur=amount,
                months_after_signature=rule.months_after_signature,
            )
        )
    return result


def normalize_phone(phone: str) -> str:
    return PHONE_SEPARATORS.sub("", phone)


class _Check:
    """Collects reasons, missing fields and flags while the rules run."""

    def __init__(self) -> None:
        self.reasons: list[Reason] = []
        self.missing: list[str] = []
        self.flags: list[str] = []
        # (amount, note) when the rule set computes the subsidy itself (budget calls).
        self.subsidy: tuple[int | None, str | None] | None = None

    def reason(
        self,
        code: str,
        message: str,
        sources: list[str] | None = None,
        effect: Effect = Effect.INFO,
        field: str | None = None,
    ) -> None:
        self.reasons.append(
            Reason(code=code, message=message, sources=sources or [], effect=effect, field=field)
        )

    def invalid(self, field: str, code: str, message: str, sources: list[str] | None = None):
        self.reason(code, message, sources, Effect.INCOMPLETE, field)
        self.need(field)

    def need(self, field: str) -> None:
        if field not in self.missing:
            self.missing.append(field)

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_call_open(check: _Check, call: Call, today: dt.date) -> None:
    if today < call.opens_on:
        check.reason(
            "call.not_open_yet",
            f"Cet appel ouvre le {format_date_fr(call.opens_on)} : vous pourrez déposer "
            "votre candidature à partir de cette date.",
            call.sources[:1],
            Effect.INELIGIBLE,
        )
    elif call.closes_on and today > call.closes_on:
        check.reason(
            "call.closed",
            f"Cet appel est clos depuis le {format_date_fr(call.closes_on)}.",
            call.sources[:1],
            Effect.INELIGIBLE,
        )


def _check_structure(check: _Check, app: Application, call: Call) -> None:
    s = app.structure
    if not _is_blank(s.siret):
        siret = compact_siret(s.siret)
        if not identifiers.is_ascii_digits(siret, 14):
            check.invalid(
                "structure.siret",
                "structure.siret_format",
                "Le SIRET compte 14 chiffres (SIREN à 9 chiffres + NIC à 5 chiffres) ; il "
                "figure sur l'avis de situation au répertoire SIRENE.",
            )
        elif not stdnum_siret.is_valid(siret):
            check.invalid(
                "structure.siret",
                "structure.siret_key",
                "Ce SIRET n'est pas valide (clé de contrôle incorrecte) : vérifiez chaque "
                "chiffre sur l'avis de situation SIRENE.",
            )
    if s.structure_type is not None:
        _check_structure_type(check, app, call)

    if not _is_blank(s.department):
        dep = reference.department(s.department)
        if dep is None:
            check.invalid(
                "structure.department",
                "structure.department_unknown",
                f"« {s.department} » n'est pas un code de département : saisissez par exemple "
                "01, 2A, 93 ou 974.",
            )
        else:
            uplift = call.overseas_uplift
            overseas = dep.overseas or (uplift is not None and dep.code in uplift.departments)
            if overseas or s.structure_type == StructureType.COLLECTIVITE_OUTRE_MER:
                check.flag("overseas")
            for agreement in call.territorial_agreements:
                if agreement.department == dep.code:
                    check.flag("territorial_agreement")
                    check.reason(
                        f"territory.agreement.{agreement.id}",
                        agreement.message,
                        [agreement.source],
                    )
    if s.france_services:
        check.flag("france_services")
        if call.france_services_notice:
            notice = call.france_services_notice
            check.reason("structure.france_services", notice.message, notice.sources)
    if s.qpv:
        check.flag("qpv")
    if s.priority_programmes:
        check.flag("priority_programmes")


def _check_structure_type(check: _Check, app: Application, call: Call) -> None:
    s = app.structure
    stype = s.structure_type
    assert stype is not None
    eligible = call.eligible_structure_types.get(stype)
    if eligible is None:
        redirect = call.redirects.get(stype, call.default_redirect)
        check.reason(
            "structure.type_not_eligible",
            redirect.message,
            redirect.sources,
            Effect.INELIGIBLE,
            "structure.structure_type",
        )
    else:
        check.reason("structure.type_eligible", eligible.legal_basis + ".", eligible.sources)
        if asks_ess(call, stype) and s.ess == EssStatus.NONE:
            check.reason(
                "structure.not_ess",
                "Cet appel finance les structures de l'économie sociale et solidaire : une "
                "société doit relever de l'ESS (statut de société de l'ESS ou agrément "
                "ESUS). Si vous l'obtenez, mettez à jour cette réponse.",
                eligible.sources,
                Effect.INELIGIBLE,
                "structure.ess",
            )
    _check_legal_category(check, s.legal_category, stype)


def _check_legal_category(check: _Check, code: str | None, stype: StructureType) -> None:
    if _is_blank(code):
        return
    assert code is not None
    code = code.strip()
    if not LEGAL_CATEGORY_RE.match(code):
        check.invalid(
            "structure.legal_category",
            "structure.legal_category_format",
            "La catégorie juridique INSEE compte 4 chiffres (par exemple 7210 pour une commune) "
            "; elle figure sur l'avis de situation SIRENE. Laissez vide si vous ne la "
            "connaissez pas.",
        )
        return
    compatible = reference.is_compatible(stype, code)
    if compatible is None:
        check.reason(
            "structure.legal_category_unknown",
            f"La catégorie juridique {code} ne figure pas dans notre table : l'instructeur la "
            "vérifiera.",
            ["INSEE, catégories juridiques (niveau III)"],
            Effect.TO_EXAMINE,
            "structure.legal_category",
        )
    elif not compatible:
        category = reference.legal_category(code)
        label = category.label if category else code
        check.reason(
            "structure.type_category_mismatch",
            f"Le type de structure choisi ne correspond pas à la catégorie juridique {code}, "
            f"« {label} » : corrigez l'un ou l'autre. La candidature reste non éligible "
            "tant que cette contradiction n'est pas levée.",
            ["INSEE, catégories juridiques (niveau III)"],
            Effect.INELIGIBLE,
            "structure.legal_category",
        )


def _check_contact(check: _Check, app: Application) -> None:
    c = app.contact
    if not _is_blank(c.email) and not EMAIL_RE.match(c.email or ""):
        check.invalid(
            "contact.email",
            "contact.email_invalid",
            "Cette adresse de courriel n'est pas valide : elle doit ressembler à "
            "prenom.nom@mairie.fr.",
        )
    if not _is_blank(c.phone) and not PHONE_RE.match(normalize_phone(c.phone or "")):
        check.invalid(
            "contact.phone",
            "contact.phone_invalid",
            "Ce numéro de téléphone n'est pas valide : saisissez 10 chiffres (01 23 45 67 89) "
            "ou un numéro international (+262 …).",
        )


def _check_posts(check: _Check, app: Application, call: Call, today: dt.date) -> None:
    p = app.posts
    rule = call.posts
    if rule is None or call.contract is None:
        return
    if p.count is None:
        pass  # missing answers come from the questionnaire
    elif p.count < rule.min:
        check.invalid(
            "posts.count",
            "posts.count_too_low",
            f"Demandez au moins {rule.min} poste{'s' if rule.min > 1 else ''}.",
            [rule.source],
        )
    elif p.count > rule.max:
        check.invalid(
            "posts.count",
            "posts.count_too_high",
            f"Cet appel permet d'indiquer au plus {rule.max} postes par candidature : pour "
            "un besoin supérieur, réduisez la demande et contactez l'ANCT.",
            [rule.source],
        )
    if p.contract_months is not None and p.contract_months not in call.contract.months:
        durations = " ou ".join(str(m) for m in call.contract.months)
        check.invalid(
            "posts.contract_months",
            "posts.contract_months_invalid",
            f"Choisissez un contrat de {durations} mois.",
            [call.contract.source],
        )
    if p.start_date is not None and p.start_date < today:
        check.invalid(
            "posts.start_date",
            "posts.start_date_past",
            "La date de démarrage souhaitée est passée : choisissez une date à venir.",
        )
    if p.consolidates_existing_posts:
        if call.consolidation is None:
            check.reason(
                "posts.consolidation_not_allowed",
                "Cet appel ne prévoit pas la consolidation de postes existants.",
                call.sources[:1],
                Effect.INELIGIBLE,
                "posts.consolidates_existing_posts",
            )
        else:
            check.flag("consolidation")
            check.reason(
                "posts.consolidation",
                call.consolidation.message,
                [call.consolidation.source],
                Effect.TO_EXAMINE,
                "posts.consolidates_existing_posts",
            )
    _check_coordinator(check, app, call)


def _check_coordinator(check: _Check, app: Application, call: Call) -> None:
    p = app.posts
    if not p.coordinator_wanted:
        return
    if call.coordinator is None:
        check.reason(
            "posts.coordinator_not_allowed",
            "Cet appel ne prévoit pas de poste de coordinateur : répondez « non ».",
            call.sources[:1],
            Effect.INCOMPLETE,
            "posts.coordinator_wanted",
        )
        return
    if p.coordinator_count is None:
        pass
    elif p.coordinator_count < 1:
        check.invalid(
            "posts.coordinator_count",
            "posts.coordinator_count_too_low",
            "Indiquez au moins un poste coordinateur, ou répondez « non » à la demande.",
        )
    elif p.count is not None and p.coordinator_count > p.count:
        check.invalid(
            "posts.coordinator_count",
            "posts.coordinator_count_above_posts",
            f"Les postes coordinateurs font partie des postes demandés : indiquez-en au plus "
            f"{p.count}, ou augmentez le nombre de postes.",
            [call.coordinator.source],
        )
    check.flag("coordinator")
    check.reason(
        "posts.coordinator",
        call.coordinator.message,
        [call.coordinator.source],
        Effect.TO_EXAMINE,
        "posts.coordinator_wanted",
    )


def _check_commitments(check: _Check, app: Application, call: Call) -> None:
    refused = [c for c in call.commitments if app.commitments.get(c.id) is not True]
    if refused and len(refused) < len(call.commitments):
        check.reason(
            "commitments.missing",
            f"Il reste {count_fr(len(refused), 'engagement')} à accepter sur "
            f"{len(call.commitments)} : "
            "tous sont nécessaires pour déposer la candidature.",
            sorted({c.source for c in refused}),
            Effect.INCOMPLETE,
            f"commitments.{refused[0].id}",
        )


def _subsidy(check: _Check, app: Application, call: Call) -> tuple[int | None, str | None]:
    if check.subsidy is not None:
        return check.subsidy
    count = app.posts.count
    amount = call.amount_per_post
    if amount is None or call.posts is None:
        return None, None
    if count is None or not call.posts.min <= count <= call.posts.max:
        return None, None
    notes = []
    if amount.note:
        notes.append(amount.note)
    if "overseas" in check.flags and call.overseas_uplift is not None:
        uplift = call.overseas_uplift
        if uplift.percent is None:
            notes.append(f"Montant de base, hors {uplift.label_when_unset}.")
        else:
            per_post = round(amount.value * (1 + uplift.percent / 100))
            return per_post * count, " ".join(notes) or None
    return amount.value * count, " ".join(notes) or None


def _status(reasons: list[Reason], missing: list[str]) -> Status:
    effects = {r.effect for r in reasons}
    if Effect.INELIGIBLE in effects:
        return Status.INELIGIBLE
    if missing or Effect.INCOMPLETE in effects:
        return Status.INCOMPLETE
    if Effect.TO_EXAMINE in effects:
        return Status.TO_EXAMINE
    return Status.ELIGIBLE


def evaluate_host_structure(app: Application, call: Call, today: dt.date) -> _Check:
    """Rules for calls whose applicants host salaried posts (CNFS-like calls)."""
    check = _Check()
    _check_call_open(check, call, today)
    _check_structure(check, app, call)
    _check_contact(check, app)
    _check_posts(check, app, call, today)
    _check_commitments(check, app, call)
    return check


# One rule set per kind of call; the call file names its kind.
RULESETS: dict[str, Callable[[Application, Call, dt.date], _Check]] = {
    "cnfs_host": evaluate_host_structure,
}


def evaluate(application: Application | Mapping[str, Any], call: Call, today: dt.date) -> Verdict:
    """Verdict of an application (complete or not) against a call, as of today. Never raises."""
    app, input_reasons = coerce_application(application)
    ruleset = RULESETS.get(call.kind)
    if ruleset is None:
        check = _Check()
        check.reason(
            "call.unknown_kind",
            "Les règles de cet appel ne sont pas encore disponibles : contactez l'ANCT.",
            effect=Effect.TO_EXAMINE,
        )
    else:
        check = ruleset(app, call, today)
        # What is required and when it is asked is the questionnaire's: the rules add the
        # answers they refuse.
        for path in questionnaire.missing(app, call):
            check.need(path)
    reasons = input_reasons + check.reasons
    missing = check.missing
    if ruleset is not None:
        missing = sorted(missing, key=questionnaire.form_order(call))
    subsidy, note = _subsidy(check, app, call)
    if subsidy is not None and call.amount_per_post and call.amount_per_post.is_ceiling:
        check.flag("subsidy_ceiling")
    return Verdict(
        status=_status(reasons, missing),
        reasons=reasons,
        missing=missing,
        subsidy_eur=subsidy,
        subsidy_note=note,
        tranches=tranches(subsidy, call),
        review_date=review_date(today, call.review.day_of_month) if call.review else None,
        flags=check.flags,
    )


# Other kinds register their rule set on import; they reuse the checks above.
from core import rules_cd93  # noqa: E402, F401
