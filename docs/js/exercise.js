// Auto-graded exercises (the `exercise` fence of hooks/exercises.py).
//
// The fence renders a code cell (docs/js/cells.js makes it an editor with Run)
// plus the exercise's hints and solution. This module adds Check (with Stop while
// it runs), hints one at a time, Show solution (after a first Check) and Reset,
// each of the last two after the reader confirms, and keeps the reader's
// progress in localStorage. Grading is Python: saferlhub.exercises.grade runs the
// hidden checks in the worker. Python stops a reader's loop itself after a few
// seconds; a loop it cannot see (inside C code) is caught by the watchdog here,
// which stops and restarts the worker, so the page stays usable.

import { PythonStopped } from "./python-client.js";

const STORAGE_PREFIX = "saferlhub:exercise:";
// The browser tests shorten it (an init script sets the global) so they need not wait 30 s.
const WATCHDOG_MS = Number(globalThis.SAFERLHUB_EXERCISE_WATCHDOG_MS) || 30_000;

export function loadProgress(id) {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_PREFIX + id)) ?? {};
  } catch {
    return {};
  }
}

function saveProgress(id, progress) {
  try {
    localStorage.setItem(STORAGE_PREFIX + id, JSON.stringify(progress));
  } catch {
    /* storage full or disabled: progress is simply not kept */
  }
}

export function progressText(progress) {
  if (progress.passed) return progress.solutionShown && !progress.passedBeforeSolution ? "passed (after the solution)" : "passed";
  if (progress.attempts) return `tried ${progress.attempts} time${progress.attempts === 1 ? "" : "s"}`;
  return "not started";
}

function make(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function button(label, className) {
  const b = make("button", `md-button exercise__button ${className}`, label);
  b.type = "button";
  return b;
}

let confirmCount = 0;

/**
 * Ask before an action that throws away the reader's work: a question with two buttons
 * inserted after `anchor`'s row, focus on the safe choice (Cancel), Escape cancels.
 * Resolves true or false and gives focus back to `opener`.
 */
export function confirmInline(anchor, opener, question, yesLabel) {
  anchor.parentElement.querySelector(":scope > .exercise__confirm")?.remove();
  return new Promise((resolve) => {
    const id = `exercise-confirm-${++confirmCount}`;
    const box = make("div", "exercise__confirm");
    box.setAttribute("role", "group");
    box.setAttribute("aria-labelledby", id);
    const text = make("p", "exercise__confirm-question", question);
    text.id = id;
    const yes = button(yesLabel, "exercise__confirm-yes");
    const no = button("Cancel", "exercise__confirm-no");
    const row = make("div", "exercise__toolbar");
    row.append(yes, no);
    box.append(text, row);
    const finish = (answer) => {
      box.remove();
      opener.focus();
      resolve(answer);
    };
    yes.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        finish(false);
      }
    });
    anchor.after(box);
    no.focus();
  });
}

class Exercise {
  constructor(element, python) {
    this.element = element;
    this.python = python;
    this.id = element.dataset.exercise;
    this.cell = element.querySelector(".pycell");
    this.hints = [...element.querySelectorAll(".exercise__hints li")].map((li) => li.innerHTML);
    this.solution = element.querySelector(".exercise__solution").content.textContent;
    this.progress = loadProgress(this.id);
    this.checking = false;
    this.build();
  }

  build() {
    const toolbar = make("div", "exercise__toolbar");
    this.checkButton = button("✔ Check", "exercise__check md-button--primary");
    this.hintButton = button("Hint", "exercise__hint");
    this.solutionButton = button("Show solution", "exercise__show-solution");
    this.stopButton = button("■ Stop", "exercise__stop");
    this.stopButton.title = "Stop the check (restarts Python: variables of other cells are lost)";
    this.stopButton.setAttribute("aria-disabled", "true");
    this.resetButton = button("Reset exercise", "exercise__reset");
    this.resetButton.title = "Restore the starting code and forget this exercise's progress";
    toolbar.append(this.checkButton, this.stopButton, this.hintButton, this.solutionButton, this.resetButton);
    this.toolbar = toolbar;

    this.status = make("p", "exercise__status");
    this.status.setAttribute("aria-live", "polite");
    this.results = make("ul", "exercise__results");
    this.results.hidden = true;
    this.hintList = make("ol", "exercise__hint-list");
    this.hintList.hidden = true;
    this.hintList.setAttribute("aria-label", "Hints");

    this.element.querySelector(".exercise__hints").replaceWith(toolbar, this.status, this.results, this.hintList);
    this.element.dataset.mounted = "true";

    this.checkButton.addEventListener("click", () => this.check());
    this.stopButton.addEventListener("click", () => this.stop());
    this.hintButton.addEventListener("click", () => this.revealHint());
    this.solutionButton.addEventListener("click", () => this.askToShowSolution());
    this.resetButton.addEventListener("click", () => this.askToReset());
    for (let i = 0; i < (this.progress.hints ?? 0); i++) this.appendHint(i);
    this.refresh();
  }

