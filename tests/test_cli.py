"""The command line: calls, evaluate, schema; French errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.calls import get_call
from core.cli import main
from tests.builders import CD93, DELETE, WAVE1, complete_application, complete_project


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


# --- the Département 93 AMI ----------------------------------------------------------------


def test_calls_json_lists_attachments_and_target_publics_of_every_call(capsys):
    assert main(["calls", "--json"]) == 0
    calls = {c["id"]: c for c in json.loads(capsys.readouterr().out)}
    cd93 = calls[CD93]
    assert cd93["commitments"] == get_call(CD93).commitment_ids()
    attachments = {a["id"]: a for a in cd93["attachments"]}
    assert attachments["ept_support_letter"] == {
        "id": "ept_support_letter",
        "required": True,
        "required_when": None,
    }
    assert attachments["administrative_file"]["required_when"] == {
        "project.prior_department_subsidy_2020": False
    }
    assert set(attachments) == {
        "ept_support_letter",
        "project_description",
        "budget",
        "administrative_file",
    }
    assert cd93["target_publics"] == [
        "rsa",
        "long_term_unemployed",
        "mission_locale_youth",
        "ase_young_adults",
        "siae_employees",
    ]
    assert calls[WAVE1]["attachments"] == [] and calls[WAVE1]["target_publics"] == []


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, "eligible"),
        ({"project.budget_eur": 187_501}, "ineligible"),
        ({"project.targets.diagnosed": 249}, "ineligible"),
        ({"attachments.ept_support_letter": DELETE}, "incomplete"),
    ],
)
def test_evaluate_reads_the_93_exchange_format(tmp_path, changes, status):
    path = tmp_path / "projet.json"
    path.write_text(json.dumps(complete_project(**changes)), encoding="utf-8")
    result = run("evaluate", str(path), "--today", "2021-06-25")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == status


def test_evaluate_after_the_deposit_deadline(tmp_path):
    path = tmp_path / "projet.json"
    path.write_text(json.dumps(complete_project()), encoding="utf-8")
    verdict = json.loads(run("evaluate", str(path), "--today", "2021-06-26").stdout)
    assert verdict["status"] == "ineligible"
    assert "call.closed" in [r["code"] for r in verdict["reasons"]]
