""".ci/audit.py tells 'no known vulnerability' from 'nothing could be checked'."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "audit.py"
_spec = importlib.util.spec_from_file_location("ci_audit", SCRIPT)
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)

CLEAN = {"dependencies": [{"name": "pyjwt", "version": "2.10.1", "vulns": []}]}
ALL_SKIPPED = {
    "dependencies": [
        {"name": "pyjwt", "version": "2.10.1", "skip_reason": "Dependency not found on PyPI"}
    ]
}
VULNERABLE = {
    "dependencies": [
        {
            "name": "pyjwt",
            "version": "2.3.0",
            "vulns": [{"id": "GHSA-ffqj-6fqr-9h24", "fix_versions": ["2.4.0"]}],
        }
    ]
}


@pytest.mark.parametrize(
    ("reports", "code", "said"),
    [
        ({"pypi": CLEAN}, 0, "aucune vulnérabilité connue dans les 1 paquets"),
        ({"pypi": VULNERABLE}, 1, "pyjwt 2.3.0 : GHSA-ffqj-6fqr-9h24 (versions corrigées : 2.4.0)"),
        # A mirror that answers but knows nothing audits nothing: not a clean bill.
        ({"pypi": ALL_SKIPPED, "osv": None}, 0, "AUDIT NON FAIT"),
        ({"pypi": None, "osv": CLEAN}, 0, "pip-audit (osv) : aucune vulnérabilité"),
        ({"pypi": None, "osv": None}, 0, "AUDIT NON FAIT"),
    ],
)
def test_the_audit_says_what_it_could_check(monkeypatch, capsys, reports, code, said):
    monkeypatch.setattr(audit, "run", lambda service: reports.get(service))
    assert audit.main() == code
    assert said in capsys.readouterr().out