  get code() {
    return this.cell.saferlhubCell?.code ?? this.cell.querySelector("pre")?.textContent ?? "";
  }

  save() {
    this.progress.updated = new Date().toISOString();
    saveProgress(this.id, this.progress);
  }

  refresh() {
    const shown = this.progress.hints ?? 0;
    const left = this.hints.length - shown;
    this.hintButton.textContent = left > 0 ? `Hint (${left} left)` : "No more hints";
    this.hintButton.disabled = left <= 0;
    const mayShow = Boolean(this.progress.attempts || this.progress.passed);
    this.solutionButton.disabled = !mayShow;
    this.solutionButton.title = mayShow ? "Replace your code with a solution" : "Available after your first Check";
    this.element.dataset.state = this.progress.passed ? "passed" : this.progress.attempts ? "attempted" : "new";
    if (!this.status.textContent && this.progress.passed) this.setStatus("You passed this exercise before.", "pass");
  }

  setStatus(text, kind = "") {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
  }

  appendHint(index) {
    const item = make("li", "exercise__hint-item");
    item.innerHTML = this.hints[index];
    this.hintList.append(item);
    this.hintList.hidden = false;
  }

  revealHint() {
    const shown = this.progress.hints ?? 0;
    if (shown >= this.hints.length) return;
    this.appendHint(shown);
    this.progress.hints = shown + 1;
    this.save();
    this.refresh();
  }

  async askToShowSolution() {
    if (this.solutionButton.disabled) return;
    const sure = await confirmInline(
      this.toolbar,
      this.solutionButton,
      "Replace your code with the solution? Your code in the editor will be lost.",
      "Replace my code",
    );
    if (sure) this.showSolution();
  }

  async askToReset() {
    const sure = await confirmInline(
      this.toolbar,
      this.resetButton,
      "Reset this exercise? The starting code replaces yours, and its hints and progress are forgotten.",
      "Reset",
    );
    if (sure) this.reset();
  }

  async showSolution() {
    if (this.solutionButton.disabled || !this.cell.saferlhubCell) return;
    await this.cell.saferlhubCell.setCode(this.solution.replace(/\n$/, ""));
    this.progress.solutionShown = true;
    this.save();
    this.setStatus("The solution is in the editor. Press Check to see it pass, or Reset exercise to start again.");
  }

  reset() {
    this.cell.querySelector(".pycell__reset")?.click();
    this.progress = {};
    try {
      localStorage.removeItem(STORAGE_PREFIX + this.id);
    } catch {
      /* nothing kept anyway */
    }
    this.hintList.replaceChildren();
    this.hintList.hidden = true;
    this.results.replaceChildren();
    this.results.hidden = true;
    this.setStatus("Exercise reset: starting code restored, progress forgotten.");
    this.refresh();
  }

  stop() {
    if (!this.checking) return;
    this.stopped = true;
    this.python.stop();
  }

