// Streamlit has no locale setting (streamlit/streamlit#1353): its own interface strings
// (input hints, date fields, table toolbars, dialogs) are English. This observer puts them
// in French in the page, in text, placeholders, tooltips and screen-reader labels. Our own
// texts are French already; user answers (markdown, table cells) are never touched.
(() => {
  const root = window.parent && window.parent.document ? window.parent.document : document;
  const win = root.defaultView || window;
  if (win.__cnfsFrenchUi) return;
  win.__cnfsFrenchUi = true;

  const EXACT = {
    "Press Enter to apply": "Appuyez sur Entrée pour valider",
    "Press Ctrl+Enter to apply": "Ctrl+Entrée pour valider",
    "Press ⌘+Enter to apply": "⌘+Entrée pour valider",
    "Press Enter to submit form": "Appuyez sur Entrée pour envoyer",
    "Press Ctrl+Enter to submit form": "Ctrl+Entrée pour envoyer",
    "Press ⌘+Enter to submit form": "⌘+Entrée pour envoyer",
    "Select all": "Tout sélectionner",
    // A download whose file could not be produced (a login ended meanwhile, core refused).
    "Failed to generate file for download":
      "Le fichier n'a pas pu être préparé. Reconnectez-vous si besoin, puis réessayez.",
    "Clear all": "Tout effacer",
    "No results": "Aucun résultat",
    "No options to select.": "Aucune option.",
    "No options to select": "Aucune option",
    "No options": "Aucune option",
    "Choose an option": "Choisissez une option",
    "Choose options": "Choisissez des options",
    "Select...": "Choisir…",
    "Multiselect options": "Options",
    "Selectbox options": "Options",
    "Selected values": "Valeurs choisies",
    "Clear value": "Effacer",
    "Clear entry": "Effacer",
    "Show password": "Afficher le mot de passe",
    "Hide password": "Masquer le mot de passe",
    "Increment": "Augmenter",
    "Decrement": "Diminuer",
    "Number is above the allowed range.": "Ce nombre dépasse la valeur maximale.",
    "Number is below the allowed range.": "Ce nombre est inférieur à la valeur minimale.",
    "Invalid input.": "Saisie non valable.",
    "Choose date": "Choisir une date",
    "Choose date range": "Choisir une période",
    "Clear date": "Effacer la date",
    "Next month": "Mois suivant",
    "Previous month": "Mois précédent",
    "Next year": "Année suivante",
    "Previous year": "Année précédente",
    "Clear dates": "Effacer les dates",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.":
      "Flèches pour parcourir les dates, Entrée pour choisir, Échap pour fermer.",
    "dd": "jj",
    "yyyy": "aaaa",
    "Skip to main content": "Aller au contenu principal",
    "Page not found": "Page introuvable",
    "Close": "Fermer",
    "Open": "Ouvrir",
    "Delete": "Supprimer",
    "Edit": "Modifier",
    "Sidebar": "Menu",
    "Collapse sidebar": "Replier le menu",
    "Expand sidebar": "Déplier le menu",
    "View more": "Voir plus",
    "View less": "Voir moins",
    "Show data": "Afficher les données",
    "Copy Vega-Lite spec": "Copier la définition du graphique",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Download as CSV": "Télécharger le tableau affiché (CSV)",
    "Search": "Rechercher",
    "Close Search": "Fermer la recherche",
    "Clear selection": "Effacer la sélection",
    "Add row": "Ajouter une ligne",
    "Delete row(s)": "Supprimer les lignes choisies",
    "Sort ascending": "Trier par ordre croissant",
    "Sort descending": "Trier par ordre décroissant",
    "Hide column": "Masquer la colonne",
    "Pin column": "Épingler la colonne",
    "Unpin column": "Détacher la colonne",
    "Autosize": "Largeur automatique",
    "Format": "Format",
    "Copy column name": "Copier le nom de la colonne",
    "Copy to clipboard": "Copier",
    "Drag and drop file here": "Glissez-déposez un fichier ici",
    "Drag and drop a file here": "Glissez-déposez un fichier ici",
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "Browse files": "Parcourir",
    "Upload": "Choisir un fichier",
    "file upload": "Dépôt de fichier",
    "Add files": "Ajouter des fichiers",
    "add icon": "Choisir un autre fichier",  // the uploader's « + » once a file is chosen
    "Running...": "Traitement en cours…",
    "Stop": "Arrêter",
    "Connecting": "Connexion…",
    "Please wait...": "Veuillez patienter…",
    "Connection error": "Erreur de connexion",
    "Connection lost. Please wait for the app to reconnect, then try again.":
      "Connexion perdue : attendez que le portail se reconnecte, puis réessayez.",
    "progress": "progression",
    "extra_streamlit_components.CookieManager.cookie_manager": "Cookie de connexion",
  };
  const PATTERNS = [
    [/^Help for (.+)$/s, "Aide : $1"],
    [/^Choose date, (.+)$/s, "Choisir une date, $1"],
    [/^day, (.+)$/s, "jour, $1"],
    [/^month, (.+)$/s, "mois, $1"],
    [/^year, (.+)$/s, "année, $1"],
    [/^The page that you have requested does not seem to exist\..*$/s,
      "La page demandée n'existe pas : voici la page d'accueil du portail."],
    [/^Limit (\d+(?:\.\d+)?)\s*([KMG])B per file(.*)$/s, "Limite : $1 $2o par fichier$3"],
    [/^(\d+(?:\.\d+)?)\s*([KMG])B per file(.*)$/s, "$1 $2o par fichier$3"],
    [/^Drag and drop (.+) here$/s, "Glissez-déposez ici : $1"],
    // The uploader's size of a chosen file ("1.3KB", "10.2MB"): French decimal comma and units.
    [/^(\d+)(?:\.(\d+))?\s?([KMG]?)B$/s, (_, whole, decimals, unit) =>
      `${whole}${decimals ? "," + decimals : ""}\u00a0${unit === "K" ? "k" : unit}o`],
    // The uploader's own refusals (before the portal sees the file): say what to send instead.
    [/^File is too large\. Maximum size is (\d+) bytes\.$/s, (_, bytes) =>
      `Fichier trop volumineux : ${Math.round(bytes / 1048576)} Mo au plus. Réduisez-le `
      + "(PDF « taille réduite », image moins définie) puis joignez-le à nouveau."],
    [/^(.*) files are not allowed\.$/s,
      "Ce type de fichier n'est pas accepté ici : joignez un fichier d'un des formats indiqués."],
    [/^File type not allowed\.$/s,
      "Ce type de fichier n'est pas accepté ici : joignez un fichier d'un des formats indiqués."],
  ];
  const ICON_LABEL = /^[a-z0-9_]+ icon$/;  // "check_circle icon": decorative, beside French text
  const ATTRIBUTES = ["placeholder", "title", "aria-label", "aria-description",
    "aria-roledescription", "aria-placeholder"];
  // User answers are shown through markdown and table cells: never rewrite them.
  // (Streamlit's own dialogs and file uploader render their texts through markdown too.)
  const USER_TEXT = '[data-testid="stMarkdownContainer"]:not([role="dialog"] *)'
    + ':not([data-testid="stFileUploader"] *), [role="gridcell"]';

  const translate = (text) => {
    const bare = text.trim();
    if (!bare) return null;
    if (Object.prototype.hasOwnProperty.call(EXACT, bare)) return text.replace(bare, EXACT[bare]);
    for (const [pattern, replacement] of PATTERNS) {
      if (pattern.test(bare)) return text.replace(bare, bare.replace(pattern, replacement));
    }
    return null;
  };

  const fixElement = (el) => {
    for (const name of ATTRIBUTES) {
      const value = el.getAttribute(name);
      if (!value) continue;
      if (name === "aria-label" && ICON_LABEL.test(value)) {
        el.removeAttribute("aria-label");
        el.setAttribute("aria-hidden", "true");
        continue;
      }
      const french = translate(value);
      if (french !== null && french !== value) el.setAttribute(name, french);
    }
  };

  const fixText = (node) => {
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, textarea, " + USER_TEXT)) return;
    const french = translate(node.nodeValue);
    if (french !== null && french !== node.nodeValue) node.nodeValue = french;  // React keeps the node
  };

  const fixTree = (start) => {
    if (start.nodeType === Node.TEXT_NODE) { fixText(start); return; }
    if (start.nodeType !== Node.ELEMENT_NODE) return;
    fixElement(start);
    for (const el of start.querySelectorAll("*")) fixElement(el);
    const walker = root.createTreeWalker(start, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) fixText(n);
  };

  new win.MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "childList") record.addedNodes.forEach(fixTree);
      else if (record.type === "characterData") fixText(record.target);
      else if (record.type === "attributes") fixElement(record.target);
    }
  }).observe(root.body, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ATTRIBUTES,
  });
  fixTree(root.body);
  root.documentElement.setAttribute("lang", "fr");
})();
