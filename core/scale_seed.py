"""Seed a database with tens of thousands of fictitious applications, for load tests.

python -m core seed-scale --count 35000 --database-url sqlite:///data/scale.sqlite3

Rows go in with SQLAlchemy Core bulk inserts (one executemany per batch), not the ORM one by
one: 35,000 submitted applications take seconds, not minutes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from stdnum import luhn

from core import samples
from core.accounts import hash_password
from core.calls import Call, get_call
from core.db import ApplicationRow, AuditEventRow, SubmissionRow, UserRow, get_engine
from core.formatting import PARIS
from core.models import Application, StructureType
from core.reference import categories_for_structure_type, departments
from core.rules import asks_ess, evaluate
from core.storage import SUBMITTABLE, dossier_number, filter_columns

WAVE1 = "cnfs-2020-collectivites"
WAVE2 = "cnfs-2021-structures-privees"
BATCH = 5_000
APPLICATIONS_PER_OWNER = 10

# (type, weight, name pattern); {place} is a town, {dep} the department's name.
PUBLIC_TYPES: list[tuple[StructureType, int, str]] = [
    (StructureType.COMMUNE, 55, "Commune de {place}"),
    (StructureType.CCAS, 10, "CCAS de {place}"),
    (StructureType.COMMUNAUTE_DE_COMMUNES, 10, "Communauté de communes du pays de {place}"),
    (StructureType.COMMUNAUTE_AGGLOMERATION, 6, "Communauté d'agglomération de {place}"),
    (StructureType.CIAS, 4, "CIAS du pays de {place}"),
    (StructureType.SYNDICAT_MIXTE_OUVERT, 3, "Syndicat mixte numérique de {place}"),
    (StructureType.PETR, 3, "PETR du pays de {place}"),
    (StructureType.DEPARTEMENT, 2, "Département — {dep}"),
    (StructureType.METROPOLE, 2, "Métropole de {place}"),
    (StructureType.COMMUNAUTE_URBAINE, 2, "Communauté urbaine de {place}"),
    (StructureType.AUTRE_ETABLISSEMENT_PUBLIC_RATTACHE, 3, "Régie numérique de {place}"),
]
PRIVATE_TYPES: list[tuple[StructureType, int, str]] = [
    (StructureType.ASSOCIATION, 70, "Association Numérique pour tous — {place}"),
    (StructureType.STRUCTURE_ESS, 15, "Coopérative solidaire de {place}"),
    (StructureType.FONDATION, 5, "Fondation des Liens numériques — {place}"),
    (StructureType.COMPANY, 10, "Entreprise d'insertion numérique de {place}"),
]
PLACES = [
    "Saint-Étienne",
    "Évry-Courcouronnes",
    "Besançon",
    "Orléans",
    "Bourg-en-Bresse",
    "Châlons-en-Champagne",
    "Pontoise",
    "Aÿ-Champagne",
    "Lons-le-Saunier",
    "Saint-Denis",
    "Montreuil",
    "Bobigny",
    "Épinal",
    "Mâcon",
    "Quimper",
    "Périgueux",
    "Agen",
    "Béziers",
    "Nîmes",
    "Angoulême",
    "Châteauroux",
    "Vénissieux",
    "L'Haÿ-les-Roses",
    "Pointe-à-Pitre",
    "Fort-de-France",
    "Cayenne",
    "Mamoudzou",
    "Le Puy-en-Velay",
    "Saint-Brieuc",
    "Foix",
]


@dataclasses.dataclass(frozen=True)
class SeedReport:
    submitted: int
    drafts: int
    owners: int
    seconds: float


def fake_siret(n: int, public: bool) -> str:
    """A SIRET whose SIREN and SIRET keys are both valid (python-stdnum accepts it)."""
    siren8 = f"{(2 if public else 8)}{n % 10_000_000:07d}"
    siren = siren8 + luhn.calc_check_digit(siren8)
    nic4 = f"{n // 10_000_000 % 10_000:04d}"
    return siren + nic4 + luhn.calc_check_digit(siren + nic4)


def _weighted(
    rng: random.Random, options: Sequence[tuple[StructureType, int, str]]
) -> tuple[StructureType, str]:
    choice = rng.choices(options, weights=[w for _, w, _ in options])[0]
    return choice[0], choice[2]


def _moment(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    day = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
    local = dt.datetime.combine(day, dt.time(rng.randrange(7, 21), rng.randrange(60)), PARIS)
    return local.astimezone(dt.UTC)


def _application(
    rng: random.Random, n: int, call: Call, dep_code: str, dep_name: str, submitted_on: dt.date
) -> dict[str, Any]:
    """Answers a structure could submit to this call on that day (the rules decide)."""
    public = call.audience == "public"
    structure_type, pattern = _weighted(rng, PUBLIC_TYPES if public else PRIVATE_TYPES)
    place = rng.choice(PLACES)
    categories = categories_for_structure_type(structure_type)
    posts = rng.choices([1, 2, 3, 4, 5, 8, 10], weights=[50, 25, 12, 6, 4, 2, 1])[0]
    coordinator = posts >= 3 and rng.random() < 0.3
    consolidation = rng.random() < 0.05
    ess = None
    if asks_ess(call, structure_type):
        ess = rng.choice(["esus_agrement", "commercial_ess"])
    start = submitted_on + dt.timedelta(days=rng.randrange(15, 120))
    # Keyword arguments are drawn in order: the same seed gives the same applications.
    return samples.post_answers(
        call,
        **samples.section(
            "structure",
            siret=fake_siret(n, public),
            name=pattern.format(place=place, dep=dep_name),
            structure_type=structure_type.value,
            legal_category=categories[0].code if categories else None,
            department=dep_code,
            commune=place,
            address=f"{rng.randrange(1, 120)} rue de la République, {place}",
            france_services=rng.random() < 0.15,
            qpv=rng.random() < 0.2,
            ess=ess,
            priority_programmes=rng.sample(
                ["Action cœur de ville", "Petites villes de demain", "Territoires d'industrie"],
                k=rng.randrange(0, 2),
            ),
        ),
        **samples.section(
            "contact",
            name="Camille Lefèvre",
            role="Chargée de mission inclusion numérique",
            email=f"contact{n}@exemple-structure.fr",
            phone="0102030405",
        ),
        **samples.section(
            "posts",
            count=posts,
            contract_months=rng.choice(call.contract.months),
            start_date=start.isoformat(),
            salary_top_up=rng.random() < 0.3,
            places_of_activity=f"Médiathèque et maison France Services de {place}",
            candidate_identified=rng.random() < 0.2,
            consolidates_existing_posts=consolidation,
            consolidation_details="Contrat aidé arrivant à échéance" if consolidation else None,
            coordinator_wanted=coordinator,
            coordinator_count=1 if coordinator else None,
            coordinator_justification="Animation du réseau local" if coordinator else None,
            coordinator_scope=f"Communes du bassin de {place}" if coordinator else None,
        ),
    )


def _unfinished(rng: random.Random, data: dict[str, Any], call: Call) -> dict[str, Any]:
    """A draft as applicants leave them: often incomplete, sometimes the wrong call."""
    roll = rng.random()
    if roll < 0.4:
        ids = call.commitment_ids()
        data["commitments"] = {cid: True for cid in ids[: rng.randrange(len(ids))]}
    elif roll < 0.6:
        data["contact"]["phone"] = None
        data["posts"]["start_date"] = None
    elif roll < 0.7:
        others = PRIVATE_TYPES if call.audience == "public" else PUBLIC_TYPES
        data["structure"]["structure_type"] = _weighted(rng, others)[0].value
        data["structure"]["legal_category"] = None
    return data


def _next_id(conn: Connection, column: Any) -> int:
    return (conn.execute(select(func.max(column))).scalar() or 0) + 1


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def seed_scale(
    engine: Engine, *, count: int = 35_000, drafts: int = 0, seed: int = 2021
) -> SeedReport:
    """Insert `count` submitted applications and `drafts` drafts, all fictitious."""
    started = time.perf_counter()
    rng = random.Random(seed)
    wave1, wave2 = get_call(WAVE1), get_call(WAVE2)
    # Every department equally likely, except the 93: its agreement caps it at 80 posts, so
    # keep it near that figure for a realistic progress bar.
    deps = departments()
    weights = [0.1 if d.code == "93" else 1.0 for d in deps]
    total = count + drafts
    owners = max(1, -(-total // APPLICATIONS_PER_OWNER))
    # Fictitious owners nobody can log in as: a random password, thrown away.
    password_hash = hash_password(secrets.token_urlsafe(24))
    with engine.begin() as conn:
        first_user = _next_id(conn, UserRow.id)
        first_app = _next_id(conn, ApplicationRow.id)
        first_sub = _next_id(conn, SubmissionRow.id)
        created = dt.datetime(2020, 11, 17, 9, 0, tzinfo=dt.UTC)
        users = [
            {
                "id": first_user + i,
                "email": f"structure{first_user + i}@exemple-cnfs.fr",
                "name": f"Structure candidate {first_user + i}",
                "password_hash": password_hash,
                "role": "applicant",
                "session_version": 1,
                "created_at": created,
                "last_login_at": None,
            }
            for i in range(owners)
        ]
        apps, subs, events = [], [], []
        for i in range(total):
            app_id = first_app + i
            call = wave1 if rng.random() < 0.7 else wave2
            dep = rng.choices(deps, weights=weights)[0]
            start = max(call.opens_on, dt.date(2020, 11, 17))
            at = _moment(rng, start, dt.date(2021, 6, 30))
            day = at.astimezone(PARIS).date()
            raw = _application(rng, app_id, call, dep.code, dep.name, day)
            if i >= count:
                raw = _unfinished(rng, raw, call)
            answers = Application.model_validate(raw)
            # Every verdict is the rules' own, as of the day it was given.
            verdict = evaluate(answers, call, day)
            submitted = i < count and verdict.status in SUBMITTABLE
            data = answers.model_dump(mode="json")
            created_at = at - dt.timedelta(days=rng.randrange(0, 20), minutes=rng.randrange(600))
            apps.append(
                {
                    "id": app_id,
                    "call_id": call.id,
                    "owner_id": first_user + i % owners,
                    "status": "submitted" if submitted else "draft",
                    "data": data,
                    "verdict_status": verdict.status.value,
                    "subsidy_eur": verdict.subsidy_eur,
                    "version": 3 if submitted else 2,
                    "created_at": created_at,
                    "updated_at": at,
                    "submitted_at": at if submitted else None,
                    **filter_columns(answers),
                }
            )
            actor = first_user + i % owners
            events.append(
                {
                    "at": created_at,
                    "actor_id": actor,
                    "application_id": app_id,
                    "action": "created",
                    "detail": call.id,
                }
            )
            if submitted:
                number = dossier_number(app_id, at)
                subs.append(
                    {
                        "id": first_sub + i,
                        "application_id": app_id,
                        "dossier_number": number,
                        "submitted_at": at,
                        "data": data,
                        "verdict": verdict.model_dump(mode="json"),
                        "call_version": call.version,
                        "commitments_version": call.commitments_version,
                        "pdf_sha256": None,
                    }
                )
                events.append(
                    {
                        "at": at,
                        "actor_id": actor,
                        "application_id": app_id,
                        "action": "submitted",
                        "detail": f"{number} ({verdict.status.value})",
                    }
                )
        for table, rows in (
            (UserRow.__table__, users),
            (ApplicationRow.__table__, apps),
            (SubmissionRow.__table__, subs),
            (AuditEventRow.__table__, events),
        ):
            for batch in _batches(rows):
                conn.execute(insert(table), batch)
        if conn.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind: move them past the new rows.
            for name in ("users", "applications", "submissions"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    with engine.begin() as conn:
        # Planner statistics, as a database filled over months has them (PostgreSQL's
        # autovacuum may be off or not yet run): without them, the dashboard's GROUP BY sorts
        # on disk instead of hashing.
        conn.execute(text("ANALYZE"))
    return SeedReport(
        submitted=len(subs),
        drafts=total - len(subs),
        owners=owners,
        seconds=time.perf_counter() - started,
    )


def seed_scale_main(argv: Sequence[str]) -> int:
    """`python -m core seed-scale`: fill a database with fictitious applications."""
    parser = argparse.ArgumentParser(
        prog="python -m core seed-scale",
        description="Remplit une base de candidatures fictives (tests de charge).",
    )
    parser.add_argument("--count", type=int, default=35_000, help="candidatures déposées")
    parser.add_argument("--drafts", type=int, default=0, help="brouillons en plus")
    parser.add_argument("--seed", type=int, default=2021, help="graine du tirage aléatoire")
    parser.add_argument(
        "--database-url", help="base cible (par défaut CNFS_DATABASE_URL / la base de démo)"
    )
    args = parser.parse_args(list(argv))
    if args.count < 0 or args.drafts < 0:
        print("--count et --drafts doivent être positifs.", file=sys.stderr)
        return 2
    if args.database_url:
        engine = get_engine(args.database_url)
    else:
        from core.settings import get_settings

        engine = get_engine(get_settings(require_cookie_key=False).database_url)
    report = seed_scale(engine, count=args.count, drafts=args.drafts, seed=args.seed)
    print(
        f"{report.submitted} candidatures déposées et {report.drafts} brouillons insérés "
        f"({report.owners} comptes) en {report.seconds:.1f} s."
    )
    return 0
