"""The code-cell runtime: namespaces, clean tracebacks, the call API."""

import base64
import json
from array import array

import pytest

from saferlhub import runtime


@pytest.fixture(autouse=True)
def fresh():
    runtime.reset_namespaces()
    yield
    runtime.reset_namespaces()


def drive(coroutine):
    """Run a coroutine that only awaits bare yields (such as asyncio.sleep(0)).

    asyncio.run would need WebAssembly stack switching inside Pyodide on Node.js.
    """
    try:
        while True:
            coroutine.send(None)
    except StopIteration as stop:
        return stop.value


def run(code, key="page", filename="<cell 1>"):
    return drive(runtime.run_cell(code, key, filename))


def test_cells_on_a_page_share_a_namespace():
    assert run("x = 41") == {"ok": True}
    assert run("x += 1") == {"ok": True}
    assert runtime.namespace("page")["x"] == 42
    assert "x" not in runtime.namespace("other-page")


def test_isolated_cell_gets_a_fresh_namespace():
    run("secret = 1")
    result = run("secret", key=None)
    assert not result["ok"]
    assert "NameError" in result["error"]


def test_traceback_shows_only_the_readers_frames_and_lines():
    code = "def f(xs):\n    return 1 / len(xs)\n\nf([])\n"
    result = run(code, filename="<cell 3>")
    error = result["error"]
    assert error.startswith("Traceback (most recent call last):")
    assert 'File "<cell 3>", line 4, in <module>' in error
    assert 'File "<cell 3>", line 2, in f' in error
    assert "return 1 / len(xs)" in error  # the reader's source line is quoted
    assert "runtime.py" not in error
    assert error.rstrip().endswith("ZeroDivisionError: division by zero")


def test_syntax_error_points_at_the_readers_line():
    result = run("x = 1\nprint(x\n", filename="<cell 2>")
    error = result["error"]
    assert 'File "<cell 2>", line 2' in error
    assert "SyntaxError" in error
    assert "Traceback" not in error
    assert "runtime.py" not in error


def test_top_level_await_runs():
    assert run("import asyncio\nawait asyncio.sleep(0)\ny = 7") == {"ok": True}
    assert runtime.namespace("page")["y"] == 7


def test_a_final_bare_expression_shows_its_value_like_a_repl(capsys):
    assert run("x = [1, 2]\nx + [3]") == {"ok": True}
    assert run("'text'") == {"ok": True}
    assert run("import asyncio\nawait asyncio.sleep(0)\nx") == {"ok": True}
    assert capsys.readouterr().out == "[1, 2, 3]\n'text'\n[1, 2]\n"


@pytest.mark.parametrize(
    "code",
    [
        "None",
        "print('only this')",  # print returns None: its line only, no "None"
        "x = 5",
        "x = 5\nx;",  # a trailing semicolon hides the value, as in Jupyter
        "for i in range(2):\n    i",  # only a final top-level expression
        "",
    ],
)
def test_no_value_is_shown_for_none_statements_or_a_semicolon(code, capsys):
    assert run(code) == {"ok": True}
    assert capsys.readouterr().out in ("", "only this\n")


def test_an_unawaited_coroutine_value_is_shown_not_run(capsys):
    run("ran = []\nasync def f():\n    ran.append(1)\ncoroutine = f()\ncoroutine")
    assert capsys.readouterr().out.startswith("<coroutine object f")
    assert runtime.namespace("page")["ran"] == []
    runtime.namespace("page")["coroutine"].close()


def test_an_error_in_the_final_expression_points_at_its_line():
    result = run("x = 1\n\nx / 0", filename="<cell 4>")
    assert 'File "<cell 4>", line 3, in <module>' in result["error"]
    assert "runtime.py" not in result["error"]


def test_system_exit_is_reported_not_raised():
    result = run("raise SystemExit(3)")
    assert not result["ok"] and "SystemExit: 3" in result["error"]


def test_input_explains_why_it_is_unavailable():
    result = run("input('name? ')")
    assert "input() is not available in code cells" in result["error"]


def test_call_passes_json_arguments_and_streams_progress():
    events = []
    result = runtime.call(
        "saferlhub.bandit.run_testbed",
        json.dumps({"arms": 3, "steps": 5, "runs": 40, "seed": 0}),
        events.append,
    )
    curves = json.loads(result)
    assert len(curves["mean_reward"]) == 5
    decoded = [json.loads(e) for e in events]
    assert decoded[-1] == {"runs_done": 40, "runs": 40}
    assert [e["runs_done"] for e in decoded] == sorted(e["runs_done"] for e in decoded)


@pytest.mark.parametrize("path", ["os.system", "builtins.eval", "saferlhub.nothing_here"])
def test_call_refuses_anything_but_saferlhub_functions(path):
    with pytest.raises((ValueError, AttributeError)):
        runtime.call(path, "{}")


def test_missing_modules_names_only_imports_that_cannot_be_found():
    code = "import json, numpy_is_not_here.sub\nfrom saferlhub import bandit\nfrom . import x\n"
    assert runtime.missing_modules(code) == ["numpy_is_not_here"]
    assert runtime.missing_modules("print(") == []


def _echo(data):
    """A function that takes bytes and gives them back (installed for these tests)."""
    return {"data": array("f", bytes(data)), "size": len(data)}


def test_call_passes_bytes_beside_the_json_both_ways(monkeypatch):
    monkeypatch.setattr(runtime, "echo", _echo, raising=False)
    values = array("f", [1.5, -2.0, 3.25]).tobytes()
    out, buffers = runtime.call(
        "saferlhub.runtime.echo", json.dumps({"data": {"$bytes": 0}}), None, [values]
    )
    assert json.loads(out) == {"data": {"$bytes": 0}, "size": 12}
    assert buffers == [values]


def test_without_buffers_bytes_come_back_as_base64_text(monkeypatch):
    monkeypatch.setattr(runtime, "echo", _echo, raising=False)
    values = array("f", [1.5]).tobytes()
    out = runtime.call("saferlhub.runtime.echo", json.dumps({"data": list(values)}))
    assert json.loads(out) == {"data": base64.b64encode(values).decode(), "size": 4}
