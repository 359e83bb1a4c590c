"""The command line: calls, evaluate, schema; French errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.calls import get_call
from core.cli import main
from tests.builders import WAVE1, complete_application


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=60
    )


def test_evaluate_prints_the_verdict_keys(tmp_path):
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps(complete_application(WAVE1)), encoding="utf-8")
    result = run("evaluate", str(path), "--today", "2021-01-14")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert {
        "status",
        "reasons",
        "missing",
        "subsidy_eur",
        "tranches",
        "review_date",
        "flags",
    } <= set(verdict)
    assert verdict["status"] == "eligible"
    assert verdict["review_date"] == "2021-01-15"
    assert verdict["subsidy_eur"] == 100000


def test_evaluate_an_empty_draft_lists_what_is_missing(tmp_path, capsys):
    path = tmp_path / "vide.json"
    path.write_text(json.dumps({"call_id": WAVE1}), encoding="utf-8")
    assert main(["evaluate", str(path), "--today", "2021-01-14"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["status"] == "incomplete"
    assert verdict["missing"][0] == "structure.siret"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{pas du json", "n'est pas un JSON valide"), (b"\xff\xfe\x00", "Impossible de lire")],
)
def test_bad_files_get_a_french_message_and_exit_2(tmp_path, content, message):
    path = tmp_path / "mauvais.json"
    path.write_bytes(content)
    result = run("evaluate", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2_in_french(tmp_path):
    result = run("evaluate", str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert "Fichier introuvable" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_call_is_named(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"call_id": "inconnu"}), encoding="utf-8")
    result = run("evaluate", str(path))
    assert result.returncode == 2
    assert "Appel inconnu : inconnu" in result.stderr


def test_calls_json_lists_calls_with_commitment_ids(capsys):
    assert main(["calls", "--json"]) == 0
    calls = {c["id"]: c for c in json.loads(capsys.readouterr().out)}
    assert calls[WAVE1]["commitments"] == get_call(WAVE1).commitment_ids()
    assert calls[WAVE1]["opens_on"] == "2020-11-17"


def test_schema_describes_the_exchange_format(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"call_id", "structure", "contact", "posts", "commitments"} <= set(schema["properties"])
    structure = schema["$defs"]["Structure"]["properties"]
    assert "siret" in structure and "ess" in structure


# --- hostile files: a French error, never a traceback ------------------------------------------


def _dossier_text(posts_count: str) -> str:
    text = json.dumps(complete_application(WAVE1))
    return text.replace('"count": 2', f'"count": {posts_count}', 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(_dossier_text("9" * 5000), "nombre", id="5000-digit-integer"),
        pytest.param(_dossier_text("1" + "0" * 40), "nombre", id="40-digit-integer"),
        pytest.param("[" * 100_000 + "]" * 100_000, "imbriqué", id="deeply-nested-list"),
        pytest.param('{"a":' * 50_000 + "1" + "}" * 50_000, "imbriqué", id="deeply-nested-object"),
    ],
)
def test_hostile_json_gets_a_french_error_without_traceback(tmp_path, content, message):
    path = tmp_path / "dossier.json"
    path.write_text(content, encoding="utf-8")
    result = run("evaluate", str(path), "--today", "2021-01-14")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Erreur : ")
    assert message in result.stderr


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "dossier.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(complete_application(WAVE1)).encode())
    result = run("evaluate", str(path), "--today", "2021-01-14")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "eligible"
