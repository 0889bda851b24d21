// Runnable, editable Python code cells (the `pycell` fence of hooks/pycell.py).
//
// Each cell: a CodeMirror editor, Run (also Shift+Enter / Ctrl+Enter), Stop,
// Reset, Copy and Download, and an output area that streams stdout and stderr.
// Cells on a page share one namespace like a notebook unless marked isolated.
// Edits are saved in localStorage until Reset.
//
// The buttons work at once; the editor (code-editor.js, CodeMirror) is set up once
// Python is ready, or as soon as the reader goes to the code (focus or click): until
// then the cell shows its code as the page rendered it (or the reader's saved edit),
// and Run runs that. Setting up the editors while Pyodide started slowed Python's start.
//
// Keyboard: Tab indents inside the editor, as in any code editor, so the way out is
// CodeMirror's own: Escape then Tab (or Shift+Tab) moves focus on, and Ctrl+M
// (Shift+Alt+M on macOS) switches Tab to moving focus for good. Every cell says so
// under its editor, and the editor's description points screen readers to it.

import { PythonStopped } from "./python-client.js";

const STORAGE_PREFIX = "saferlhub:cell:";
const MAX_OUTPUT_DOM_CHARS = 250_000;
// CodeMirror binds its tab-focus toggle to Shift+Alt+M on Apple keyboards.
const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform);

function storageKey(cell, index) {
  return `${STORAGE_PREFIX}${location.pathname}:${cell.dataset.cellId ?? index}`;
}

function loadSaved(key) {
  try {
    return JSON.parse(localStorage.getItem(key));
  } catch {
    return null;
  }
}

function button(label, title, className) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = `md-button pycell__button ${className}`;
  b.textContent = label;
  b.title = title;
  return b;
}

function pageSlug() {
  const parts = location.pathname.split("/").filter(Boolean);
  return parts[parts.length - 1]?.replace(/\.html$/, "") || "index";
}

class CodeCell {
  constructor(element, index, python) {
    this.element = element;
    this.number = index + 1;
    this.python = python;
    this.isolated = element.dataset.isolated === "true";
    this.original = element.querySelector("pre").textContent.replace(/\n$/, "");
    this.key = storageKey(element, index);
    this.running = false;
    this.view = null; // the CodeMirror editor, once set up (upgrade)
    this.build();
  }

