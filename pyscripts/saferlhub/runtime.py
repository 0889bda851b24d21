"""The Python side of the site's worker: runs code cells and page requests.

The JavaScript worker (docs/js/python-worker.js) calls `run_cell` for a reader's
code cell and `call` for a page's request to a `saferlhub` function. Kept free
of Pyodide imports so it is tested in CPython as it is.
"""

from __future__ import annotations

import ast
import base64
import builtins
import functools
import importlib
import importlib.util
import inspect
import json
import linecache
import traceback
from array import array
from collections.abc import Callable, Sequence
from typing import Any

# One namespace per page (keyed by the page's path), shared by its cells like a notebook.
_namespaces: dict[str, dict[str, Any]] = {}


def _no_input(prompt: object = "") -> str:
    raise RuntimeError(
        "input() is not available in code cells: a cell cannot pause for typing. "
        "Set the value in the code instead."
    )


def fresh_namespace() -> dict[str, Any]:
    return {"__name__": "__main__", "__builtins__": builtins, "input": _no_input}


def namespace(key: str | None) -> dict[str, Any]:
    """The shared namespace for `key`, or a fresh one when key is None (an isolated cell)."""
    if key is None:
        return fresh_namespace()
    return _namespaces.setdefault(key, fresh_namespace())


def reset_namespaces() -> None:
    _namespaces.clear()


def _trim_traceback(error: BaseException, filename: str) -> BaseException:
    """Drop the runner's own frames, so the traceback starts in the reader's code."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return error.with_traceback(tb)


def format_error(error: BaseException, filename: str) -> str:
    """A traceback as the reader should see it: their frames and line numbers only."""
    if isinstance(error, SyntaxError) and error.filename == filename:
        return "".join(traceback.format_exception_only(type(error), error))
    trimmed = _trim_traceback(error, filename)
    return "".join(traceback.format_exception(type(trimmed), trimmed, trimmed.__traceback__))


async def run_cell(code: str, namespace_key: str | None, filename: str) -> dict[str, Any]:
    """Execute a code cell (top-level `await` allowed) and report how it ended.

    Returns {"ok": True} or {"ok": False, "error": <traceback text>}. Output goes to
    sys.stdout / sys.stderr, which the worker streams to the page; a final bare
    expression's value is printed (its repr, unless None), as in a REPL.
    """
    # Registering the source lets tracebacks quote the reader's lines.
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    scope = namespace(namespace_key)
    try:
        statements, last_expression = _split_last_expression(code, filename)
        await _evaluate(statements, scope)
        if last_expression is not None:
            value = await _evaluate(last_expression, scope)
            if value is not None:
                print(repr(value))
    except BaseException as error:  # noqa: BLE001 - the reader sees every kind of error
        return {"ok": False, "error": format_error(error, filename)}
    return {"ok": True}


def _split_last_expression(code: str, filename: str):
    """The cell compiled as its statements and, like a REPL or Jupyter, its final bare
    expression on its own (None when the cell does not end with one, or ends with `;`,
    Jupyter's way to hide the value)."""
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = ast.parse(code, filename, "exec")
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or code.rstrip().endswith(";"):
        return compile(tree, filename, "exec", flags=flags, dont_inherit=True), None
    statements = ast.Module(body=tree.body[:-1], type_ignores=[])
    expression = ast.Expression(body=last.value)
    return (
        compile(statements, filename, "exec", flags=flags, dont_inherit=True),
        compile(expression, filename, "eval", flags=flags, dont_inherit=True),
    )


async def _evaluate(compiled, scope: dict[str, Any]) -> Any:
    # Code with a top-level `await` evaluates to a coroutine that runs it; any other
    # code's value is returned as it is (even a coroutine the reader built, unawaited).
    result = eval(compiled, scope)
    if compiled.co_flags & inspect.CO_COROUTINE:
        return await result
    return result


def missing_modules(code: str) -> list[str]:
    """Top-level modules that `code` imports and that cannot be found.

    The worker calls this after Pyodide tried to fetch packages (numpy, ...), to
    tell the reader which ones are unavailable and why. Code that does not parse
    has no missing modules: its SyntaxError is reported when it runs.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module.split(".")[0])
    return [name for name in dict.fromkeys(names) if importlib.util.find_spec(name) is None]


def resolve(function_path: str) -> Callable[..., Any]:
    """The `saferlhub` function named by a dotted path such as 'saferlhub.bandit.run'."""
    module_name, _, name = function_path.rpartition(".")
    if module_name != "saferlhub" and not module_name.startswith("saferlhub."):
        raise ValueError(f"only saferlhub functions can be called, not {function_path!r}")
    function = getattr(importlib.import_module(module_name), name, None)
    if not callable(function):
        raise ValueError(f"{function_path!r} is not a function")
    return function


# A binary value in a call's JSON: {"$bytes": i} stands for the i-th buffer sent beside it.
BYTES_KEY = "$bytes"
BytesLike = (bytes, bytearray, memoryview, array)


def call(
    function_path: str,
    kwargs_json: str,
    progress: Callable[[str], Any] | None = None,
    buffers: Sequence[Any] | None = None,
) -> str | tuple[str, list[bytes]]:
    """Call a `saferlhub` function with JSON keyword arguments; return its result as JSON.

    If the function takes a `progress` argument, it receives a callable that sends
    each event (a JSON-serialisable dict) to the page as it happens.

    Binary data (network inputs and outputs, large reports) can cross without text:
    with `buffers` (the worker passes the typed arrays of a request there; in CPython,
    bytes), an argument {"$bytes": i} is buffers[i] as bytes, and the call returns
    (JSON, buffers) in which each bytes-like value of the result (bytes, bytearray,
    memoryview, array.array) is such a placeholder. Without `buffers`, bytes-like
    results are written as base64 text, so a plain JSON caller still gets JSON.
    """
    function = resolve(function_path)
    binary = buffers is not None
    sent = [_as_bytes(b) for b in buffers] if binary else []

    def revive(value: dict) -> Any:
        if len(value) == 1 and BYTES_KEY in value and binary:
            return sent[value[BYTES_KEY]]
        return value

    kwargs = json.loads(kwargs_json, object_hook=revive)
    if progress is not None and _takes_progress(function):
        kwargs["progress"] = lambda event: progress(json.dumps(event))
    result = function(**kwargs)
    if not binary:
        return json.dumps(result, default=_base64_text)
    out: list[bytes] = []

    def placeholder(value: Any) -> dict:
        if not isinstance(value, BytesLike):
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        out.append(_as_bytes(value))
        return {BYTES_KEY: len(out) - 1}

    return json.dumps(result, default=placeholder), out


@functools.cache
def _takes_progress(function: Callable[..., Any]) -> bool:
    """Whether `function` has a `progress` parameter (asked once per function: a stepper's
    page calls the same function hundreds of times, and inspect.signature is slow)."""
    return "progress" in inspect.signature(function).parameters


def _as_bytes(value: Any) -> bytes:
    """Bytes of a bytes-like value, or of a JS typed array (Pyodide's JsProxy.to_bytes)."""
    if isinstance(value, BytesLike):
        return value.tobytes() if isinstance(value, array | memoryview) else bytes(value)
    return value.to_bytes()


def _base64_text(value: Any) -> str:
    if not isinstance(value, BytesLike):
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return base64.b64encode(_as_bytes(value)).decode("ascii")
