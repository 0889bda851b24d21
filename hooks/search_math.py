"""MkDocs hook: readable maths in the search index.

Arithmatex leaves TeX in the page (`\\(\\varepsilon = 0\\)`), which
hooks/katex_render.py renders with KaTeX; Material's search indexes the TeX, so a result read
"\\(Q(s, \\text{hit}) - Q(s, \\text{stick})\\)". After the build this hook
rewrites every maths span of search/search_index.json as plain text
("Q(s, hit) - Q(s, stick)", "ε = 0"), so results read like the rendered page
and searching for "ε" or "max" finds the formulas.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# Arithmatex's generic output: \( inline \) and \[ display \] (also $$ ... $$).
MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$", re.S)

SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "Delta": "Δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "eta": "η",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "Sigma": "Σ",
    "tau": "τ",
    "phi": "φ",
    "sum": "Σ",
    "prod": "Π",
    "infty": "∞",
    "leftarrow": "←",
    "gets": "←",
    "rightarrow": "→",
    "to": "→",
    "Rightarrow": "⇒",
    "cdot": "·",
    "times": "×",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "in": "∈",
    "mid": "|",
    "ldots": "…",
    "dots": "…",
    "cdots": "…",
}
# Sizing and spacing commands that carry no text.
SILENT = {
    "left",
    "right",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "big",
    "Big",
    "displaystyle",
    "limits",
    "nolimits",
    "middle",
    "underbrace",
    "overbrace",
}
# Commands whose braced argument is the text: \text{hit} -> hit.
UNWRAP = re.compile(r"\\(?:text|textbf|textit|mathrm|mathbf|mathit|mathbb|mathcal|operatorname)\s*")
FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
COMMAND = re.compile(r"\\([A-Za-z]+)")
SPACING = re.compile(r"\\[,;:! ]|\\quad|\\qquad|~")


def _group(term: str) -> str:
    term = term.strip()
    return term if term.isalnum() else f"({term})"


def tex_to_text(tex: str) -> str:
    """A plain-text reading of a TeX formula, good enough for search results."""
    text = SPACING.sub(" ", tex)
    text = FRAC.sub(lambda m: f"{_group(m.group(1))}/{_group(m.group(2))}", text)
    text = UNWRAP.sub("", text)
    text = text.replace(r"\{", "{").replace(r"\}", "}").replace(r"\|", "‖")

    def command(match: re.Match) -> str:
        name = match.group(1)
        if name in SILENT:
            return ""
        following = match.string[match.end() : match.end() + 1]
        # A space only where the next word would otherwise run on: "γ max", "max_a".
        return SYMBOLS.get(name, name) + (" " if following.isalnum() else "")

    text = COMMAND.sub(command, text)
    text = text.replace("{", "").replace("}", "").replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def strip_math(text: str) -> str:
    """Replace every maths span in an indexed text by its plain-text reading."""
    return MATH.sub(lambda m: tex_to_text(next(g for g in m.groups() if g is not None)), text)


def clean_search_index(path: Path) -> int:
    """Rewrite the maths in a Material search index in place; return the documents changed."""
    index = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for doc in index.get("docs", []):
        for field in ("title", "text"):
            if field in doc and isinstance(doc[field], str):
                cleaned = strip_math(doc[field])
                if cleaned != doc[field]:
                    doc[field] = cleaned
                    changed += 1
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return changed


def on_post_build(config):
    # Runs after Material's search plugin has written the index (plugins run before hooks).
    path = Path(config.site_dir) / "search" / "search_index.json"
    if path.exists():
        clean_search_index(path)
