// The quiz (hooks/quiz.py renders the questions of docs/learn/quiz.yml).
//
// Each question gets a Check button; an answer shows right or wrong, the
// explanation and the link back to the lesson. Answers and the score are kept
// in localStorage, so progress survives a reload; Reset forgets them.

const STORAGE_KEY = "saferlhub:quiz";

function load() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY)) ?? {};
  } catch {
    return {};
  }
}

function store(answers) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(answers));
  } catch {
    /* storage full or disabled: the score is simply not kept */
  }
}

// A typed number: { value } or { error } (a sentence for the reader), never a silent
// misreading. Accepted: 0.73, -11, 1e-3, a decimal comma (0,73), and thousands in
// groups of three separated by commas, spaces or apostrophes (1,000,000; 1 000;
// 1,000.5). "1,000" alone could be a thousand or one with a decimal comma: asked.
const PLAIN = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const GROUPED = /^([-+]?)([1-9]\d{0,2})((?:([,' ])\d{3})(?:\4\d{3})*)(\.\d+)?$/;
const DECIMAL_COMMA = /^[-+]?\d+,\d+$/;
const NOT_A_NUMBER = "That is not a number (write it like 0.73, -11 or 1000).";

export function parseNumber(text) {
  const cleaned = String(text).trim().replace(/\u2212/g, "-").replace(/[\u00a0\u2009\u202f]/g, " ");
  const grouped = GROUPED.exec(cleaned);
  if (grouped) {
    const [, sign, head, groups, separator, decimals] = grouped;
    if (separator === "," && groups.length === 4 && !decimals) {
      const thousands = `${sign}${head}${groups.slice(1)}`;
      const decimal = `${sign}${head}.${groups.slice(1)}`;
      return {
        error:
          `“${cleaned}” is ambiguous: ${thousands} with a thousands comma, or ${Number(decimal)} ` +
          `with a decimal comma. Write ${thousands}, or ${decimal} with a point.`,
      };
    }
    return { value: Number(sign + head + groups.replaceAll(separator, "") + (decimals ?? "")) };
  }
  if (DECIMAL_COMMA.test(cleaned)) return { value: Number(cleaned.replace(",", ".")) };
  if (PLAIN.test(cleaned)) return { value: Number(cleaned) };
  return { error: NOT_A_NUMBER };
}

class Question {
  constructor(element, quiz) {
    this.element = element;
    this.quiz = quiz;
    this.id = element.dataset.question;
    this.kind = element.dataset.kind;
    this.explanation = element.querySelector(".quiz__explanation");
    this.explanation.hidden = true;
    this.feedback = document.createElement("p");
    this.feedback.className = "quiz__feedback";
    this.feedback.setAttribute("aria-live", "polite");
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.className = "md-button md-button--primary quiz__check";
    this.button.textContent = "Check answer";
    this.button.addEventListener("click", () => this.check());
    const input = element.querySelector(".quiz__input");
    input?.addEventListener("keydown", (event) => event.key === "Enter" && this.check());
    this.explanation.before(this.button, this.feedback);
  }

  get given() {
    if (this.kind === "numeric") return this.element.querySelector(".quiz__input").value;
    const checked = this.element.querySelector("input[type=radio]:checked");
    return checked ? Number(checked.value) : null;
  }

  isRight(given) {
    if (this.kind === "numeric") {
      const { value } = parseNumber(given);
      const answer = Number(this.element.dataset.answer);
      return value !== undefined && Math.abs(value - answer) <= Number(this.element.dataset.tolerance) + 1e-9;
    }
    return given === Number(this.element.dataset.answer);
  }

  check() {
    const given = this.given;
    if (given === null || given === "") {
      this.feedback.textContent = this.kind === "numeric" ? "Type a number first." : "Choose an answer first.";
      this.feedback.dataset.kind = "";
      return;
    }
    const parsed = this.kind === "numeric" ? parseNumber(given) : null;
    if (parsed?.error) {
      this.feedback.textContent = parsed.error;
      this.feedback.dataset.kind = "wrong";
      return;
    }
    this.quiz.record(this.id, { given, right: this.isRight(given) });
    this.show(given);
  }

  show(given) {
    const right = this.isRight(given);
    this.element.dataset.state = right ? "right" : "wrong";
    this.feedback.dataset.kind = right ? "right" : "wrong";
    // Say how a typed number was read when it was written another way (0,73; 1 000).
    const { value } = this.kind === "numeric" ? parseNumber(given) : {};
    const read = value !== undefined && /[,' \u00a0\u2009\u202f]/.test(String(given).trim()) ? ` (read as ${value})` : "";
    if (right) this.feedback.textContent = `✓ Right${read}.`;
    else if (this.kind === "numeric")
      this.feedback.textContent = `✗ Not quite${read}: the answer is ${this.element.dataset.answer}.`;
    else {
      const labels = [...this.element.querySelectorAll(".quiz__choice")].map((label) => label.dataset.text);
      this.feedback.textContent = `✗ Not quite: the answer is “${labels[Number(this.element.dataset.answer)]}”.`;
    }
    this.explanation.hidden = false;
  }

  restore(saved) {
    if (this.kind === "numeric") this.element.querySelector(".quiz__input").value = saved.given;
    else {
      const radio = this.element.querySelector(`input[type=radio][value="${saved.given}"]`);
      if (radio) radio.checked = true;
    }
    this.show(saved.given);
  }

  clear() {
    delete this.element.dataset.state;
    this.feedback.textContent = "";
    this.explanation.hidden = true;
    if (this.kind === "numeric") this.element.querySelector(".quiz__input").value = "";
    for (const radio of this.element.querySelectorAll("input[type=radio]")) radio.checked = false;
  }
}

class Quiz {
  constructor(element) {
    this.element = element;
    this.answers = load();
    this.questions = [...element.querySelectorAll(".quiz__question")].map((q) => new Question(q, this));
    this.score = document.createElement("p");
    this.score.className = "quiz__score";
    this.score.setAttribute("aria-live", "polite");
    const reset = document.createElement("button");
    reset.type = "button";
    reset.className = "md-button quiz__reset";
    reset.textContent = "Reset the quiz";
    reset.addEventListener("click", () => this.reset());
    const bar = document.createElement("div");
    bar.className = "quiz__bar";
    bar.append(this.score, reset);
    element.prepend(bar);
    for (const question of this.questions) {
      const saved = this.answers[question.id];
      if (saved) question.restore(saved);
    }
    element.dataset.mounted = "true";
    this.update();
  }

  record(id, answer) {
    this.answers[id] = answer;
    store(this.answers);
    this.update();
  }

  reset() {
    this.answers = {};
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      /* nothing kept anyway */
    }
    for (const question of this.questions) question.clear();
    this.update();
  }

  update() {
    const ids = new Set(this.questions.map((q) => q.id));
    const answered = Object.entries(this.answers).filter(([id]) => ids.has(id));
    const right = answered.filter(([, a]) => a.right).length;
    this.score.textContent =
      `Answered ${answered.length} of ${this.questions.length}; ${right} right.` +
      (answered.length === this.questions.length ? " All done!" : "");
  }
}

export function mountQuiz(root) {
  const element = root.querySelector("[data-quiz]");
  if (element && !element.dataset.mounted) new Quiz(element);
}
