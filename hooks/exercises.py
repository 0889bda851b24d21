"""MkDocs hook: the `exercise` fence, an auto-graded exercise on a code cell.

Authors write the reader's starting code in the fence and name the exercise:

    ```exercise id="q-update"
    def q_update(q, state, action, reward, next_state, terminated, alpha, gamma):
        ...
    ```

Everything else (checks, hints, the reference solution) lives in
`pyscripts/saferlhub/exercises/`, which runs in the page's Python worker when
the reader presses Check (docs/js/exercise.js). The page gets an ordinary
`pycell` (docs/js/cells.js makes it an editor), the hints and the solution,
which is the reference's own source, so it is never pasted by hand.

The build fails on: an unknown option, a missing or unknown id, an id used
twice in the site, a starter that does not compile, and a starter that does not
define the exercise's function (or variable, for a numeric question).

`[[exercise-overview]]` on a page becomes the list of every exercise in the
site, grouped by topic, each linking to where it is; docs/js/exercise.js fills
in the reader's progress.
"""

from __future__ import annotations

import ast
import html
import posixpath
import re
import sys
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pymdownx.superfences import SuperFencesException

PYSCRIPTS = Path(__file__).resolve().parent.parent / "pyscripts"
if str(PYSCRIPTS) not in sys.path:
    sys.path.insert(0, str(PYSCRIPTS))

from saferlhub.exercises import EXERCISES  # noqa: E402

FENCE_NAME = "exercise"
OPTIONS = {"id"}
FENCE = re.compile(r"^\s*```+\s*exercise\b(?P<options>[^\n]*)$", re.MULTILINE)
ID_OPTION = re.compile(r'\bid="(?P<id>[^"]*)"')
OVERVIEW = "[[exercise-overview]]"

# exercise id -> the page (docs-relative .md path) that shows it; filled by on_files
_pages: dict[str, str] = {}


class ExerciseError(SuperFencesException):
    """A bad exercise fence; superfences lets this type (only) fail the build."""


def validate(language, inputs, options, attrs, md):
    unknown = set(inputs) - OPTIONS
    if unknown:
        raise ExerciseError(
            f"exercise: unknown option(s) {sorted(unknown)}; allowed: {sorted(OPTIONS)}"
        )
    if "id" not in inputs:
        raise ExerciseError('exercise: every exercise fence needs id="..."')
    if inputs["id"] not in EXERCISES:
        raise ExerciseError(
            f"exercise: no exercise {inputs['id']!r} in saferlhub.exercises; "
            f"known: {', '.join(sorted(EXERCISES))}"
        )
    options.update(inputs)
    return True


def defined_names(source: str) -> set[str]:
    """Top-level functions and assigned names of the starter code."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def check_starter(exercise_id: str, source: str) -> None:
    exercise = EXERCISES[exercise_id]
    try:
        compile(source, f"<exercise {exercise_id}>", "exec")
    except SyntaxError as error:
        raise ExerciseError(
            f"exercise {exercise_id}: the starter code does not compile: {error}"
        ) from None
    if exercise.entry not in defined_names(source):
        what = "function" if exercise.kind == "function" else "variable"
        raise ExerciseError(
            f"exercise {exercise_id}: the starter code must define the {what} "
            f"`{exercise.entry}` (the name the checks look for)"
        )


def inline(text: str) -> str:
    """Hint text to HTML: escaped, with `code` spans."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def render(source, language, class_name, options, md, **kwargs):
    exercise_id = options["id"]
    check_starter(exercise_id, source)
    exercise = EXERCISES[exercise_id]
    code = highlight(source, PythonLexer(), HtmlFormatter(cssclass="highlight", wrapcode=True))
    hints = "".join(f"<li>{inline(hint)}</li>" for hint in exercise.hints)
    solution = html.escape(exercise.solution())
    return (
        f'<div class="exercise" id="exercise-{exercise_id}" data-exercise="{exercise_id}" '
        f'data-kind="{exercise.kind}" data-entry="{exercise.entry}">'
        f'<p class="exercise__title"><span class="exercise__badge">Exercise</span> '
        f"{html.escape(exercise.title)}</p>"
        f'<div class="pycell" data-cell-id="exercise-{exercise_id}" data-isolated="true">'
        f"{code}</div>"
        f'<details class="exercise__hints"><summary>Hints</summary><ol>{hints}</ol></details>'
        f'<template class="exercise__solution">{solution}</template>'
        "</div>"
    )


def fences_in(markdown: str) -> list[str]:
    """Exercise ids named by the fences of a page's Markdown."""
    ids = []
    for match in FENCE.finditer(markdown):
        found = ID_OPTION.search(match.group("options"))
        if found:
            ids.append(found.group("id"))
    return ids


def overview_markdown(page_path: str) -> str:
    """The overview: one table per topic, each row linking to the exercise on its page."""
    by_topic: dict[str, list[str]] = {}
    for exercise_id, exercise in EXERCISES.items():
        if exercise_id in _pages:
            by_topic.setdefault(exercise.topic, []).append(exercise_id)
    if not by_topic:
        raise ExerciseError(f"{page_path}: {OVERVIEW} but no page shows an exercise")
    here = posixpath.dirname(page_path)
    parts = ['<div class="exercise-overview" markdown>']
    for topic, ids in by_topic.items():
        parts += [f"\n### {topic}\n", "| Exercise | Progress |", "|---|---|"]
        for exercise_id in ids:
            link = posixpath.relpath(_pages[exercise_id], here or ".")
            title = EXERCISES[exercise_id].title
            parts.append(
                f"| [{title}]({link}#exercise-{exercise_id}) "
                f'| <span class="exercise-progress" data-exercise="{exercise_id}">'
                "not started</span> |"
            )
    parts.append("\n</div>")
    return "\n".join(parts)


def on_config(config):
    superfences = config.mdx_configs.setdefault("pymdownx.superfences", {})
    fences = superfences.setdefault("custom_fences", [])
    if not any(f.get("name") == FENCE_NAME for f in fences):
        fences.append(
            {"name": FENCE_NAME, "class": FENCE_NAME, "format": render, "validator": validate}
        )
    return config


def on_files(files, config):
    _pages.clear()
    for file in files.documentation_pages():
        text = Path(file.abs_src_path).read_text(encoding="utf-8")
        for exercise_id in fences_in(text):
            if exercise_id in _pages:
                raise ExerciseError(
                    f"exercise {exercise_id!r} appears twice: in {_pages[exercise_id]} "
                    f"and {file.src_uri}"
                )
            _pages[exercise_id] = file.src_uri
    return files


def on_page_markdown(markdown, page, config, files):
    if OVERVIEW in markdown:
        markdown = markdown.replace(OVERVIEW, overview_markdown(page.file.src_uri))
    return markdown


EXERCISE_ANCHOR = re.compile(r'<div class="exercise" id="(exercise-[^"]+)"')


def on_page_content(html_text, page, config, files):
    """Tell MkDocs's link validation about the exercises' anchors.

    The fence's HTML is stashed raw, so MkDocs never sees its `id` and would
    report every `...#exercise-<id>` link as broken (strict mode aborts). The
    anchors are read from the rendered page itself, so a link to an exercise that
    is not there still fails the build.
    """
    anchors = EXERCISE_ANCHOR.findall(html_text)
    if anchors and page.present_anchor_ids is not None:
        page.present_anchor_ids |= set(anchors)
    return html_text
