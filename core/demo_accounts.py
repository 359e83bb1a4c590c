"""The demo accounts, one per role, shown with their passwords on the login page in demo mode.

Apart from core.demo (which seeds them with sample applications) so that the login page reads
them without loading what seeding needs (the PDF renderer among it: 0.15 s of the first visit).
"""

from __future__ import annotations

from pydantic import BaseModel

from core.storage import Role

WAVE1 = "cnfs-2020-collectivites"
WAVE2 = "cnfs-2021-structures-privees"
CD93 = "cd93-2021-numerique-inclusif"


class DemoAccount(BaseModel):
    email: str
    name: str
    role: Role
    password: str
    label: str  # shown on the login page
    shown: bool = True
    departments: tuple[str, ...] = ()  # prefecture accounts
    calls: tuple[str, ...] = ()  # reviewer accounts


DEMO_ACCOUNTS = [
    DemoAccount(
        email="mairie@demo.cnfs.fr",
        name="Secrétariat de mairie de Saint-Denis",
        role=Role.APPLICANT,
        password="Mairie-demo-2021",  # noqa: S106 (published demo password)
        label="Mairie (collectivité candidate)",
    ),
    DemoAccount(
        email="asso@demo.cnfs.fr",
        name="Association Liens numériques 93",
        role=Role.APPLICANT,
        password="Asso-demo-2021",  # noqa: S106 (published demo password)
        label="Association (vague 2)",
    ),
    DemoAccount(
        email="anct@demo.cnfs.fr",
        name="Instructeur ANCT",
        role=Role.REVIEWER,
        password="Anct-demo-2021",  # noqa: S106 (published demo password)
        label="Instructeur ANCT (lecture seule, appels CNFS)",
        calls=(WAVE1, WAVE2),
    ),
    DemoAccount(
        email="departement93@demo.cnfs.fr",
        name="Instructeur du Département de la Seine-Saint-Denis",
        role=Role.REVIEWER,
        password="Departement-demo-2021",  # noqa: S106 (published demo password)
        label="Instructeur du Département 93 (AMI Numérique inclusif)",
        calls=(CD93,),
    ),
    DemoAccount(
        email="prefecture93@demo.cnfs.fr",
        name="Préfecture de la Seine-Saint-Denis",
        role=Role.PREFECTURE,
        password="Prefecture-demo-2021",  # noqa: S106 (published demo password)
        label="Préfecture de la Seine-Saint-Denis (avis, 93)",
        departments=("93",),
    ),
]
