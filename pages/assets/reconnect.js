// A step form's answers rerun only the form (a Streamlit fragment). A server that restarted,
// or that let this tab's session expire, knows no fragment of this page: Streamlit drops
// such a rerun without a word, and the answer would stay unsaved. So when the tab's
// connection opens again on a step form, the page reloads: the login cookie and the address
// (page, ?dossier=) bring the same step back, drawn by the new session, with every saved answer.
(() => {
  const root = window.parent && window.parent.document ? window.parent.document : document;
  const win = root.defaultView || window;
  if (win.__cnfsReconnect) return;
  win.__cnfsReconnect = true;

  const Native = win.WebSocket;
  // The tab's socket was open before this script ran: every socket opened from now on to
  // Streamlit's stream is a reconnection.
  function Watched(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    if (String(url).includes("/_stcore/stream")) {
      socket.addEventListener("open", () => {
        if (root.querySelector("[data-cnfs-autosave]") !== null) win.location.reload();
      });
    }
    return socket;
  }
  Watched.prototype = Native.prototype;
  for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Watched[name] = Native[name];
  win.WebSocket = Watched;
})();
