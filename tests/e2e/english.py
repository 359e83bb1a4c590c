"""Find English words where a user reads or hears them: visible text, placeholders, tooltips
and screen-reader labels (title, aria-label) of the rendered page."""

from __future__ import annotations

import re
from typing import Any

# Words of Streamlit's interface and of status codes that have no place in a French page.
# Only words that are not also French ("page", "date", "options", "format" are both).
ENGLISH_WORDS = [
    "press",
    "enter",
    "apply",
    "submit",
    "select",
    "all",
    "choose",
    "none",
    "null",
    "show",
    "hide",
    "search",
    "download",
    "upload",
    "clear",
    "close",
    "fullscreen",
    "column",
    "columns",
    "found",
    "the",
    "help",
    "for",
    "day",
    "month",
    "year",
    "yyyy",
    "running",
    "stop",
    "connecting",
    "please",
    "wait",
    "browse",
    "files",
    "drag",
    "drop",
    "limit",
    "per",
    "skip",
    "main",
    "copy",
    "spec",
    "view",
    "more",
    "less",
    "sidebar",
    "collapse",
    "expand",
    "delete",
    "row",
    "add",
    "results",
    "icon",
    "progress",
    "value",
    "entry",
    "password",
    "increment",
    "decrement",
    "loading",
    "error",
    "eligible",
    "ineligible",
    "incomplete",
    "to_examine",
    "draft",
    "submitted",
    "yes",
    "no",
    "true",
    "false",
]
_WORD = re.compile(r"(?<![\w-])(" + "|".join(ENGLISH_WORDS) + r")(?![\w-])", re.IGNORECASE)

COLLECT_JS = """() => {
  const seen = [];
  const heard = (el) => el.checkVisibility({checkOpacity: false, checkVisibilityCSS: true});
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[aria-hidden="true"], script, style, noscript')) continue;
    if (!heard(el)) continue;
    for (const name of ['placeholder', 'title', 'aria-label', 'aria-description']) {
      const value = el.getAttribute(name);
      if (value) seen.push([name, value]);
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    const text = n.nodeValue.trim();
    if (!text || !el) continue;
    // Material icons are ligatures ("download", "error"): drawn as icons, hidden from readers.
    const quiet = '[data-testid="stIconMaterial"], [aria-hidden="true"], script, style, noscript';
    if (el.closest(quiet)) continue;
    if (!heard(el)) continue;
    seen.push(['texte', text]);
  }
  return seen;
}"""


def english_findings(page: Any) -> list[str]:
    """Each place of the page where an English word is shown or read out, as 'kind: text'."""
    found = []
    for kind, text in page.evaluate(COLLECT_JS):
        if _WORD.search(text):
            found.append(f"{kind}: {text[:160]}")
    return sorted(set(found))
