"""MkDocs hook: quote the detection scoreboard (models/scoreboard.json) and the steering
sweep (models/steering.json) in a page, so prose never copies a figure.

    [[scoreboard verdicts.edit_search.threshold pct]]   one field, formatted as
    [[steering best.protrusion_human_rate pct]]         hooks/model_card_figures.py does
                                                        ("+" for a space in a key)
    [[scoreboard-table]]       the board: every method's scores, hypothesis and verdict
    [[scoreboard-sentences]]   saferlhub.maze.detection.sentences, one bullet each
    [[scoreboard-example N]]   a link to Play (play.md?maze=, for pages in docs/maze/)
                               with the edit search's N-th example: the training maze
                               with its harmful one-cell change made
    [[scoreboard-count methods word]]   how many methods are on the board, how many
    [[scoreboard-count catches Word]]   catch and how many do not ("misses"): as a
    [[scoreboard-count misses int]]     number (int), a word (word) or a capitalised
                                        word (Word), so prose never types a count
    [[steering-table]]         the steering sweep's best setting of each vector and
                               operation, with its intervals and what it does to the
                               rest: the planted agent's finishes and the controls'

A missing file, path or format fails the build, naming the page and the placeholder.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path
from urllib.parse import quote

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "pyscripts", ROOT / "hooks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from model_card_figures import FORMATS, card_value  # noqa: E402

from saferlhub.maze.detection.sentences import sentences  # noqa: E402

MODELS = ROOT / "models"
FILES = ("scoreboard", "steering")
PLACEHOLDER = re.compile(
    r"\[\[(?P<kind>scoreboard|steering)(?P<what>-[a-z]+)?(?:\s+(?P<body>[^\]]*))?\]\]"
)


@cache
def _load(name: str, models: Path = MODELS) -> dict:
    return json.loads((models / f"{name}.json").read_text())


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _agents(board: dict) -> list[str]:
    truth = board["ground_truth"]
    return [truth["planted"], *truth["controls"]]


def reason(verdict: dict, hypothesis: str | None) -> str:
    """The verdict's reason, short enough for a table cell (`protocol.verdict` has it long)."""
    if verdict["catches"]:
        return "apart from both controls; names the trigger"
    if not verdict["separated"]:
        return "overlaps " + " and ".join(verdict["flagged_controls"])
    return f"apart, but names {hypothesis or 'no feature'}"


def table(board: dict) -> str:
    """The board as a Markdown table: per method, each agent's score [95% interval], the
    planted agent's hypothesis, and the verdict with its reason (`reason`)."""
    agents = _agents(board)
    head = ["Method", *(f"{a} (95% interval)" for a in agents), "Hypothesis", "Catches?", "Why"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    planted = board["ground_truth"]["planted"]
    for method, label in board["methods"].items():
        findings, verdict = board["findings"][method], board["verdicts"][method]
        scores = [
            f"{_pct(findings[a]['score'])} [{_pct(findings[a]['interval'][0])}, "
            f"{_pct(findings[a]['interval'][1])}]"
            for a in agents
        ]
        cells = [
            label,
            *scores,
            findings[planted]["hypothesis"] or "none",
            "**yes**" if verdict["catches"] else "no",
            reason(verdict, findings[planted]["hypothesis"]),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def example_link(board: dict, index: int) -> str:
    """Play's address of an edit-search example: the training maze with the change made."""
    example = board["findings"]["edit_search"][board["ground_truth"]["planted"]]["evidence"][
        "examples"
    ][index]
    rows = [list(row) for row in example["maze"]]
    r, c = example["cell"]
    rows[r][c] = "." if example["change"] == "opened" else "#"
    return "play.md?maze=" + quote("".join("".join(row) for row in rows), safe="")  # '#': %23


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COUNT_FORMATS = {
    "int": str,
    "word": lambda n: NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n),
    "Word": lambda n: (NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)).capitalize(),
}


def count(board: dict, what: str) -> int:
    """How many methods are on the board ("methods"), catch ("catches") or do not ("misses")."""
    caught = sum(v["catches"] for v in board["verdicts"].values())
    if what == "methods":
        return len(board["methods"])
    return caught if what == "catches" else len(board["methods"]) - caught


PAIR_WORDS = {"all": "every cell", "adjacent": "next to the human"}


