"""One Settings object read from the environment: database, data directory, demo mode, secrets."""

from __future__ import annotations

import itertools
import math
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

# Keys copied from tutorials or from streamlit-authenticator's example config.
DEFAULT_COOKIE_KEYS = frozenset(
    {
        "",
        "some_key",
        "some_signature_key",
        "random_signature_key",
        "abcdef",
        "changeme",
        "change-me",
        "secret",
        "cookie_key",
        "demo",
    }
)
MIN_COOKIE_KEY_LENGTH = 32

# Demo mode needs no configuration: one random key per process (cookies die with the process).
_DEMO_COOKIE_KEY = secrets.token_urlsafe(32)


class SettingsError(RuntimeError):
    """A configuration the application refuses to start with; the message is in French."""


SmtpSecurity = Literal["starttls", "ssl", "none"]
DEFAULT_SMTP_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
DEMO_BASE_URL = "http://localhost:8501"


class MailSettings(BaseModel):
    """Where mail goes: an SMTP server, or (demo, or no server configured) the outbox only."""

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: SmtpSecurity = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    sender: str = "Portail CNFS <ne-pas-repondre@localhost>"
    timeout_s: float = 10.0
    outbox_only: bool = True  # mails are recorded, never sent (demo mode, or no SMTP host)


class Settings(BaseModel):
    database_url: str
    data_dir: Path
    demo_mode: bool
    cookie_key: str | None
    cookie_name: str = "cnfs_auth"
    cookie_expiry_days: float = 1.0
    # Header a trusted reverse proxy sets to the client's address (nginx: X-Forwarded-For).
    client_ip_header: str | None = None
    # Public address of the portal: links in e-mails start with it (never with a request's Host).
    base_url: str = DEMO_BASE_URL
    mail: MailSettings = MailSettings()


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "oui", "on"}


GENERATE_KEY_HINT = (
    'par exemple la sortie de « python -c "import secrets; print(secrets.token_urlsafe(48))" »'
)
# A random key of 32+ characters from secrets.token_urlsafe or token_hex easily passes these.
MIN_DISTINCT_CHARACTERS = 8
MIN_ESTIMATED_BITS = 80


def _estimated_bits(key: str) -> float:
    """Entropy estimate: length times the Shannon entropy of its own character frequencies."""
    counts = Counter(key)
    return -sum(n * math.log2(n / len(key)) for n in counts.values())


