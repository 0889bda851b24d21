"""MkDocs hook: the maths rendered at build time, with KaTeX.

pymdownx.arithmatex leaves each formula as TeX in the page (`\\(...\\)` in a span,
`\\[...\\]` in a div). This hook renders every one with the pinned KaTeX package
(node_modules/katex, run by Node: hooks/katex_render.mjs) into KaTeX's HTML and
MathML, as KaTeX's auto-render used to do in the browser. So a reader never sees raw
TeX while a page loads, and no page downloads or runs KaTeX's 270 kB script. The page links KaTeX's
self-hosted stylesheet (fonts load when a formula uses them); Material's instant
navigation adds the head links of the page it swaps in, so the link comes along.

A display formula wider than a phone scrolls sideways inside its block; a keyboard
can scroll it only if it can take the focus (WCAG 2.1.1; axe
scrollable-region-focusable), so each display block is a labelled tab stop.

The search index keeps the TeX (hooks/search_math.py makes it plain text there).
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.katex_render")
ROOT = Path(__file__).resolve().parent.parent
RENDERER = Path(__file__).with_suffix(".mjs")
STYLESHEET = "assets/vendor/katex/katex.min.css"  # copied by hooks/runtime_assets.py

# Arithmatex's generic output: the TeX, HTML-escaped, alone in its element.
MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
DELIMITED = re.compile(r"\\\((?P<inline>.*)\\\)|\\\[(?P<display>.*)\\\]", re.S)
DISPLAY_ATTRIBUTES = 'tabindex="0" role="group" aria-label="formula"'


def render(formulas: list[dict]) -> list[str]:
    """KaTeX's HTML for each {"tex", "display"}, in one Node process."""
    node = shutil.which("node")
    if node is None:
        raise PluginError("Node.js is needed to render the maths (run `make setup`)")
    result = subprocess.run(
        [node, str(RENDERER)],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        cwd=ROOT,  # node_modules/katex is found from here
        check=False,
    )
    if result.returncode != 0:
        raise PluginError(f"KaTeX could not render the maths:\n{result.stderr}")
    for line in result.stderr.splitlines():  # KaTeX's strict-mode warnings: TeX to fix
        if line.strip():
            log.warning("KaTeX: %s", line)
    return json.loads(result.stdout)


def render_page_maths(output: str, stylesheet_url: str) -> str:
    """The page with every arithmatex formula rendered and KaTeX's stylesheet linked."""
    found = list(MATH.finditer(output))
    if not found:
        return output
    formulas = []
    for match in found:
        text = html.unescape(match.group(2)).strip()
        delimited = DELIMITED.fullmatch(text)
        if delimited is None:
            raise PluginError(
                f"unexpected arithmatex output (not \\( \\) or \\[ \\]): {text[:80]!r}"
            )
        display = delimited["display"] is not None
        formulas.append({"tex": delimited["display" if display else "inline"], "display": display})
    pieces, end = [], 0
    for match, rendered in zip(found, render(formulas), strict=True):
        tag = match.group(1)
        attributes = f" {DISPLAY_ATTRIBUTES}" if tag == "div" else ""
        # The span around KaTeX's output is auto-render's, kept so the styles apply as before.
        pieces += [
            output[end : match.start()],
            f'<{tag} class="arithmatex"{attributes}><span>{rendered}</span></{tag}>',
        ]
        end = match.end()
    pieces.append(output[end:])
    page = "".join(pieces)
    link = f'<link rel="stylesheet" href="{stylesheet_url}" data-katex>'
    return page.replace("</head>", f"{link}\n</head>", 1)


def on_post_page(output: str, page, config) -> str:
    return render_page_maths(output, get_relative_url(STYLESHEET, page.url))
