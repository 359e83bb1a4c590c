"""User accounts: registration rules, bcrypt hashes, lookups."""

from __future__ import annotations

import re
import unicodedata

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from core import clock, notifications, reference
from core.db import UserCallRow, UserDepartmentRow, UserRow
from core.models import clean_text
from core.storage import Role, User

BCRYPT_ROUNDS = 12  # tests lower it; bcrypt's own default
PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_BYTES = 72  # bcrypt ignores anything beyond 72 bytes
NAME_MAX_CHARS = 200
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A registration or account change refused; the message is French and says what to do."""


class AccountExists(AccountError):
    """The address already has an account (said to administrators, never to a visitor)."""


# Registration answers this whether the address had an account or not: no probing of who has one.
REGISTRATION_RECEIVED = (
    "Demande enregistrée. Si cette adresse n'avait pas encore de compte, il est créé et un "
    "lien pour confirmer l'adresse y est envoyé : connectez-vous avec cette adresse et le mot "
    "de passe choisi, puis ouvrez ce lien avant de déposer une candidature. Si elle en avait "
    "déjà un, connectez-vous avec votre mot de passe habituel."
)


def normalize_email(email: str) -> str:
    """NFKC, trimmed and lower-case: one account per address, however it is typed."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def email_problem(email: str) -> str | None:
    """Why a (normalised) address cannot hold an account, in French; None when it can."""
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cn", "Zl", "Zp"} for ch in email):
        return (
            "Adresse électronique invalide : elle contient un caractère invisible (espace sans "
            "largeur, marque de sens d'écriture…). Retapez-la au clavier plutôt que de la coller."
        )
    if not EMAIL_RE.match(email) or len(email) > 320:
        return "Adresse électronique invalide : vérifiez-la (exemple : nom@mairie.fr)."
    scripts = {unicodedata.name(ch, "?").split()[0] for ch in email if ch.isalpha()}
    if len(scripts) > 1:
        return (
            "Adresse électronique invalide : elle mélange plusieurs alphabets (par exemple des "
            "lettres cyrilliques qui ressemblent à des lettres latines). Retapez-la au clavier."
        )
    return None


def password_problems(password: str) -> list[str]:
    """What is wrong with a new password, in French (empty when it is acceptable)."""
    problems = []
    if len(password) < PASSWORD_MIN_CHARS:
        problems.append(
            f"Le mot de passe doit contenir au moins {PASSWORD_MIN_CHARS} caractères "
            f"(il en a {len(password)})."
        )
    if password and all(ch.isalpha() or ch.isspace() for ch in password):
        problems.append(
            "Le mot de passe ne doit pas contenir que des lettres : ajoutez au moins un chiffre "
            "ou un signe (par exemple - ! ? %)."
        )
    if len(password) >= PASSWORD_MIN_CHARS and _too_guessable(password):
        problems.append(
            "Ce mot de passe est trop courant ou trop facile à deviner (mot de passe connu, "
            "suite de chiffres ou de touches, mot du dictionnaire suivi de chiffres) : "
            "choisissez par exemple trois ou quatre mots sans rapport, séparés par des tirets."
        )
    size = len(password.encode("utf-8"))
    if size > PASSWORD_MAX_BYTES:
        problems.append(
            f"Le mot de passe est trop long : {size} octets, au plus {PASSWORD_MAX_BYTES} "
            "(les lettres accentuées comptent pour 2 octets)."
        )
    return problems


MIN_ZXCVBN_SCORE = 3  # zxcvbn's « safely unguessable »: about 10^8 guesses or more


def _too_guessable(password: str) -> bool:
    """Whether zxcvbn's lists (common passwords, words, names) and patterns crack it fast."""
    return zxcvbn(password[:PASSWORD_MAX_BYTES])["score"] < MIN_ZXCVBN_SCORE


def validate_password(password: str) -> None:
    """Raise AccountError listing every rule the password breaks."""
    problems = password_problems(password)
    if problems:
        raise AccountError(" ".join(problems))


def hash_password(password: str) -> str:
    """bcrypt hash of a password (callers validate it first)."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Whether the password matches the hash; never raises on odd input."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


def parse_departments(raw: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Department codes from « 93,95 » (or a list), checked against the reference table."""
    if raw is None:
        return ()
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    codes: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        dep = reference.department(part)
        if dep is None:
            raise AccountError(
                f"Département inconnu : « {part} ». Indiquez des numéros de département "
                "séparés par des virgules (exemple : 93,95 ; 2A pour la Corse-du-Sud)."
            )
        if dep.code not in codes:
            codes.append(dep.code)
    return tuple(sorted(codes))


def _known_calls_fr() -> str:
    from core.calls import load_calls

    return ", ".join(load_calls())


def parse_calls(
    raw: str | list[str] | tuple[str, ...] | None, *, known_only: bool = True
) -> tuple[str, ...]:
    """Call ids from « cnfs-2020-collectivites,cnfs-2021-structures-privees » (or a list),
    checked against the loaded calls unless known_only is False (a call still to be loaded)."""
    from core.calls import load_calls

    if raw is None:
        return ()
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    ids: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if known_only and part not in load_calls():
            raise AccountError(f"Appel inconnu : « {part} ». Appels connus : {_known_calls_fr()}.")
        if part not in ids:
            ids.append(part)
    return tuple(sorted(ids))


