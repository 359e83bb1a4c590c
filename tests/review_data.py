"""Applications for the reviewer tests, submitted through the applicant's real path."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from core import journey, storage
from core.models import Application
from core.scale_seed import fake_siret
from core.storage import User
from tests.builders import SIGNED, WAVE1, WAVE2, complete_application

TODAY = dt.date(2021, 2, 10)  # both waves open; next review on 15 February 2021


@dataclasses.dataclass
class Applications:
    saint_etienne: int  # commune, 42, 3 posts, France Services, submitted
    montreuil: int  # commune, 93, 2 posts, QPV, submitted
    association_93: int  # association (wave 2), 93, 1 post + coordinator wanted, submitted
    ccas_93: int  # CCAS, 93, 4 posts, submitted
    draft_93: int  # commune, 93, 5 posts, draft


def make_application(
    session: Session, owner: User, n: int, *, call_id: str = WAVE1, submit: bool = True, **changes
) -> int:
    """Create (and by default submit) a complete application with a unique SIRET."""
    public = call_id == WAVE1
    data: dict[str, Any] = complete_application(
        call_id, **{"structure.siret": fake_siret(900_000 + n, public), **changes}
    )
    record = storage.create_application(
        session=session, user=owner, call_id=call_id, data=Application.model_validate(data)
    )
    if submit:
        journey.submit(
            session=session,
            user=owner,
            application_id=record.id,
            expected_version=record.version,
            today=TODAY,
            declaration=SIGNED,
        )
    session.commit()
    return record.id


def populate(session: Session, owner: User) -> Applications:
    """Five applications covering the filters, both lists of the prefect's sheet and a draft."""
    return Applications(
        saint_etienne=make_application(
            session,
            owner,
            1,
            **{
                "structure.name": "Commune de Saint-Étienne",
                "structure.department": "42",
                "structure.commune": "Saint-Étienne",
                "structure.france_services": True,
                "structure.qpv": False,
                "posts.count": 3,
            },
        ),
        montreuil=make_application(session, owner, 2),
        association_93=make_application(
            session,
            owner,
            3,
            call_id=WAVE2,
            **{
                "structure.name": "Association Les Liens numériques",
                "posts.count": 1,
                "posts.coordinator_wanted": True,
                "posts.coordinator_count": 1,
                "posts.coordinator_justification": "Animer le réseau des médiateurs du 93",
                "posts.coordinator_scope": "Est Ensemble",
            },
        ),
        ccas_93=make_application(
            session,
            owner,
            4,
            **{
                "structure.name": "CCAS de Bobigny",
                "structure.structure_type": "ccas",
                "structure.legal_category": "7361",
                "structure.qpv": False,
                "posts.count": 4,
            },
        ),
        draft_93=make_application(
            session,
            owner,
            5,
            submit=False,
            **{"structure.name": "Commune de Bondy", "posts.count": 5},
        ),
    )


# The ANCT reviewer and the applicant of the browser tests that read applications.
BROWSER_REVIEWER = ("instructeur@anct.gouv.fr", "instructeur-2021-pas-simple")


@contextmanager
def reviewer_and_applicant(database_url: str) -> Iterator[tuple[Session, User]]:
    """A session on a fresh database holding an ANCT reviewer (both CNFS calls) and a confirmed
    applicant, yielded with that applicant; committed, then the engine let go (a server
    process, not the test, serves the database afterwards)."""
    from core import accounts
    from core.db import dispose_engine, get_engine, session_scope
    from core.storage import Role

    try:
        with session_scope(get_engine(database_url)) as session:
            accounts.create_user(
                session=session,
                email=BROWSER_REVIEWER[0],
                name="Instructeur ANCT",
                password=BROWSER_REVIEWER[1],
                role=Role.REVIEWER,
                calls="cnfs-2020-collectivites,cnfs-2021-structures-privees",
            )
            owner = accounts.create_user(
                session=session,
                email="dgs@ville-bondy.fr",
                name="Lou Bernard",
                password="deux-instances-2021",
                email_confirmed=True,  # an address confirmed before depositing
            )
            yield session, owner
    finally:
        dispose_engine(database_url)
