"""Demo data: five accounts to try the portal and about ten applications in several states.

Seeded only in demo mode and only into an empty users table. Structures are fictitious; SIRETs
are well-formed (valid check key) but not looked up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import accounts, clock, journey, samples, storage
from core.calls import get_call
from core.demo_accounts import CD93, DEMO_ACCOUNTS, WAVE1, WAVE2
from core.models import Application, Declaration
from core.rules import evaluate
from core.storage import Role, User

# Owners of the other sample applications; not advertised on the login page.
_OTHER_OWNERS = {
    "est-ensemble": "numerique@demo-est-ensemble.fr",
    "bobigny": "ccas@demo-bobigny.fr",
    "lyon": "mediation@demo-lyon.fr",
    "marseille": "inclusion@demo-marseille.fr",
    "cayenne": "mairie@demo-cayenne.fr",
    "creuse": "cc@demo-creuse.fr",
    "nord": "numerique@demo-nord.fr",
    "plaine-commune": "inclusion@demo-plaine-commune.fr",
    "grand-paris-grand-est": "numerique@demo-gpge.fr",
}


# How every demo contact is reached; core.samples gives the rest of each application.
_CONTACT = {"email": "contact@exemple.fr", "phone": "01 23 45 67 89"}
_CONTACT_CNFS = {"role": "Chargé(e) de mission inclusion numérique", **_CONTACT}


def _structure(
    siret: str, name: str, stype: str, category: str, dept: str, commune: str, **extra: Any
) -> dict[str, Any]:
    """Changes to the sample structure (core.samples) for one demo structure."""
    return samples.section(
        "structure",
        **{
            "siret": siret,
            "name": name,
            "structure_type": stype,
            "legal_category": category,
            "department": dept,
            "commune": commune,
            "address": f"Hôtel de ville, {commune}",
            "france_services": False,
            "qpv": False,
            "ess": None,
            **extra,
        },
    )


def _complete(call_id: str, structure: dict, contact_name: str, today: dt.date, **posts: Any):
    """The sample answers to a CNFS call, as this demo structure gives them."""
    return samples.answers(
        call_id,
        **structure,
        **samples.section("contact", name=contact_name, **_CONTACT_CNFS),
        **samples.section(
            "posts",
            **{
                "count": 1,
                "start_date": (today + dt.timedelta(days=60)).isoformat(),
                "places_of_activity": "Médiathèque et maison France Services",
                **posts,
            },
        ),
    )


def demo_document(title: str) -> bytes:
    """A small, real PDF standing for a joined document of the demo (same bytes every run)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2021, 6, 1, tzinfo=dt.UTC))
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, "Document de démonstration", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, title)
    return bytes(pdf.output())


def demo_attachment(title: str) -> dict[str, Any]:
    """The exchange format's reference to demo_document(title): name, size, SHA-256, type."""
    import hashlib

    data = demo_document(title)
    filename = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-") + ".pdf"
    return {
        "filename": filename[:80],
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "media_type": "application/pdf",
    }


def _project(
    siret: str, name: str, commune: str, territory: str, *, budget: int, **targets: int
) -> dict[str, Any]:
    """A Département 93 AMI project carried by an association of the territory."""
    call = get_call(CD93)
    territory_name = call.option_label("territories", territory) or territory
    titles = {
        "ept_support_letter": f"Lettre de soutien de l'EPT {territory_name}",
        "project_description": f"Description du projet {name}",
        "budget": f"Budget du projet {name}",
    }
    return samples.answers(
        call,
        attach=lambda spec: demo_attachment(titles.get(spec.id, f"{spec.label} — {name}")),
        **samples.section(
            "structure",
            siret=siret,
            name=name,
            commune=commune,
            address=f"Maison des associations, {commune}",
        ),
        **samples.section(
            "contact", name="Samia Benali", role="Coordinatrice du consortium", **_CONTACT
        ),
        **samples.section(
            "project",
            territory=territory,
            summary=(
                "Diagnostic individuel des usages, équipement reconditionné localement, "
                "connexion de six mois, orientation vers les ateliers du territoire et passage "
                "de la certification PIX."
            ),
            consortium=[
                {"name": "Atelier du réemploi", "siret": "83456789300013", "role": "Équipement"},
                {"name": "Médiation Numérique 93", "siret": "79123456000013", "role": "Ateliers"},
            ],
            network="EPT, PLIE, missions locales, médiathèques et conseillers numériques.",
            target_publics=["rsa", "long_term_unemployed", "mission_locale_youth"],
            prescribers=["pie", "missions_locales", "pole_emploi_cap_emploi"],
            budget_eur=budget,
            coordination_budget_eur=12_000,
        ),
        **samples.section("project.targets", **targets),
    )