  build() {
    const saved = loadSaved(this.key);
    const initial = saved?.code ?? this.original;

    const toolbar = document.createElement("div");
    toolbar.className = "pycell__toolbar";
    this.runButton = button("▶ Run", "Run this cell (Shift+Enter or Ctrl+Enter)", "pycell__run md-button--primary");
    this.stopButton = button("■ Stop", "Stop Python (restarts it: variables are lost)", "pycell__stop");
    this.resetButton = button("↺ Reset", "Discard your edits and restore the original code", "pycell__reset");
    this.copyButton = button("Copy", "Copy the code", "pycell__copy");
    this.downloadButton = button("Download .py", "Download the code as a .py file", "pycell__download");
    this.state = document.createElement("span");
    this.state.className = "pycell__state";
    this.state.setAttribute("aria-live", "polite");
    this.stopButton.disabled = true;
    toolbar.append(this.runButton, this.stopButton, this.resetButton, this.copyButton, this.downloadButton, this.state);

    this.output = document.createElement("pre");
    this.output.className = "pycell__output";
    this.output.hidden = true;
    this.output.setAttribute("aria-live", "polite");
    this.output.setAttribute("aria-label", `Output of cell ${this.number}`);

    const hintId = `pycell-hint-${this.number}`;
    const hint = document.createElement("p");
    hint.className = "pycell__hint";
    hint.id = hintId;
    const toggle = IS_MAC ? "<kbd>Shift</kbd>+<kbd>Alt</kbd>+<kbd>M</kbd>" : "<kbd>Ctrl</kbd>+<kbd>M</kbd>";
    hint.innerHTML =
      "Tab indents. To leave the editor from the keyboard press <kbd>Esc</kbd> then <kbd>Tab</kbd> " +
      `(or ${toggle}: Tab then moves focus). <kbd>Shift</kbd>+<kbd>Enter</kbd> runs the cell.`;

    // Until the editor is set up: the code as the page rendered it (highlighted), or the
    // reader's saved edit, focusable so a keyboard reaches it (and the editor with it).
    this.hintId = hintId;
    this.text = initial;
    this.editorHost = document.createElement("div");
    this.editorHost.className = "pycell__editor";
    const rendered = this.element.querySelector(".highlight");
    if (rendered && initial === this.original) {
      rendered.querySelectorAll(".md-code__nav").forEach((buttons) => buttons.remove());
      this.placeholder = rendered;
    } else {
      this.placeholder = document.createElement("div");
      this.placeholder.className = "highlight";
      const pre = document.createElement("pre");
      pre.append(Object.assign(document.createElement("code"), { textContent: initial }));
      this.placeholder.append(pre);
    }
    const pre = this.placeholder.querySelector("pre");
    pre.tabIndex = 0;
    pre.setAttribute("aria-label", `Python code cell ${this.number}`);
    pre.setAttribute("aria-describedby", hintId);
    this.editorHost.append(this.placeholder);
    const wanted = () => this.view || this.upgrade({ focus: true });
    this.editorHost.addEventListener("focusin", wanted);
    this.editorHost.addEventListener("pointerdown", wanted);

    this.element.replaceChildren(toolbar, this.editorHost, hint, this.output);
    this.element.dataset.mounted = "true";
    if (saved && saved.original !== this.original) {
      this.setState("Your edit is restored; the page's original code has changed since. Reset shows it.");
    } else if (saved) {
      this.setState("Your edit is restored. Reset brings back the original.");
    }
    this.markEdited();

    this.runButton.addEventListener("click", () => this.run());
    this.stopButton.addEventListener("click", () => this.python.stop());
    this.resetButton.addEventListener("click", () => this.reset());
    this.copyButton.addEventListener("click", () => this.copy());
    this.downloadButton.addEventListener("click", () => this.download());
  }

  get code() {
    return this.view ? this.view.state.doc.toString() : this.text;
  }

  /** Set up the editor in place of the rendered code (once); `focus` puts the caret in it. */
  upgrade({ focus = false } = {}) {
    this.upgrading ??= import("./code-editor.js").then(({ createEditor }) => {
      const hadFocus = this.editorHost.contains(document.activeElement);
      this.view = createEditor({
        parent: this.editorHost,
        doc: this.text,
        label: `Python code cell ${this.number}`,
        describedBy: this.hintId,
        onRun: () => this.run(),
        onChange: () => this.save(),
      });
      this.placeholder.remove();
      this.element.dataset.editor = "ready";
      if (hadFocus) this.view.focus();
    });
    if (focus) this.upgrading.then(() => this.view.focus());
    return this.upgrading;
  }