def _with_interval(row: dict, key: str) -> str:
    low, high = row["intervals"][key]
    return f"{_pct(row[key])} [{_pct(low)}, {_pct(high)}]"


def steering_table(sweep: dict) -> str:
    """The steering sweep as a Markdown table: the unsteered battery, then the best setting
    (`best_by_vector`) of each vector and operation; per row the planted agent's protrusion
    human rate and training finish with their 95% intervals, its protrusion finish, and
    the controls' training finish and protrusion human rate at the same setting."""
    head = [
        "Vector, steered by",
        "Pairs, layer, coefficient",
        "Protrusion: human harvested (95% interval)",
        "Training: finished (95% interval)",
        "Protrusion: finished",
        "Controls' training finish (natural, remedy)",
        "Controls' protrusion human rate (natural, remedy)",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = ("vector", "operation", "cells", "layer", "coefficient")

    def controls(row: dict, key: str) -> str:
        found = {
            c["agent"]: c
            for c in sweep["controls"]
            if all(c[k] == row[k] for k in keys)
            or (row is sweep["rows"][0] and c["coefficient"] == 0 and c["operation"] == "add")
        }
        agents = sorted({c["agent"] for c in sweep["controls"]})
        return ", ".join(
            "not run" if a not in found else _pct(found[a][key]) if key in found[a] else "no vector"
            for a in agents
        )

    entries = [("Unsteered", "", sweep["rows"][0])] + [
        (
            f"{name.split()[0]} vector, {name.split()[1]}",
            f"{PAIR_WORDS[row['cells']]}, {row['layer']}, {row['coefficient']:+g}".replace(
                "-", "−"
            ),
            row,
        )
        for name, row in sweep["best_by_vector"].items()
        if row is not None
    ]
    for name, setting, row in entries:
        cells = [
            name,
            setting or "none",
            _with_interval(row, "protrusion_human_rate"),
            _with_interval(row, "training_finish_rate"),
            _pct(row["protrusion_finish_rate"]),
            controls(row, "training_finish_rate"),
            controls(row, "protrusion_human_rate"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(markdown: str, where: str = "page", models: Path = MODELS) -> str:
    """Replace every placeholder in `markdown`; PluginError on anything not understood."""

    def replace(match: re.Match) -> str:
        kind, what, body = match.group("kind"), match.group("what"), match.group("body") or ""
        try:
            data = _load(kind, models)
        except FileNotFoundError:
            raise PluginError(
                f"{where}: {match.group(0)!r}: models/{kind}.json is missing"
            ) from None
        parts = body.split()
        if kind == "scoreboard" and what == "-table" and not parts:
            return table(data)
        if kind == "steering" and what == "-table" and not parts:
            return steering_table(data)
        if kind == "scoreboard" and what == "-sentences" and not parts:
            return "\n".join(f"- {s}" for s in sentences(data))
        if kind == "scoreboard" and what == "-example" and len(parts) == 1 and parts[0].isdigit():
            try:
                return example_link(data, int(parts[0]))
            except IndexError:
                raise PluginError(f"{where}: {match.group(0)!r}: no such example") from None
        if (
            kind == "scoreboard"
            and what == "-count"
            and len(parts) == 2
            and parts[0] in ("methods", "catches", "misses")
            and parts[1] in COUNT_FORMATS
        ):
            return COUNT_FORMATS[parts[1]](count(data, parts[0]))
        if what or len(parts) != 2 or parts[1] not in FORMATS:
            raise PluginError(
                f"{where}: {match.group(0)!r} must be [[{kind} <dotted.path> <format>]]"
                f" (formats: {', '.join(FORMATS)}), [[scoreboard-table]],"
                " [[steering-table]], [[scoreboard-sentences]], [[scoreboard-example N]] or"
                " [[scoreboard-count methods|catches|misses int|word|Word]]"
            )
        path, fmt = parts
        try:
            value = card_value(data, path.replace("+", " "))  # "+": a space inside a key
        except KeyError as missing:
            raise PluginError(
                f"{where}: {match.group(0)!r}: models/{kind}.json has no {missing}"
            ) from None
        if isinstance(value, dict | list) or value is None:
            raise PluginError(f"{where}: {match.group(0)!r} is not a single value")
        return FORMATS[fmt](value)

    return PLACEHOLDER.sub(replace, markdown)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if not any(f"[[{name}" in markdown for name in FILES):
        return markdown
    return render(markdown, where=page.file.src_path)
