"""Run axe-core (pinned in package.json, installed by `npm ci`) on a Playwright page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"critical", "serious"})

# Violations that come from Streamlit's own markup, not from our pages. Each entry is
# (rule id, CSS selector of an ancestor of the offending node, short reason) and its comment
# says why it is not ours to fix.
FRAMEWORK_ALLOW_LIST: tuple[tuple[str, str, str], ...] = (
    # The step bar marks the current step with a disabled st.page_link, which Streamlit greys
    # out. WCAG 1.4.3 exempts inactive components from the contrast minimum; axe cannot know
    # it is inactive because Streamlit sets a bare `disabled` attribute, not aria-disabled.
    ("color-contrast", '[data-testid="stPageLink"] [disabled]', "lien de page désactivé"),
)


def axe_available() -> bool:
    return AXE_JS.is_file()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """All violations axe-core finds on the page as it is now (WCAG 2.1 A/AA + best practice)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    allow = [[rule, selector] for rule, selector, _ in FRAMEWORK_ALLOW_LIST]
    return page.evaluate(
        """async (allow) => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                 'best-practice']},
                resultTypes: ['violations'],
                elementRef: true,
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => {
                    const el = n.element || null;
                    const allowed = el !== null && allow.some(
                        ([rule, sel]) => rule === v.id && el.closest(sel) !== null);
                    return {target: n.target.join(' '), html: n.html.slice(0, 300),
                            impact: n.impact, allowed: allowed,
                            context: el && el.closest('[data-testid]')
                                ? el.closest('[data-testid]').outerHTML.slice(0, 200) : ''};
                }),
            }));
        }""",
        allow,
    )


def blocking_violations(violations: list[dict[str, Any]]) -> list[str]:
    """Critical or serious violations not on the framework allow-list, one line per node."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            impact = node.get("impact") or v["impact"]
            if impact in BLOCKING_IMPACTS and not node["allowed"]:
                lines.append(
                    f"[{impact}] {v['id']} ({v['help']}): {node['html']} in {node['context']}"
                )
    return lines


def assert_accessible(page: Any, where: str) -> list[dict[str, Any]]:
    """Fail with the list of blocking violations found on `where`; return all violations."""
    violations = run_axe(page)
    problems = blocking_violations(violations)
    assert not problems, f"axe-core sur {where} :\n" + "\n".join(problems)
    return violations
