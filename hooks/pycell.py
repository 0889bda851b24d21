"""MkDocs hook: the `pycell` fence, a runnable and editable Python code cell.

Authors write

    ```pycell
    print("hello")
    ```

optionally with options: ```` ```pycell id="intro" isolated="true" ````.
`id` keeps a reader's saved edit attached to the cell if cells are reordered;
`isolated` runs the cell in a fresh namespace instead of the page's shared one.
The static HTML is the highlighted code, so the page reads well before (or
without) JavaScript; docs/js/cells.js turns it into an editor.
"""

from __future__ import annotations

import html
import re

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pymdownx.superfences import SuperFencesException

FENCE_NAME = "pycell"
OPTIONS = {"id", "isolated"}
CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class PyCellError(SuperFencesException):
    """A pycell fence with options this hook does not recognise.

    Superfences silently turns any other validator exception into a plain code
    block; its own exception type is the one that fails the build.
    """


def validate(language, inputs, options, attrs, md):
    """Accept only the options we know; anything else fails the build."""
    unknown = set(inputs) - OPTIONS
    if unknown:
        raise PyCellError(
            f"pycell: unknown option(s) {sorted(unknown)}; allowed: {sorted(OPTIONS)}"
        )
    if "id" in inputs and not CELL_ID.match(inputs["id"]):
        raise PyCellError(f"pycell: id {inputs['id']!r} must match {CELL_ID.pattern}")
    if inputs.get("isolated", "false") not in {"true", "false"}:
        raise PyCellError(f"pycell: isolated must be true or false, not {inputs['isolated']!r}")
    options.update(inputs)
    return True


def render(source, language, class_name, options, md, **kwargs):
    """The cell's static HTML: a container with data attributes around highlighted code."""
    code = highlight(source, PythonLexer(), HtmlFormatter(cssclass="highlight", wrapcode=True))
    attrs = [f'class="{class_name}"']
    if "id" in options:
        attrs.append(f'data-cell-id="{html.escape(options["id"])}"')
    if options.get("isolated") == "true":
        attrs.append('data-isolated="true"')
    return f"<div {' '.join(attrs)}>{code}</div>"


def on_config(config):
    superfences = config.mdx_configs.setdefault("pymdownx.superfences", {})
    fences = superfences.setdefault("custom_fences", [])
    if not any(f.get("name") == FENCE_NAME for f in fences):
        fences.append(
            {"name": FENCE_NAME, "class": FENCE_NAME, "format": render, "validator": validate}
        )
    return config
