"""MkDocs hook: the quiz, rendered from one data file (docs/learn/quiz.yml).

`[[quiz]]` on a page becomes every question of the data file: multiple choice,
numeric (with a tolerance) and "predict the agent" (a maze is shown; which way
does the agent move?). Each has an explanation and a link back to the lesson
that teaches it; docs/js/quiz.js checks answers, shows explanations and keeps
the score in localStorage. Without JavaScript the questions still read, with
the explanations folded away.

The build fails on a question it does not understand: an unknown kind or
field, a missing field, an answer index out of range, a duplicate id, a lesson
that is not a page of the site (MkDocs then checks the link's anchor, under
`strict`). tests/hooks/test_quiz.py recomputes the numeric answers and the
predicted moves with saferlhub.
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError

DATA = Path(__file__).resolve().parent.parent / "docs" / "learn" / "quiz.yml"
MARKER = "[[quiz]]"
KINDS = {
    "choice": {"question", "choices", "answer"},
    "numeric": {"question", "answer", "tolerance"},
    "predict": {"question", "maze", "cell", "choices", "answer"},
}
COMMON = {"id", "kind", "lesson", "explanation"}
MOVES = ["up", "down", "left", "right"]
QUESTION_ID = re.compile(r"^[a-z0-9-]{1,64}$")


def load_questions(path: Path = DATA) -> list[dict]:
    """The questions, validated; PluginError naming the question at fault."""
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(questions, list) or not questions:
        raise PluginError(f"{path}: expected a list of questions")
    seen = set()
    for number, q in enumerate(questions, 1):
        where = f"{path.name}, question {number} ({q.get('id', 'no id')})"
        kind = q.get("kind")
        if kind not in KINDS:
            raise PluginError(f"{where}: kind must be one of {sorted(KINDS)}, not {kind!r}")
        required = COMMON | KINDS[kind]
        if missing := required - set(q):
            raise PluginError(f"{where}: missing {sorted(missing)}")
        if extra := set(q) - required:
            raise PluginError(f"{where}: unknown field(s) {sorted(extra)}")
        if not QUESTION_ID.match(str(q["id"])) or q["id"] in seen:
            raise PluginError(f"{where}: id must be unique and match {QUESTION_ID.pattern}")
        seen.add(q["id"])
        if kind in {"choice", "predict"}:
            choices = q["choices"]
            if not isinstance(choices, list) or len(choices) < 2:
                raise PluginError(f"{where}: needs at least two choices")
            answer = q["answer"]
            if isinstance(answer, bool) or not isinstance(answer, int):
                raise PluginError(f"{where}: answer must be the index of a choice")
            if not 0 <= answer < len(choices):
                raise PluginError(
                    f"{where}: answer {answer} is not a choice (0-{len(choices) - 1})"
                )
        if kind == "predict" and q["choices"] != MOVES:
            raise PluginError(f"{where}: predict questions offer the moves {MOVES}")
        if kind == "numeric":
            for field in ("answer", "tolerance"):
                if isinstance(q[field], bool) or not isinstance(q[field], int | float):
                    raise PluginError(f"{where}: {field} must be a number")
    return questions


def lesson_page(lesson: str) -> str:
    return lesson.partition("#")[0]


INLINE_MATH = re.compile(r"\$([^$\n]+)\$")


def plain_text(markdown: str) -> str:
    """A choice as plain text, for the feedback line: '$Q(s, a)$' -> 'Q(s, a)'."""
    return INLINE_MATH.sub(r"\1", markdown).replace("\\", "")


def _choices_html(q: dict) -> str:
    # Each choice is inline Markdown (maths included), which md_in_html parses inside
    # its option's div; data-text keeps a plain version for the "the answer is ..." line.
    name = f"quiz-{q['id']}"
    items = []
    for index, choice in enumerate(q["choices"]):
        text = html.escape(plain_text(str(choice)), quote=True)
        items.append(
            f'<div class="quiz__option" markdown="span"><label class="quiz__choice" '
            f'data-text="{text}"><input type="radio" name="{name}" value="{index}"> '
            f"<span>{choice}</span></label></div>"
        )
    body = "\n".join(items)
    return f'<div class="quiz__choices" role="radiogroup" markdown="block">\n{body}\n</div>'


def _numeric_html(q: dict) -> str:
    field = f"quiz-{q['id']}-answer"
    return (
        f'<div class="quiz__numeric"><label for="{field}">Your answer</label> '
        f'<input id="{field}" class="quiz__input" type="text" inputmode="decimal" '
        'autocomplete="off"></div>'
    )


def _maze_html(q: dict) -> str:
    rows = q["maze"].strip().splitlines()
    r, c = q["cell"]
    text = (
        f"A 7 by 7 maze, row by row (# wall, . empty, C crop, H human, F finish, "
        f"A the agent at row {r}, column {c}, counting from 0 at the top left): " + ", ".join(rows)
    )
    return (
        f'<pre class="quiz__maze" role="img" aria-label="{html.escape(text)}">'
        f"{html.escape(chr(10).join(rows))}</pre>"
    )


def question_markdown(q: dict, number: int, page_path: str) -> str:
    link = posixpath.relpath(lesson_page(q["lesson"]), posixpath.dirname(page_path) or ".")
    anchor = q["lesson"].partition("#")[2]
    target = link + (f"#{anchor}" if anchor else "")
    kind_label = {"choice": "", "numeric": " (a number)", "predict": " (predict the agent)"}
    answer = q["answer"] if q["kind"] != "numeric" else q["answer"]
    attrs = (
        f'class="quiz__question" id="quiz-{q["id"]}" data-question="{q["id"]}" '
        f'data-kind="{q["kind"]}" data-answer="{answer}"'
    )
    if q["kind"] == "numeric":
        attrs += f' data-tolerance="{q["tolerance"]}"'
    body = _numeric_html(q) if q["kind"] == "numeric" else _choices_html(q)
    if q["kind"] == "predict":
        body = _maze_html(q) + "\n\n" + body
    return "\n".join(
        [
            f"<div {attrs} markdown>",
            f'<p class="quiz__number">Question {number}{kind_label[q["kind"]]}</p>',
            "",
            q["question"],
            "",
            body,
            "",
            '<div class="quiz__explanation" markdown>',
            "",
            f"{q['explanation']} [Read the lesson]({target}).",
            "",
            "</div>",
            "</div>",
            "",
        ]
    )


def quiz_markdown(page_path: str, questions: list[dict]) -> str:
    parts = [f'<div class="quiz" data-quiz="{len(questions)}" markdown>', ""]
    parts += [question_markdown(q, n, page_path) for n, q in enumerate(questions, 1)]
    parts.append("</div>")
    return "\n".join(parts)


def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    questions = load_questions()
    pages = {f.src_uri for f in files.documentation_pages()}
    for q in questions:
        if lesson_page(q["lesson"]) not in pages:
            raise PluginError(f"quiz question {q['id']}: lesson {q['lesson']!r} is not a page")
    return markdown.replace(MARKER, quiz_markdown(page.file.src_uri, questions))
