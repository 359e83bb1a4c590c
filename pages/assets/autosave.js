// What a person types is applied about a second after the last keystroke, as if they had
// pressed Enter: the step form then saves it, so a reload, a closed tab or a lost connection
// loses nothing. Only on pages that carry the marker (the applicant's step forms), never in a
// st.form (Enter would submit it) and never for passwords.
(() => {
  const root = window.parent && window.parent.document ? window.parent.document : document;
  const win = root.defaultView || window;
  if (win.__cnfsAutosave) return;
  win.__cnfsAutosave = true;

  const IDLE_MS = 1000;
  const FIELDS = 'input[type="text"], input[type="number"], textarea';
  const pending = new Map();  // field -> timer

  const applies = (el) =>
    el instanceof win.HTMLElement && el.matches(FIELDS) && !el.readOnly && !el.disabled
    && el.closest('[data-testid="stMain"]') && !el.closest('[data-testid="stForm"]')
    && root.querySelector("[data-cnfs-autosave]") !== null;

  const apply = (el) => {
    clearTimeout(pending.get(el));
    pending.delete(el);
    if (!el.isConnected || !applies(el)) return;
    // Streamlit applies a text field on Enter, a text area on Ctrl+Enter.
    el.dispatchEvent(new win.KeyboardEvent("keydown", {
      key: "Enter", code: "Enter", keyCode: 13, which: 13, bubbles: true, cancelable: true,
      ctrlKey: el.tagName === "TEXTAREA",
    }));
  };

  root.addEventListener("input", (event) => {
    const el = event.target;
    if (!applies(el) || event.isComposing) return;
    clearTimeout(pending.get(el));
    pending.set(el, setTimeout(() => apply(el), IDLE_MS));
  }, true);

  // Streamlit applies a field itself when it loses the focus.
  root.addEventListener("focusout", (event) => {
    clearTimeout(pending.get(event.target));
    pending.delete(event.target);
  }, true);

  // Leaving with text not yet applied: apply it now, and let the browser ask first, which
  // gives the connection the time to carry it.
  win.addEventListener("beforeunload", (event) => {
    if (pending.size === 0) return;
    for (const el of [...pending.keys()]) apply(el);
    event.preventDefault();
    event.returnValue = "";
  });
})();