def check_scope(role: Role, codes: tuple[str, ...], call_ids: tuple[str, ...]) -> None:
    """Refuse a scope that does not fit the role (prefecture: departments; reviewer: calls)."""
    if role == Role.PREFECTURE and not codes:
        raise AccountError(
            "Un compte préfecture doit couvrir au moins un département : précisez-les "
            "(exemple : --departments 93,95)."
        )
    if role != Role.PREFECTURE and codes:
        raise AccountError("Seuls les comptes préfecture sont rattachés à des départements.")
    if role == Role.REVIEWER and not call_ids:
        raise AccountError(
            "Un compte instructeur doit être rattaché aux appels qu'il instruit : précisez-les, "
            f"séparés par des virgules (--calls). Appels connus : {_known_calls_fr()}."
        )
    if role != Role.REVIEWER and call_ids:
        raise AccountError(
            "Seuls les comptes instructeur sont rattachés à des appels (un administrateur voit "
            "tous les appels)."
        )


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    password: str,
    role: Role = Role.APPLICANT,
    email_confirmed: bool = False,
    departments: tuple[str, ...] | list[str] | str | None = None,
    calls: tuple[str, ...] | list[str] | str | None = None,
    known_calls_only: bool = True,
) -> User:
    """Create an account after checking email, name, password and its scope: departments for
    a prefecture, calls for a reviewer (required: a reviewer without calls would read nothing).

    email_confirmed: the address is vouched for (operator's command line, demo accounts);
    self-registered applicants confirm theirs by a link (core.account_links).
    known_calls_only=False stores call ids not loaded here (the demo's Département reviewer).
    """
    codes = parse_departments(departments)
    call_ids = parse_calls(calls, known_only=known_calls_only)
    check_scope(Role(role), codes, call_ids)
    email = normalize_email(email)
    problem = email_problem(email)
    if problem:
        raise AccountError(problem)
    name = str(clean_text(name)).strip()
    if not name:
        raise AccountError("Indiquez votre nom.")
    if len(name) > NAME_MAX_CHARS:
        raise AccountError(f"Le nom ne doit pas dépasser {NAME_MAX_CHARS} caractères.")
    validate_password(password)
    if get_user_by_email(session=session, email=email) is not None:
        raise AccountExists("Un compte existe déjà avec cette adresse : connectez-vous.")
    row = UserRow(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=Role(role).value,
        session_version=1,
        created_at=clock.now(),
        email_confirmed_at=clock.now() if email_confirmed else None,
        department_rows=[UserDepartmentRow(department=code) for code in codes],
        call_rows=[UserCallRow(call_id=call_id) for call_id in call_ids],
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise AccountExists("Un compte existe déjà avec cette adresse : connectez-vous.") from None
    return User.from_row(row)


def set_reviewer_calls(
    *, session: Session, email: str, calls: tuple[str, ...] | list[str] | str
) -> User:
    """Replace the calls a reviewer reads; takes effect at the account's next page load."""
    row = session.execute(
        select(UserRow).where(UserRow.email == normalize_email(email))
    ).scalar_one_or_none()
    if row is None:
        raise AccountError(f"Aucun compte avec l'adresse « {email} ».")
    if row.role != Role.REVIEWER.value:
        raise AccountError(
            "Seuls les comptes instructeur sont rattachés à des appels (un administrateur voit "
            "tous les appels)."
        )
    call_ids = parse_calls(calls)
    check_scope(Role.REVIEWER, (), call_ids)
    row.call_rows = [UserCallRow(call_id=call_id) for call_id in call_ids]
    session.flush()
    return User.from_row(row)


def register(*, session: Session, email: str, name: str, password: str) -> User | None:
    """Self-registration of an applicant: the new User, or None when the address was taken.

    The caller shows REGISTRATION_RECEIVED either way and logs nobody in, and a taken address
    costs the same bcrypt hash as a new one: the answer and its timing tell nothing.
    Format problems (address, name, password) are still raised: they reveal no account.
    """
    try:
        return create_user(session=session, email=email, name=name, password=password)
    except AccountExists:
        hash_password(password)  # as long as a creation
        existing = get_user_by_email(session=session, email=email)
        if existing is not None:
            notifications.registration_for_existing_account(existing, session=session)
        return None


def get_user_by_email(*, session: Session, email: str) -> User | None:
    """The account with this address, if any."""
    row = session.execute(
        select(UserRow).where(UserRow.email == normalize_email(email))
    ).scalar_one_or_none()
    return User.from_row(row) if row else None


def get_user(*, session: Session, user_id: int) -> User | None:
    """The account with this id, if any."""
    row = session.get(UserRow, user_id)
    return User.from_row(row) if row else None


def list_users(*, session: Session) -> list[User]:
    """All accounts, by role then email."""
    rows = session.execute(select(UserRow).order_by(UserRow.role, UserRow.email)).scalars()
    return [User.from_row(r) for r in rows]


def count_users(*, session: Session) -> int:
    """How many accounts exist (demo seeding runs on an empty table only)."""
    return session.execute(select(func.count()).select_from(UserRow)).scalar_one()
