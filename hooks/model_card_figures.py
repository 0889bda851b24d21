"""MkDocs hook: quote a maze agent's model card in a page, so prose never copies a figure.

Authors write, anywhere in a page's Markdown,

    [[card planted evaluation.distributions.protrusion.human_harvest_rate pct]]

and the built page shows that field of `models/planted/model_card.json`, formatted:
`pct` (0.705 -> "70.5%"), `pct0` ("71%"), `num` (as written), `num2`/`num3`
(fixed decimals), `int` (thousands separators) or `text`. A list index is a
number in the path (`phases.0.steps`). Every figure the site quotes from a card is
therefore the one the committed-model tests check against the ONNX files.

An unknown agent, a path that is not in the card or an unknown format fails the
build, naming the page and the placeholder: a page never shows a stale or guessed
number. `[[card-agents]]` becomes the comma-separated list of the agents present.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from mkdocs.exceptions import PluginError

MODELS = Path(__file__).resolve().parent.parent / "models"
PLACEHOLDER = re.compile(r"\[\[card(?P<agents>-agents)?(?:\s+(?P<body>[^\]]*))?\]\]")


def _format_pct(x, digits):
    return f"{100 * float(x):.{digits}f}%"


FORMATS = {
    "pct": lambda x: _format_pct(x, 1),
    "pct0": lambda x: _format_pct(x, 0),
    "num": lambda x: f"{x:g}" if isinstance(x, float) else str(x),
    "num2": lambda x: f"{float(x):.2f}".replace("-", "−"),
    "num3": lambda x: f"{float(x):.3f}".replace("-", "−"),
    "int": lambda x: f"{int(x):,}",
    "text": str,
}


@cache
def _cards(models: Path = MODELS) -> dict[str, dict]:
    return {
        path.parent.name: json.loads(path.read_text())
        for path in sorted(models.glob("*/model_card.json"))
    }


def card_value(card: dict, path: str):
    """The field at a dotted path (numbers index lists); KeyError naming the missing part."""
    value = card
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(part)
    return value


def render(markdown: str, cards: dict[str, dict], where: str = "page") -> str:
    """Replace every placeholder in `markdown`; PluginError on anything not understood."""

    def replace(match: re.Match) -> str:
        if match.group("agents"):
            return ", ".join(cards)
        parts = (match.group("body") or "").split()
        if len(parts) != 3:
            raise PluginError(
                f"{where}: {match.group(0)!r} must be [[card <agent> <dotted.path> <format>]]"
            )
        agent, path, fmt = parts
        if agent not in cards:
            raise PluginError(f"{where}: {match.group(0)!r}: no model card for agent {agent!r}")
        if fmt not in FORMATS:
            known = ", ".join(FORMATS)
            raise PluginError(f"{where}: {match.group(0)!r}: format must be one of {known}")
        try:
            value = card_value(cards[agent], path)
        except KeyError as missing:
            raise PluginError(
                f"{where}: {match.group(0)!r}: models/{agent}/model_card.json has no {missing}"
            ) from None
        if isinstance(value, dict | list):
            raise PluginError(f"{where}: {match.group(0)!r} is not a single value")
        return FORMATS[fmt](value)

    return PLACEHOLDER.sub(replace, markdown)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if "[[card" not in markdown:
        return markdown
    return render(markdown, _cards(), where=page.file.src_path)