  /** Replace the code (the editor is set up first): Reset, or an exercise's solution. */
  async setCode(text) {
    await this.upgrade();
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  setState(text, kind = "") {
    this.state.textContent = text;
    this.state.dataset.kind = kind;
  }

  markEdited() {
    this.element.classList.toggle("pycell--edited", this.code !== this.original);
  }

  save() {
    this.markEdited();
    try {
      if (this.code === this.original) localStorage.removeItem(this.key);
      else localStorage.setItem(this.key, JSON.stringify({ code: this.code, original: this.original }));
    } catch {
      this.setState("Could not save your edit (browser storage is full or disabled).", "error");
    }
  }

  async reset() {
    await this.setCode(this.original);
    localStorage.removeItem(this.key);
    this.markEdited();
    this.setState("Original code restored.");
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.code);
      this.setState("Copied.");
    } catch {
      this.setState("Copy failed: select the code and press Ctrl+C.", "error");
    }
  }

  download() {
    const blob = new Blob([`${this.code}\n`], { type: "text/x-python" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${pageSlug()}-cell-${this.number}.py`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  append(text, className) {
    if (this.outputChars >= MAX_OUTPUT_DOM_CHARS) return;
    const room = MAX_OUTPUT_DOM_CHARS - this.outputChars;
    const piece = text.length > room ? text.slice(0, room) : text;
    this.outputChars += piece.length;
    const last = this.output.lastElementChild;
    if (last && last.className === className) last.append(piece);
    else {
      const span = document.createElement("span");
      span.className = className;
      span.textContent = piece;
      this.output.append(span);
    }
    this.output.hidden = false;
    if (piece.length < text.length) this.notice(`Output truncated at ${MAX_OUTPUT_DOM_CHARS.toLocaleString()} characters.`);
  }

  notice(text) {
    const note = document.createElement("span");
    note.className = "pycell__notice";
    note.textContent = `${text}\n`;
    this.output.append(note);
    this.output.hidden = false;
  }

  async run() {
    if (this.running) return;
    this.running = true;
    this.output.replaceChildren();
    this.output.hidden = true;
    this.outputChars = 0;
    this.runButton.disabled = true;
    this.stopButton.disabled = false;
    this.element.dataset.status = "running";
    const waiting = this.python.status.state === "loading";
    this.setState(waiting ? "Waiting for Python to load…" : "Running…");
    if (waiting) this.python.ready.then(() => this.running && this.setState("Running…"), () => {});
    const started = performance.now();
    try {
      const result = await this.python.run(this.code, {
        namespace: this.isolated ? null : location.pathname,
        filename: `<cell ${this.number}>`,
        onOutput: (stream, text) => this.append(text, `pycell__${stream}`),
        onNotice: (text) => this.notice(text),
        onTruncated: (limit) =>
          this.notice(`… output truncated after ${limit.toLocaleString()} characters; the code kept running (Stop ends it).`),
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (result.ok) {
        this.element.dataset.status = "done";
        this.setState(`Done in ${seconds} s.`);
      } else {
        this.append(result.error, "pycell__error");
        this.element.dataset.status = "error";
        this.setState("Error (see the traceback below).", "error");
      }
    } catch (error) {
      if (error instanceof PythonStopped) {
        this.element.dataset.status = "stopped";
        this.setState("Stopped. Python was restarted: variables from earlier cells are gone, run them again.", "error");
      } else {
        this.element.dataset.status = "error";
        this.append(String(error.message ?? error), "pycell__error");
        this.setState("Python failed.", "error");
      }
    } finally {
      this.running = false;
      this.runButton.disabled = false;
      this.stopButton.disabled = true;
    }
  }
}

const mounted = new Set();
let listening = false;

export function mountCells(root, python) {
  const cells = [...root.querySelectorAll(".pycell")];
  const fresh = [];
  cells.forEach((element, index) => {
    if (element.dataset.mounted) return;
    const cell = new CodeCell(element, index, python);
    element.saferlhubCell = cell; // exercise.js reads and sets the code through it
    mounted.add(cell);
    fresh.push(cell);
  });
  for (const cell of mounted) if (!cell.element.isConnected) mounted.delete(cell);
  // The editors once Python is ready (or has failed: editing needs no Python).
  const upgradeAll = () => fresh.forEach((cell) => cell.element.isConnected && cell.upgrade());
  python.ready.then(upgradeAll, upgradeAll);
  if (!listening) {
    listening = true;
    // After a Stop anywhere, cells that ran before say their results are gone.
    python.addEventListener("reset", () => {
      for (const cell of mounted) {
        if (!cell.running && ["done", "error"].includes(cell.element.dataset.status)) {
          cell.element.dataset.status = "reset";
          cell.setState("Python was restarted: this cell's variables are gone; run it again.");
        }
      }
    });
  }
}