  async grade(code) {
    // The Check count lets a numeric answer's message stop saying which way it is off.
    const attempt = this.progress.attempts ?? 1;
    const request = this.python.call("saferlhub.exercises.grade", { exercise: this.id, code, attempt });
    let timer;
    const watchdog = this.python.ready.then(
      () =>
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("watchdog")), WATCHDOG_MS);
        }),
    );
    try {
      return await Promise.race([request, watchdog]);
    } finally {
      clearTimeout(timer);
    }
  }

  async check() {
    if (this.checking) return;
    this.checking = true;
    this.stopped = false;
    // aria-disabled, not disabled: the button keeps the keyboard focus while it waits.
    this.checkButton.setAttribute("aria-disabled", "true");
    this.stopButton.removeAttribute("aria-disabled");
    this.element.dataset.status = "checking";
    // The last Check's results are not this one's: clear them before anything can fail.
    this.results.replaceChildren();
    this.results.hidden = true;
    const waiting = this.python.status.state === "loading";
    this.setStatus(waiting ? "Waiting for Python to load…" : "Checking…");
    if (waiting) this.python.ready.then(() => this.checking && this.setStatus("Checking…"), () => {});
    const code = this.code;
    this.progress.attempts = (this.progress.attempts ?? 0) + 1;
    try {
      const result = await this.grade(code);
      this.show(result);
      if (result.ok && !this.progress.passed) {
        this.progress.passed = true;
        this.progress.passedBeforeSolution = !this.progress.solutionShown;
      }
      this.element.dataset.status = result.ok ? "passed" : "failed";
    } catch (error) {
      this.element.dataset.status = "error";
      if (error.message === "watchdog") {
        this.python.stop();
        this.setStatus(
          `Your code was still running after ${WATCHDOG_MS / 1000} s, so Python was stopped and restarted ` +
            "(variables of other cells are gone). Look for a loop that never ends.",
          "fail",
        );
      } else if (error instanceof PythonStopped) {
        this.setStatus(
          this.stopped
            ? "Check stopped. Python was restarted (variables of other cells are gone); press Check to try again."
            : "Python was stopped while checking. Press Check again.",
          "fail",
        );
      } else {
        this.setStatus(`Could not check: ${error.message ?? error}`, "fail");
      }
    } finally {
      this.save();
      this.checking = false;
      this.checkButton.removeAttribute("aria-disabled");
      this.stopButton.setAttribute("aria-disabled", "true");
      this.refresh();
    }
  }

  show(result) {
    this.results.replaceChildren();
    if (result.error) {
      const item = make("li", "exercise__result exercise__result--fail");
      item.append(make("span", "exercise__mark", "✗ "), make("strong", "", "Your code could not be checked"));
      item.append(make("pre", "exercise__message", result.error));
      this.results.append(item);
    }
    for (const check of result.checks) {
      const item = make("li", `exercise__result exercise__result--${check.passed ? "pass" : "fail"}`);
      item.append(make("span", "exercise__mark", check.passed ? "✓ " : "✗ "), make("span", "", check.name));
      if (check.message) item.append(make("pre", "exercise__message", check.message));
      this.results.append(item);
    }
    if (result.output) {
      const printed = make("details", "exercise__output");
      printed.append(make("summary", "", "What your code printed"), make("pre", "", result.output));
      const item = make("li", "exercise__result");
      item.append(printed);
      this.results.append(item);
    }
    this.results.hidden = false;
    const passed = result.checks.filter((c) => c.passed).length;
    if (result.ok) this.setStatus(`Passed: all ${result.checks.length} checks. Well done.`, "pass");
    else if (result.error) this.setStatus("Not yet: see why below.", "fail");
    else this.setStatus(`Not yet: ${passed} of ${result.checks.length} checks passed. See the first failure below.`, "fail");
  }
}

export function mountExercises(root, python) {
  for (const element of root.querySelectorAll(".exercise")) {
    if (!element.dataset.mounted && element.querySelector(".exercise__solution")) new Exercise(element, python);
  }
}

/** The overview page: each exercise's progress, and a way to forget all of it. */
export function mountExerciseOverview(root) {
  const overview = root.querySelector(".exercise-overview");
  if (!overview || overview.dataset.mounted) return;
  overview.dataset.mounted = "true";
  const spans = [...overview.querySelectorAll(".exercise-progress")];
  const summary = make("p", "exercise-overview__summary");
  summary.setAttribute("aria-live", "polite");
  const resetAll = button("Forget all exercise progress", "exercise-overview__reset");
  const update = () => {
    let passed = 0;
    for (const span of spans) {
      const progress = loadProgress(span.dataset.exercise);
      span.textContent = progressText(progress);
      span.dataset.state = progress.passed ? "passed" : progress.attempts ? "attempted" : "new";
      if (progress.passed) passed += 1;
    }
    summary.textContent = `You have passed ${passed} of ${spans.length} exercises.`;
  };
  resetAll.addEventListener("click", async () => {
    const sure = await confirmInline(
      resetAll,
      resetAll,
      `Forget your progress on all ${spans.length} exercises? Passed checks, tries and hints are cleared in this browser.`,
      "Forget all progress",
    );
    if (!sure) return;
    for (const span of spans) localStorage.removeItem(STORAGE_PREFIX + span.dataset.exercise);
    update();
    summary.textContent += " Progress forgotten.";
  });
  overview.prepend(summary, resetAll);
  update();
}