def _is_repetition(key: str) -> bool:
    """« some_keysome_key… », « abcabc… »: a shorter piece repeated."""
    return any(
        len(key) % size == 0 and key == key[:size] * (len(key) // size)
        for size in range(1, len(key) // 2 + 1)
    )


REPEATED_PIECE_CHARS = 8  # a random key of this alphabet practically never repeats 8 characters


def _has_repeated_piece(key: str) -> bool:
    """« passwordpassword… », « monportail2021monportail »: a run of 8 characters seen twice."""
    pieces = [key[i : i + REPEATED_PIECE_CHARS] for i in range(len(key) - REPEATED_PIECE_CHARS + 1)]
    return len(set(pieces)) < len(pieces)


def _is_run(key: str) -> bool:
    """« abcdefgh… », « 01234567… », « zyxw… »: most neighbours one code point apart, in the
    same direction (counting repeats and both directions refused 1 random hex key in 30,000)."""
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(key)]
    return max(steps.count(1), steps.count(-1)) > len(steps) // 2


def check_cookie_key(key: str | None) -> None:
    """Refuse a missing, default, short or guessable cookie signing key (French message)."""
    if key is None or key.strip() == "":
        raise SettingsError(
            "Clé de signature des cookies absente : définissez CNFS_COOKIE_KEY (ou cookie_key "
            "dans .streamlit/secrets.toml) avec au moins 32 caractères aléatoires, "
            f"{GENERATE_KEY_HINT}."
        )
    lowered = key.strip().lower()
    if lowered in DEFAULT_COOKIE_KEYS or any(
        _is_repetition_of(lowered, default) for default in DEFAULT_COOKIE_KEYS if default
    ):
        raise SettingsError(
            "Clé de signature des cookies par défaut : remplacez-la par une valeur aléatoire "
            f"propre à votre installation (CNFS_COOKIE_KEY), {GENERATE_KEY_HINT}."
        )
    if len(key) < MIN_COOKIE_KEY_LENGTH:
        raise SettingsError(
            f"Clé de signature des cookies trop courte ({len(key)} caractères) : il en faut au "
            f"moins {MIN_COOKIE_KEY_LENGTH}, tirés au hasard, {GENERATE_KEY_HINT}."
        )
    if (
        len(set(key)) < MIN_DISTINCT_CHARACTERS
        or _estimated_bits(key) < MIN_ESTIMATED_BITS
        or _is_repetition(key)
        or _has_repeated_piece(key)
        or _is_run(key)
    ):
        raise SettingsError(
            "Clé de signature des cookies trop prévisible (caractères répétés, suite ou motif) : "
            f"n'en choisissez pas une à la main, tirez-la au hasard, {GENERATE_KEY_HINT}."
        )


def _is_repetition_of(key: str, piece: str) -> bool:
    return (
        len(key) >= len(piece)
        and len(key) % len(piece) == 0
        and key == piece * (len(key) // len(piece))
    )


def _base_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            f"CNFS_BASE_URL doit être l'adresse publique du portail, par exemple "
            f"https://candidature.exemple.gouv.fr (reçu : {raw!r})."
        )
    return raw.strip().rstrip("/")


def get_mail_settings(
    env: Mapping[str, str], *, demo_mode: bool, smtp_password: str | None = None
) -> MailSettings:
    """SMTP settings from CNFS_SMTP_*; the password from secrets.toml wins over the environment."""
    host = (env.get("CNFS_SMTP_HOST") or "").strip() or None
    security = (env.get("CNFS_SMTP_SECURITY") or "starttls").strip().lower()
    if security not in DEFAULT_SMTP_PORTS:
        raise SettingsError(
            f"CNFS_SMTP_SECURITY doit valoir starttls, ssl ou none (reçu : {security!r})."
        )
    port_raw = (env.get("CNFS_SMTP_PORT") or "").strip() or str(DEFAULT_SMTP_PORTS[security])
    if not port_raw.isascii() or not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
        raise SettingsError(f"CNFS_SMTP_PORT doit être un numéro de port (reçu : {port_raw!r}).")
    user = (env.get("CNFS_SMTP_USER") or "").strip() or None
    password = smtp_password or env.get("CNFS_SMTP_PASSWORD") or None
    if user and security == "none" and host not in {"localhost", "127.0.0.1", "::1"}:
        # The password would cross the network in clear text.
        raise SettingsError(
            "Identifiants SMTP sans chiffrement : choisissez CNFS_SMTP_SECURITY=starttls ou ssl."
        )
    timeout_raw = env.get("CNFS_SMTP_TIMEOUT") or "10"
    try:
        timeout = float(timeout_raw)
    except ValueError:
        raise SettingsError(
            f"CNFS_SMTP_TIMEOUT doit être un nombre de secondes (reçu : {timeout_raw!r})."
        ) from None
    return MailSettings(
        smtp_host=host,
        smtp_port=int(port_raw),
        smtp_security=security,  # type: ignore[arg-type]
        smtp_user=user,
        smtp_password=password,
        sender=(env.get("CNFS_MAIL_FROM") or "").strip() or MailSettings().sender,
        timeout_s=timeout,
        outbox_only=demo_mode or host is None,
    )


def get_settings(
    *,
    cookie_key: str | None = None,
    env: Mapping[str, str] | None = None,
    require_cookie_key: bool = True,
    smtp_password: str | None = None,
) -> Settings:
    """Settings from the environment; cookie_key (from st.secrets) wins over CNFS_COOKIE_KEY.

    require_cookie_key=False is for the command line, which sets no cookie.
    """
    env = os.environ if env is None else env
    data_dir = Path(env.get("CNFS_DATA_DIR") or "data")
    database_url = env.get("CNFS_DATABASE_URL") or ""
    # Without a configured database, the app is a self-contained demo.
    demo_raw = env.get("CNFS_DEMO")
    demo_mode = _truthy(demo_raw) if demo_raw is not None else database_url == ""
    if database_url == "":
        database_url = f"sqlite:///{(data_dir / 'cnfs.sqlite3').as_posix()}"
        if not demo_mode:
            # A production instance must say where its data lives.
            raise SettingsError(
                "Base de données non configurée : définissez CNFS_DATABASE_URL "
                "(par exemple postgresql+psycopg://utilisateur@hôte/base) ou activez le mode "
                "démonstration avec CNFS_DEMO=1."
            )
    if demo_mode and not database_url.startswith("sqlite"):
        # Demo mode seeds accounts whose passwords are printed on the login page.
        raise SettingsError(
            "Le mode démonstration ne fonctionne qu'avec la base SQLite intégrée : retirez "
            "CNFS_DEMO=1, ou CNFS_DATABASE_URL pour une démonstration."
        )
    key = cookie_key or env.get("CNFS_COOKIE_KEY") or None
    if demo_mode:
        key = key or _DEMO_COOKIE_KEY
    elif require_cookie_key:
        check_cookie_key(key)
    expiry_raw = env.get("CNFS_COOKIE_EXPIRY_DAYS") or "1"
    try:
        expiry = float(expiry_raw)
    except ValueError:
        raise SettingsError(
            f"CNFS_COOKIE_EXPIRY_DAYS doit être un nombre de jours (reçu : {expiry_raw!r})."
        ) from None
    mail = get_mail_settings(env, demo_mode=demo_mode, smtp_password=smtp_password)
    base_url_raw = env.get("CNFS_BASE_URL") or ""
    if not base_url_raw and not mail.outbox_only:
        # Links in real e-mails must point at the public address, which only the operator knows.
        raise SettingsError(
            "Adresse publique du portail absente : définissez CNFS_BASE_URL (par exemple "
            "https://candidature.exemple.gouv.fr), sans quoi les liens des courriels ne "
            "fonctionneraient pas."
        )
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        demo_mode=demo_mode,
        cookie_key=key,
        cookie_expiry_days=expiry,
        client_ip_header=env.get("CNFS_CLIENT_IP_HEADER") or None,
        base_url=_base_url(base_url_raw) if base_url_raw else DEMO_BASE_URL,
        mail=mail,
    )