def _cd93_samples() -> list[tuple[str, str, dict[str, Any], bool]]:
    """A draft of the association demo account and two projects submitted (T6, T9)."""
    draft = _project(
        "81234567600017", "Association Liens numériques 93", "Montreuil", "T8", budget=150_000
    )
    draft["project"]["consortium"] = []
    draft["attachments"] = {}
    draft["commitments"] = {}
    return [
        ("asso@demo.cnfs.fr", CD93, draft, False),
        (
            "plaine-commune",
            CD93,
            _project(
                "82345678500018",
                "Association Connexions Plaine",
                "Saint-Denis",
                "T6",
                budget=185_000,
            ),
            True,
        ),
        (
            "grand-paris-grand-est",
            CD93,
            _project(
                "84567890300012",
                "Réseau Solidaire Est 93",
                "Clichy-sous-Bois",
                "T9",
                budget=176_500,
                oriented=140,
            ),
            True,
        ),
    ]


def _samples(today: dt.date) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(owner key, call, application, submit?) for each sample application."""
    return [
        (
            "mairie@demo.cnfs.fr",
            WAVE1,
            _complete(
                WAVE1,
                _structure(
                    "21930066200018",
                    "Commune de Saint-Denis",
                    "commune",
                    "7210",
                    "93",
                    "Saint-Denis",
                    qpv=True,
                ),
                "Camille Martin",
                today,
                count=3,
            ),
            True,
        ),
        (
            "mairie@demo.cnfs.fr",
            WAVE1,
            {  # a draft just started: the applicant still has questions to answer
                "call_id": WAVE1,
                "structure": {
                    "name": "CCAS de Saint-Denis",
                    "structure_type": "ccas",
                    "department": "93",
                    "commune": "Saint-Denis",
                },
            },
            False,
        ),
        (
            "asso@demo.cnfs.fr",
            WAVE2,
            _complete(
                WAVE2,
                _structure(
                    "41234567000019",
                    "Association Liens numériques 93",
                    "association",
                    "9220",
                    "93",
                    "Montreuil",
                    ess="by_status",
                    qpv=True,
                ),
                "Samia Benali",
                today,
                count=2,
            ),
            False,
        ),
        (
            "asso@demo.cnfs.fr",
            WAVE1,  # an association in the collectivités call: the verdict redirects it
            _complete(
                WAVE1,
                _structure(
                    "41234567000019",
                    "Association Liens numériques 93",
                    "association",
                    "9220",
                    "93",
                    "Montreuil",
                ),
                "Samia Benali",
                today,
            ),
            False,
        ),
        (
            "est-ensemble",
            WAVE1,
            _complete(
                WAVE1,
                _structure(
                    "20005787500011",
                    "Est Ensemble",
                    "ept",
                    "7353",
                    "93",
                    "Romainville",
                    france_services=True,
                ),
                "Julien Morel",
                today,
                count=6,
                coordinator_wanted=True,
                coordinator_count=1,
                coordinator_justification="Animer le réseau des conseillers des neuf villes.",
                coordinator_scope="Territoire d'Est Ensemble (T8)",
            ),
            True,
        ),
        (
            "bobigny",
            WAVE1,
            _complete(
                WAVE1,
                _structure(
                    "26930008300012",
                    "CCAS de Bobigny",
                    "ccas",
                    "7361",
                    "93",
                    "Bobigny",
                    qpv=True,
                ),
                "Nadia Haddad",
                today,
                count=2,
            ),
            True,
        ),
        (
            "lyon",
            WAVE1,
            _complete(
                WAVE1,
                _structure("21690123100011", "Commune de Lyon", "commune", "7210", "69", "Lyon"),
                "Pierre Girard",
                today,
                count=4,
            ),
            False,
        ),
        (
            "marseille",
            WAVE1,
            _complete(
                WAVE1,
                _structure(
                    "21130055300016",
                    "Commune de Marseille",
                    "commune",
                    "7210",
                    "13",
                    "Marseille",
                    france_services=True,
                    qpv=True,
                ),
                "Léa Fabre",
                today,
                count=5,
                contract_months=36,
            ),
            True,
        ),
        (
            "cayenne",
            WAVE1,
            _complete(
                WAVE1,
                _structure(
                    "21973020700012", "Commune de Cayenne", "commune", "7210", "973", "Cayenne"
                ),
                "Marc Joseph",
                today,
                count=2,
            ),
            True,
        ),
        (
            "creuse",
            WAVE1,
            _complete(
                WAVE1,
                _structure(
                    "20006743700018",
                    "Communauté de communes Creuse Sud-Ouest",
                    "communaute_de_communes",
                    "7346",
                    "23",
                    "Bourganeuf",
                ),
                "Anne Roux",
                today,
                count=1,
                consolidates_existing_posts=True,
                consolidation_details="Pérennisation d'un poste de médiateur en contrat aidé.",
            ),
            True,
        ),
        (
            "nord",
            WAVE1,
            _complete(
                WAVE1,
                _structure(
                    "22590001800014", "Département du Nord", "departement", "7220", "59", "Lille"
                ),
                "Thomas Lefebvre",
                today,
                count=10,
            ),
            False,
        ),
    ]


def _create_accounts(session: Session) -> dict[str, User]:
    users: dict[str, User] = {}
    for account in DEMO_ACCOUNTS:
        users[account.email] = accounts.create_user(
            session=session,
            email=account.email,
            name=account.name,
            password=account.password,
            role=account.role,
            email_confirmed=True,
            departments=account.departments,
            calls=account.calls or None,
            known_calls_only=False,  # CD93 may not be loaded yet: its reviewer then sees nothing
        )
    for key, email in _OTHER_OWNERS.items():
        users[key] = accounts.create_user(
            session=session,
            email=email,
            name=key.replace("-", " ").title(),
            password=DEMO_ACCOUNTS[0].password,
            role=Role.APPLICANT,
            email_confirmed=True,
        )
    return users


def _deposit_day(call: Any, today: dt.date) -> dt.date:
    if call.closes_on is None:
        return today
    return min(max(today, call.opens_on), call.closes_on)


def seed_demo(*, session: Session, today: dt.date | None = None) -> bool:
    """Create demo accounts and applications if there is no account yet; True if seeded."""
    if accounts.count_users(session=session) > 0:
        return False
    today = today or clock.today()
    try:
        users = _create_accounts(session)
    except (accounts.AccountError, IntegrityError):
        # Another session seeded at the same moment.
        session.rollback()
        return False
    for owner, call_id, raw, submit in _samples(today) + _cd93_samples():
        user = users[owner]
        data = Application.model_validate(raw)
        call = get_call(call_id)
        # A call with a deposit deadline is judged on a day of its deposit period, as if the
        # sample had been filed then (its verdict stays the rules', never written by hand).
        verdict = evaluate(data, call, _deposit_day(call, today))
        record = storage.create_application(session=session, user=user, call_id=call_id, data=data)
        record = storage.save_draft(
            session=session,
            user=user,
            application_id=record.id,
            data=data,
            expected_version=record.version,
            verdict_status=verdict.status.value,
            subsidy_eur=verdict.subsidy_eur,
        )
        if submit and verdict.status in storage.SUBMITTABLE:
            # Filed as an applicant files: signed declaration, PDF and its hash, and the
            # acknowledgement in the outbox (the demo mailbox shows it; the recap says so).
            journey.submit(
                session=session,
                user=user,
                application_id=record.id,
                expected_version=record.version,
                today=_deposit_day(call, today),
                declaration=Declaration(
                    signatory_name=data.contact.name,
                    signatory_role=data.contact.role,
                    certified=True,
                ),
            )
    session.flush()
    return True
