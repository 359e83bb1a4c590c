"""Run axe-core (pinned in package.json, installed by `npm ci`) on a Playwright page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"critical", "serious"})

# Violations that come from Streamlit's own markup, not from our pages. Each entry is
# (rule id, CSS fragment of the offending node) and says why it is not ours to fix.
FRAMEWORK_ALLOW_LIST: tuple[tuple[str, str, str], ...] = ()


def axe_available() -> bool:
    return AXE_JS.is_file()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """All violations axe-core finds on the page as it is now (WCAG 2.1 A/AA + best practice)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                 'best-practice']},
                resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                         html: n.html.slice(0, 300),
                                         impact: n.impact})),
            }));
        }"""
    )


def _allowed(rule_id: str, node: dict[str, Any]) -> bool:
    haystack = node["target"] + " " + node["html"]
    return any(rule_id == rid and frag in haystack for rid, frag, _ in FRAMEWORK_ALLOW_LIST)


def blocking_violations(violations: list[dict[str, Any]]) -> list[str]:
    """Critical or serious violations not on the framework allow-list, one line per node."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            impact = node.get("impact") or v["impact"]
            if impact in BLOCKING_IMPACTS and not _allowed(v["id"], node):
                lines.append(f"[{impact}] {v['id']} ({v['help']}): {node['target']} {node['html']}")
    return lines


def assert_accessible(page: Any, where: str) -> list[dict[str, Any]]:
    """Fail with the list of blocking violations found on `where`; return all violations."""
    violations = run_axe(page)
    problems = blocking_violations(violations)
    assert not problems, f"axe-core sur {where} :\n" + "\n".join(problems)
    return violations
