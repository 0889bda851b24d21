"""A command line from a settings dataclass: each field's docstring is its --help.

Like tyro, in a few lines of the standard library: the one-line string literal
written under a dataclass field (a "field docstring") becomes that option's
help text, so the settings are documented once.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import textwrap
import typing
from typing import Any, Literal, get_args, get_origin


def field_docstrings(cls: type) -> dict[str, str]:
    """{field name: the string literal right after its annotation} for a dataclass."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, after in zip(body, body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs


def _option(parser: argparse.ArgumentParser, field: dataclasses.Field, kind: Any, doc: str):
    name = "--" + field.name.replace("_", "-")
    default = field.default
    help_text = f"{doc} (default: {default!r})"
    origin = get_origin(kind)
    if kind is bool:
        parser.add_argument(
            name, action=argparse.BooleanOptionalAction, default=default, help=help_text
        )
    elif origin is Literal:
        choices = get_args(kind)
        parser.add_argument(name, choices=choices, default=default, help=help_text)
    elif origin is tuple:
        parser.add_argument(
            name, type=get_args(kind)[0], nargs="+", default=default, help=help_text
        )
    elif kind in (int, float, str):
        parser.add_argument(name, type=kind, default=default, help=help_text)
    else:
        raise TypeError(f"settings field {field.name}: unsupported type {kind!r}")


def settings_parser(cls: type, description: str | None = None) -> argparse.ArgumentParser:
    """An argparse parser with one --option per field of the dataclass `cls`."""
    parser = argparse.ArgumentParser(
        description=description or (inspect.getdoc(cls) or "").split("\n")[0]
    )
    docs = field_docstrings(cls)
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        _option(parser, field, hints[field.name], docs.get(field.name, ""))
    return parser


def parse_settings(cls: type, argv: list[str] | None = None, **overrides: Any):
    """An instance of the dataclass `cls` from command-line arguments (`argv`, else sys.argv)."""
    namespace = settings_parser(cls).parse_args(argv)
    values = vars(namespace)
    for field in dataclasses.fields(cls):
        if get_origin(typing.get_type_hints(cls)[field.name]) is tuple:
            values[field.name] = tuple(values[field.name])
    values.update(overrides)
    return cls(**values)
