"""Accounts: registration rules, bcrypt hashes, the users command, demo seeding."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core import accounts, demo, storage
from core.accounts import AccountError
from core.db import UserRow
from core.storage import Role
from core.users_cli import users_main
from tests.conftest import TEST_PASSWORD


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("court-1", "au moins 12 caractères (il en a 7)"),
        ("seulementdeslettres", "ne doit pas contenir que des lettres"),
        ("Des Lettres Et Espaces", "ne doit pas contenir que des lettres"),
        ("é" * 36 + "-1", "trop long : 74 octets, au plus 72"),
    ],
)
def test_password_rules_each_have_a_french_message(password, message):
    problems = accounts.password_problems(password)
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    "password",
    [
        "mot-de-passe-2021",
        "cheval-agrafe-batterie-7",
        "Lorem-ipsum-dolor-sit-amet-consectetur-adipiscing-elit-sed-do-eiusmod-1",  # 72 bytes
        "é-ça-où-garçon-forêt-hibou-lac-pré-ténu-1",  # accents count double, still <= 72
    ],
)
def test_acceptable_passwords(password):
    assert accounts.password_problems(password) == []


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "123456789012",
        "azertyuiop12",
        "motdepasse123",
        "soleil123456",
        "a" * 71 + "1",
    ],
)
def test_common_or_guessable_passwords_are_refused_in_french(password):
    problems = accounts.password_problems(password)
    assert len(problems) == 1
    assert problems[0].startswith("Ce mot de passe est trop courant ou trop facile à deviner")


def test_every_broken_rule_is_reported_at_once(session):
    with pytest.raises(AccountError) as exc:
        accounts.create_user(session=session, email="a@b.fr", name="A", password="abc")
    assert "au moins 12" in str(exc.value)
    assert "que des lettres" in str(exc.value)


def test_password_is_stored_as_a_bcrypt_hash(session, applicant):
    row = session.execute(select(UserRow).where(UserRow.id == applicant.id)).scalar_one()
    assert row.password_hash.startswith("$2b$")
    assert "mot-de-passe" not in row.password_hash
    assert accounts.verify_password("mot-de-passe-2021", row.password_hash)
    assert not accounts.verify_password("mot-de-passe-2022", row.password_hash)


def test_production_cost_is_bcrypt_default(monkeypatch):
    monkeypatch.undo()  # conftest lowers the cost to 4 for speed
    assert accounts.BCRYPT_ROUNDS >= 12


def test_registration_creates_an_applicant_with_normalised_email(session):
    user = accounts.create_user(
        session=session,
        email="  Secretariat@Mairie-Exemple.FR ",
        name=" Camille Martin ",
        password="mot-de-passe-2021",
    )
    assert (user.email, user.name, user.role) == (
        "secretariat@mairie-exemple.fr",
        "Camille Martin",
        Role.APPLICANT,
    )


def test_one_account_per_address_whatever_the_case(session, applicant):
    with pytest.raises(AccountError, match="existe déjà"):
        accounts.create_user(
            session=session,
            email=applicant.email.upper(),
            name="Autre",
            password="mot-de-passe-2021",
        )


@pytest.mark.parametrize("email", ["", "pas-une-adresse", "a@b", "a b@c.fr"])
def test_invalid_addresses_are_refused(session, email):
    with pytest.raises(AccountError, match="Adresse électronique invalide"):
        accounts.create_user(session=session, email=email, name="A", password="mot-de-passe-2021")


# --- python -m core users ----------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, database_url, engine):
    monkeypatch.setenv("CNFS_DATABASE_URL", database_url)
    monkeypatch.setenv("CNFS_DEMO", "0")
    monkeypatch.delenv("CNFS_COOKIE_KEY", raising=False)  # the CLI sets no cookie
    return database_url


def test_cli_adds_a_reviewer_from_stdin_and_lists_it(cli_env, monkeypatch, capsys, session):
    monkeypatch.setattr("sys.stdin", io.StringIO("instructeur-anct-2021\n"))
    code = users_main(
        [
            "add",
            "--role",
            "reviewer",
            "--email",
            "instructeur@anct.gouv.fr",
            "--name",
            "Instructeur ANCT",
            "--calls",
            "cnfs-2021-structures-privees, cnfs-2020-collectivites",
            "--password-stdin",
        ]
    )
    assert code == 0
    assert (
        "Compte créé : instructeur@anct.gouv.fr (Instructeur (ANCT), appels "
        "cnfs-2020-collectivites, cnfs-2021-structures-privees)" in capsys.readouterr().out
    )
    user = accounts.get_user_by_email(session=session, email="instructeur@anct.gouv.fr")
    assert user.role == Role.REVIEWER
    assert user.calls == ("cnfs-2020-collectivites", "cnfs-2021-structures-privees")
    assert users_main(["list"]) == 0
    assert (
        "reviewer\tinstructeur@anct.gouv.fr\tInstructeur ANCT\t"
        "cnfs-2020-collectivites,cnfs-2021-structures-privees" in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "doit être rattaché aux appels qu'il instruit"),
        (["--calls", "cnfs-2020-collectivites,cnfs-2022"], "Appel inconnu : « cnfs-2022 »"),
    ],
)
def test_cli_refuses_a_reviewer_without_known_calls(cli_env, monkeypatch, capsys, extra, message):
    monkeypatch.setattr("sys.stdin", io.StringIO("instructeur-anct-2021\n"))
    args = ["add", "--role", "reviewer", "--email", "i@anct.gouv.fr", "--name", "I"]
    assert users_main([*args, *extra, "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert message in err
    # The operator is told which ids exist.
    known = "cnfs-2020-collectivites, cnfs-2021-structures-privees, cd93-2021-numerique-inclusif"
    assert f"Appels connus : {known}." in err


@pytest.mark.parametrize("role", ["admin", "prefecture", "applicant"])
def test_cli_gives_calls_to_reviewers_only(cli_env, monkeypatch, capsys, role):
    monkeypatch.setattr("sys.stdin", io.StringIO("compte-portail-2021\n"))
    args = ["add", "--role", role, "--email", "x@anct.gouv.fr", "--name", "X"]
    extra = ["--departments", "93"] if role == "prefecture" else []
    code = users_main([*args, *extra, "--calls", "cnfs-2020-collectivites", "--password-stdin"])
    assert code == 2
    assert "Seuls les comptes instructeur sont rattachés à des appels" in capsys.readouterr().err


def test_cli_changes_the_calls_of_a_reviewer(cli_env, capsys, session, reviewer):
    from core import auth

    email = reviewer.email
    version = auth.session_version(session=session, user_id=reviewer.id)
    code = users_main(["set-calls", "--email", email, "--calls", "cnfs-2021-structures-privees"])
    assert code == 0
    assert f"Appels instruits par {email} : cnfs-2021-structures-privees." in (
        capsys.readouterr().out
    )
    # The next page load of an open session reads the new scope.
    fresh = auth.check_session(session=session, user_id=reviewer.id, version=version)
    assert fresh.calls == ("cnfs-2021-structures-privees",)
    assert users_main(["set-calls", "--email", email, "--calls", "inconnu"]) == 2
    assert "Appel inconnu : « inconnu »" in capsys.readouterr().err
    assert users_main(["set-calls", "--email", "personne@anct.gouv.fr", "--calls", "x"]) == 2
    assert "Aucun compte avec l'adresse" in capsys.readouterr().err


def test_cli_will_not_scope_an_admin_by_call(cli_env, capsys, admin):
    code = users_main(["set-calls", "--email", admin.email, "--calls", "cnfs-2020-collectivites"])
    assert code == 2
    assert "un administrateur voit tous les appels" in capsys.readouterr().err


def test_cli_lists_an_admin_as_seeing_every_call(cli_env, capsys, admin):
    assert users_main(["list"]) == 0
    assert f"admin\t{admin.email}\tAdministrateur\ttous les appels" in capsys.readouterr().out


def test_cli_adds_a_prefecture_scoped_to_its_departments(cli_env, monkeypatch, capsys, session):
    monkeypatch.setattr("sys.stdin", io.StringIO("prefecture-93-2021\n"))
    code = users_main(
        [
            "add", "--role", "prefecture", "--departments", "93, 95",
            "--email", "pref@seine-saint-denis.gouv.fr", "--name", "Préfecture 93",
            "--password-stdin",
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "(Services préfectoraux, départements 93, 95)" in out
    user = accounts.get_user_by_email(session=session, email="pref@seine-saint-denis.gouv.fr")
    assert (user.role, user.departments) == (Role.PREFECTURE, ("93", "95"))
    assert users_main(["list"]) == 0
    assert "prefecture\tpref@seine-saint-denis.gouv.fr\tPréfecture 93\t93,95" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [([], "au moins un département"), (["--departments", "93,9x"], "Département inconnu")],
)
def test_cli_refuses_a_prefecture_without_valid_departments(
    cli_env, monkeypatch, capsys, extra, message
):
    monkeypatch.setattr("sys.stdin", io.StringIO("prefecture-93-2021\n"))
    args = ["add", "--role", "prefecture", "--email", "p@pref.gouv.fr", "--name", "P"]
    assert users_main([*args, *extra, "--password-stdin"]) == 2
    assert message in capsys.readouterr().err


def test_cli_says_a_missing_scope_before_asking_the_password(cli_env, monkeypatch, capsys):
    def no_prompt(prompt=""):
        raise AssertionError("password asked")

    monkeypatch.setattr("getpass.getpass", no_prompt)
    assert (
        users_main(["add", "--role", "reviewer", "--email", "i@anct.gouv.fr", "--name", "I"]) == 2
    )
    assert "--calls" in capsys.readouterr().err


def test_cli_prompts_for_the_password_twice(cli_env, monkeypatch):
    answers = iter(["admin-portail-2021", "admin-portail-2021"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code = users_main(["add", "--role", "admin", "--email", "admin@anct.gouv.fr", "--name", "A"])
    assert code == 0


def test_cli_refuses_a_weak_password_in_french(cli_env, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("faible\n"))
    args = ["add", "--email", "x@anct.gouv.fr", "--name", "X", "--calls", "cnfs-2020-collectivites"]
    code = users_main([*args, "--password-stdin"])
    assert code == 2
    assert "Erreur : Le mot de passe doit contenir au moins 12" in capsys.readouterr().err


# --- demo data ---------------------------------------------------------------------------------


def test_demo_seeds_an_empty_database_once(session):
    assert demo.seed_demo(session=session)
    session.commit()
    assert not demo.seed_demo(session=session)
    reviewer = accounts.get_user_by_email(session=session, email="anct@demo.cnfs.fr")
    assert reviewer.role == Role.REVIEWER
    assert reviewer.calls == ("cnfs-2020-collectivites", "cnfs-2021-structures-privees")
    records = storage.list_applications(session=session, user=reviewer)
    assert len(records) >= 10
    statuses = {r.status for r in records}
    assert statuses == {"draft", "submitted"}
    assert "93" in {r.data.structure.department for r in records}
    assert len({r.data.structure.structure_type for r in records}) >= 5
    for record in records:
        if record.submission:
            assert record.submission.verdict.status in storage.SUBMITTABLE


def test_demo_dossiers_are_filed_as_an_applicant_files_them(session):
    # Their recap would otherwise say « L'accusé de réception … n'a pas été enregistré ».
    from core import mail_events, outbox

    demo.seed_demo(session=session)
    session.commit()
    session.expire_all()  # read back as the pages do, in a later transaction
    reviewer = accounts.get_user_by_email(session=session, email="anct@demo.cnfs.fr")
    submitted = [
        r for r in storage.list_applications(session=session, user=reviewer) if r.submission
    ]
    assert submitted
    for record in submitted:
        assert record.submission.pdf_sha256
        assert record.data.declaration.certified
        acknowledgement = outbox.latest(
            session=session,
            kind=mail_events.DEPOSIT_ACKNOWLEDGEMENT,
            application_id=record.id,
            outbox_only=True,
        )
        assert acknowledgement is not None
        assert acknowledgement.recipients


def test_demo_departement_reviewer_reads_only_its_own_call(session):
    # Its call may not be loaded yet: the stored scope then shows it nothing, without error.
    demo.seed_demo(session=session)
    user = accounts.get_user_by_email(session=session, email="departement93@demo.cnfs.fr")
    assert (user.role, user.calls) == (Role.REVIEWER, ("cd93-2021-numerique-inclusif",))
    records = storage.list_applications(session=session, user=user)
    assert {r.call_id for r in records} <= {"cd93-2021-numerique-inclusif"}


@pytest.mark.parametrize("account", demo.DEMO_ACCOUNTS, ids=lambda a: a.email)
def test_demo_passwords_work(session, account):
    from core import auth

    demo.seed_demo(session=session)
    assert auth.attempt_login(session=session, email=account.email, password=account.password).ok


def test_demo_skips_a_database_that_has_accounts(session, applicant):
    assert not demo.seed_demo(session=session)
    assert accounts.get_user_by_email(session=session, email="mairie@demo.cnfs.fr") is None


# --- look-alike addresses -----------------------------------------------------------------------


def test_a_full_width_address_is_the_same_account(session, applicant):
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in applicant.email)
    with pytest.raises(AccountError, match="existe déjà"):
        accounts.create_user(session=session, email=full_width, name="A", password=TEST_PASSWORD)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("m\u0430irie@bondy.fr", "plusieurs alphabets"),  # a Cyrillic « а »
        ("mai\u200brie@bondy.fr", "caractère invisible"),  # zero-width space
        ("mairie\u2060@bondy.fr", "caractère invisible"),  # word joiner
        ("\u202emairie@bondy.fr", "caractère invisible"),  # right-to-left override
    ],
)
def test_look_alike_addresses_are_refused(session, applicant, email, message):
    with pytest.raises(AccountError, match=message):
        accounts.create_user(session=session, email=email, name="A", password=TEST_PASSWORD)


def test_accented_addresses_in_one_alphabet_are_accepted(session):
    user = accounts.create_user(
        session=session, email="Élodie@Évry.fr", name="Élodie", password=TEST_PASSWORD
    )
    assert user.email == "élodie@évry.fr"


# --- registration tells nothing about who has an account ---------------------------------------


def test_registration_answers_the_same_for_a_taken_address(session, applicant, monkeypatch):
    told = []
    monkeypatch.setattr(
        accounts.notifications,
        "registration_for_existing_account",
        lambda u, session: told.append(u.id),
    )
    hashes = []
    real_hash = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda p: hashes.append(p) or real_hash(p))
    taken = accounts.register(
        session=session, email=applicant.email, name="Intrus", password="cheval-agrafe-batterie-7"
    )
    fresh = accounts.register(
        session=session, email="nouveau@mairie.fr", name="Nouveau", password="cheval-agrafe-7-x"
    )
    assert taken is None and fresh is not None
    assert len(hashes) == 2  # one bcrypt hash each: the same time either way
    assert told == [applicant.id]  # the owner is told (tests/test_mail.py reads the mail)
    assert accounts.get_user_by_email(session=session, email=applicant.email).name != "Intrus"


def test_demo_shows_a_93_ami_draft_and_two_submitted_territories(session):
    import hashlib

    from core.calls import get_call
    from core.rules import evaluate

    demo.seed_demo(session=session)
    session.commit()
    asso = accounts.get_user_by_email(session=session, email="asso@demo.cnfs.fr")
    [draft] = [
        r for r in storage.list_applications(session=session, user=asso) if r.call_id == demo.CD93
    ]
    assert draft.status == "draft" and draft.data.project.territory == "T8"
    reviewer = accounts.get_user_by_email(session=session, email="departement93@demo.cnfs.fr")
    submitted = [
        r
        for r in storage.list_applications(session=session, user=reviewer)
        if r.call_id == demo.CD93 and r.status == "submitted"
    ]
    anct = accounts.get_user_by_email(session=session, email="anct@demo.cnfs.fr")
    assert all(
        r.call_id != demo.CD93 for r in storage.list_applications(session=session, user=anct)
    )
    assert {r.data.project.territory for r in submitted} == {"T6", "T9"}
    call = get_call(demo.CD93)
    for record in submitted:
        # The frozen verdict is the rules' own, on a day of the deposit period.
        verdict = evaluate(record.data, call, call.closes_on)
        submission = storage.get_submission(
            session=session, user=reviewer, application_id=record.id
        )
        assert submission.verdict.status == verdict.status == "eligible"
        letter = record.data.attachments["ept_support_letter"]
        territory = call.option_label("territories", record.data.project.territory)
        title = f"Lettre de soutien de l'EPT {territory}"
        assert letter.sha256 == hashlib.sha256(demo.demo_document(title)).hexdigest()
