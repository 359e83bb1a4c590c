"""pip-audit of the installed environment, honest about what it could check.

Exit 0 when no known vulnerability is found, or when no vulnerability database answered (said
plainly: the network must never fail CI); exit 1 when an installed package has a known one.
A database that answers but knows none of our packages (a mirror, a proxy) audits nothing:
that is reported as "not audited", not as "no vulnerabilities".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SERVICES = ("pypi", "osv")
RUN_TIMEOUT_S = 90  # per database; each request also has pip-audit's --timeout
SOCKET_TIMEOUT_S = "10"


def interpret(report: dict) -> tuple[int, int, list[str]]:
    """(audited, skipped, vulnerability lines) of a pip-audit JSON report."""
    audited = skipped = 0
    found = []
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped += 1
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "aucune"
            found.append(
                f"{dep['name']} {dep['version']} : {vuln['id']} (versions corrigées : {fixes})"
            )
    return audited, skipped, found


def run(service: str) -> dict | None:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [
        str(pip_audit),
        "--local",
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--timeout",
        SOCKET_TIMEOUT_S,
        "--vulnerability-service",
        service,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"pip-audit ({service}) : pas de réponse ({type(exc).__name__}).")
        return None
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["sortie vide"])[-1]
        print(f"pip-audit ({service}) : base de vulnérabilités injoignable ({last[:200]}).")
        return None


def main() -> int:
    for service in SERVICES:
        report = run(service)
        if report is None:
            continue
        audited, skipped, found = interpret(report)
        if audited == 0:
            print(
                f"pip-audit ({service}) : la base ne connaît aucun des {skipped} paquets "
                "installés (miroir ou proxy ?) : rien n'a pu être vérifié."
            )
            continue
        if found:
            print(f"pip-audit ({service}) : {len(found)} vulnérabilité(s) connue(s) :")
            print("\n".join(f"  - {line}" for line in found))
            return 1
        print(
            f"pip-audit ({service}) : aucune vulnérabilité connue dans les {audited} paquets "
            f"vérifiés ({skipped} non vérifiables)."
        )
        return 0
    print(
        "pip-audit : AUDIT NON FAIT, aucune base de vulnérabilités joignable. La CI continue ; "
        "relancez « .venv/bin/python .ci/audit.py » avec un accès au réseau."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
