"""The README's command-line examples run as written (a test that fails when docs drift)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.builders import WAVE1, complete_application
from tests.mailbox import Mailbox

README = Path(__file__).resolve().parents[1] / "README.md"
COMMAND = re.compile(r"`(\.venv/bin/python -m core [^`]+)`")


def readme_commands() -> list[str]:
    """Every `.venv/bin/python -m core …` of the README, line breaks joined."""
    text = README.read_text(encoding="utf-8")
    return [" ".join(m.group(1).split()) for m in COMMAND.finditer(text)]


def test_the_readme_shows_every_subcommand():
    verbs = {c.split()[3] for c in readme_commands()}
    assert {"calls", "evaluate", "schema", "pdf", "users"} <= verbs


def test_every_readme_command_line_runs(tmp_path):
    mailbox = Mailbox().start()  # `mail retry` sends through a real (local) SMTP server
    try:
        _run_every_command(tmp_path, mailbox)
    finally:
        mailbox.stop()


def _run_every_command(tmp_path, mailbox) -> None:
    (tmp_path / "dossier.json").write_text(
        json.dumps(complete_application(WAVE1)), encoding="utf-8"
    )
    env = {
        **os.environ,
        "CNFS_DATABASE_URL": f"sqlite:///{tmp_path / 'cnfs.sqlite3'}",
        "CNFS_DEMO": "0",
        "PYTHONPATH": str(README.parent),
        "CNFS_BASE_URL": "https://candidature.exemple.gouv.fr",
        **mailbox.env(),
    }
    for command in readme_commands():
        # Placeholders « … » stand for what the reader types; a script gives the password on
        # stdin instead of the terminal prompt.
        args = command.replace("--email …", "--email agent@anct.gouv.fr")
        args = args.replace("--name …", '--name "Nom Prénom"')
        argv = [sys.executable, *shlex.split(args)[1:]]
        if argv[3:5] == ["users", "add"]:
            argv.append("--password-stdin")
        result = subprocess.run(
            argv,
            cwd=tmp_path,
            env=env,
            input="un mot de passe solide 2021\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (command, result.stderr)
        if argv[3] == "schema":
            assert "properties" in json.loads(result.stdout)
        if argv[3] == "evaluate":
            assert json.loads(result.stdout)["status"] == "eligible"
        if argv[3] == "users" and argv[4] == "list":
            assert "instructeur@anct.gouv.fr" in result.stdout
    assert (tmp_path / "candidature.pdf").read_bytes().startswith(b"%PDF-")
