(() => {
  const TEXTS = /*GRADIO_TEXTS*/[];
  const KEYS = /*GRADIO_KEYS*/{};
  const SAID = /*STATUS_SAID*/{};
  const uiLang = () => document.documentElement.dataset.lotseLang || "de";
  const other = (text) => {
    const de = uiLang() === "de";
    if (KEYS[text]) return KEYS[text][de ? 1 : 0];
    const pair = TEXTS.find((p) => p[de ? 0 : 1] === text) || Object.values(KEYS).find((p) => p[de ? 0 : 1] === text);
    return pair ? pair[de ? 1 : 0] : null;
  };
  function localise(root) {
    if (!root.querySelectorAll) return;
    for (const el of [root, ...root.querySelectorAll("[aria-label],[title]")]) {
      for (const attr of ["aria-label", "title"]) {
        const v = el.getAttribute && el.getAttribute(attr);
        const w = v && other(v);
        if (w) el.setAttribute(attr, w);
      }
    }
    // The texts of Gradio's upload box.
    for (const box of root.querySelectorAll("[data-testid=upload-text], [data-testid=upload-text] .or")) {
      for (const node of box.childNodes) {
        const w = node.nodeType === Node.TEXT_NODE && other(node.textContent.trim());
        if (w) node.textContent = " " + w + " ";
      }
    }
  }
  // What Gradio's hidden status region says, in the interface's language; a text key
  // ("common.complete") is never read out.
  function said(text) {
    const words = SAID[uiLang()];
    if (/^[a-z_]+([.][a-z_]+)+$/.test(text)) {
      const keys = {"common.complete": "complete", "common.error": "error", "common.loading": "loading"};
      return words[keys[text]] || "";
    }
    if (["Loading", "Laden"].includes(text)) return words.loading;
    // Said before in the other language (the language was switched since): say it again.
    for (const said of Object.values(SAID)) {
      for (const key of ["loading", "complete", "error"]) if (said[key] === text) return words[key];
    }
    if (["Error", "Fehler"].includes(text)) return words.error;
    const queue = text.match(/^(?:In queue|In Warteschlange)\D*(\d+)\D+(\d+)/);
    if (queue) return words.queue.replace("{position}", queue[1]).replace("{size}", queue[2]);
    return null;
  }
  function prepare() {
    document.documentElement.lang = uiLang();
    const answer = document.getElementById("antwort");
    if (answer && !answer.hasAttribute("aria-live")) {
      answer.setAttribute("aria-live", "polite");
      answer.setAttribute("role", "region");
      answer.setAttribute("aria-label", SAID[uiLang()].answer);
    }
    localise(document.body);
    for (const region of document.querySelectorAll(".sr-only[role=status]")) {
      // The text node itself changes: Gradio keeps writing into it.
      const node = [...region.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.nodeValue.trim());
      const w = node && said(node.nodeValue.trim());
      if (w !== null && w !== undefined && w !== node.nodeValue.trim()) node.nodeValue = w;
    }
    // Gradio's message toast: its header is a role=button (it folds the message) that
    // holds the close button, which axe rejects (nested-interactive, WCAG 4.1.2); the
    // close button stays the keyboard control, and the message shows unfolded. Its
    // title is the English "Error" whatever gr.Error's title says.
    for (const head of document.querySelectorAll(".toast-header[role=button]")) {
      head.removeAttribute("role");
      head.removeAttribute("tabindex");
    }
    for (const title of document.querySelectorAll(".toast-title")) {
      const text = [...title.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      if (text && text.textContent.trim() === "Error") text.textContent = uiLang() === "de" ? "Hinweis " : "Note ";
    }
  }
  const changes = {childList: true, subtree: true, characterData: true};
  new MutationObserver(prepare).observe(document.documentElement, changes);
  document.addEventListener("keydown", (e) => {
    const box = e.target.closest && e.target.closest("#frage textarea");
    if (!box || e.key !== "Enter" || e.isComposing) return;
    e.preventDefault();
    e.stopPropagation();
    if (e.shiftKey) {
      // Gradio takes Shift+Enter for itself; a new line goes in as typed text would.
      document.execCommand("insertText", false, "\n");
    } else {
      document.querySelector("#fragen").click();
    }
  }, true);
  document.addEventListener("click", (e) => {
    const skip = e.target.closest && e.target.closest("a.lotse-skip");
    if (!skip) return;
    e.preventDefault();
    const box = document.querySelector("#frage textarea");
    if (box) box.focus();
  });
  // A saved kit file is read here and sent as text: loading a kit needs no upload.
  document.addEventListener("change", (e) => {
    const input = e.target.closest && e.target.closest("#kit-datei");
    if (!input || !input.files || !input.files[0]) return;
    input.files[0].slice(0, 1048577).text().then((text) => {
      const box = document.querySelector("#kit-json textarea");
      if (!box) return;
      box.value = text;
      box.dispatchEvent(new Event("input", {bubbles: true}));
      setTimeout(() => document.querySelector("#kit-laden").click(), 100);
    });
  });
  // A link in an answer or the table of contents that opens the search or a section in
  // the page: its target goes to the hidden box #lotse-nav, and the hidden button
  // #lotse-nav-go sends it (layout.py _wire_links). With a modifier key it is a plain link.
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a.lotse-goto");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    const box = document.querySelector("#lotse-nav textarea, #lotse-nav input");
    if (!box) return;
    e.preventDefault();
    const d = link.dataset;
    const target = {goto: d.goto, words: d.words || "", doc: d.doc || "", idx: d.idx || ""};
    box.value = JSON.stringify({...target, at: Date.now()});
    box.dispatchEvent(new Event("input", {bubbles: true}));
    setTimeout(() => document.querySelector("#lotse-nav-go").click(), 100);
  });
  window.lotseSetLanguage = (lang) => {
    try { localStorage.setItem("charta-lotse-sprache", lang); } catch (err) { /* private mode */ }
    document.documentElement.dataset.lotseLang = lang;
    document.documentElement.lang = lang;
    const answer = document.getElementById("antwort");
    if (answer) answer.setAttribute("aria-label", SAID[lang].answer);
    prepare();
  };
  // The language chosen before, else the browser's on a first visit.
  window.lotseFirstLanguage = () => {
    let chosen = null;
    try { chosen = localStorage.getItem("charta-lotse-sprache"); } catch (err) { /* private mode */ }
    if (chosen === "de" || chosen === "en") return chosen;
    const wanted = (navigator.languages && navigator.languages.length)
      ? navigator.languages : [navigator.language || "de"];
    const first = wanted.map((l) => String(l).slice(0, 2).toLowerCase()).find((l) => l === "de" || l === "en");
    return first || "de";
  };
})();
