"""One Settings object read from the environment: database, data directory, demo mode, secrets."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

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


class Settings(BaseModel):
    database_url: str
    data_dir: Path
    demo_mode: bool
    cookie_key: str | None
    cookie_name: str = "cnfs_auth"
    cookie_expiry_days: float = 1.0


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "oui", "on"}


def check_cookie_key(key: str | None) -> None:
    """Refuse a missing, default or short cookie signing key (French message)."""
    if key is None or key.strip() == "":
        raise SettingsError(
            "Clé de signature des cookies absente : définissez CNFS_COOKIE_KEY (ou cookie_key "
            "dans .streamlit/secrets.toml) avec au moins 32 caractères aléatoires, par exemple "
            'la sortie de « python -c "import secrets; print(secrets.token_urlsafe(48))" ».'
        )
    if key.strip().lower() in DEFAULT_COOKIE_KEYS:
        raise SettingsError(
            "Clé de signature des cookies par défaut : remplacez-la par une valeur aléatoire "
            "propre à votre installation (CNFS_COOKIE_KEY)."
        )
    if len(key) < MIN_COOKIE_KEY_LENGTH:
        raise SettingsError(
            f"Clé de signature des cookies trop courte ({len(key)} caractères) : il en faut au "
            f"moins {MIN_COOKIE_KEY_LENGTH}."
        )


def get_settings(
    *,
    cookie_key: str | None = None,
    env: Mapping[str, str] | None = None,
    require_cookie_key: bool = True,
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
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        demo_mode=demo_mode,
        cookie_key=key,
        cookie_expiry_days=expiry,
    )
