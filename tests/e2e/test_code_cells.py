"""The playground's code cells, driven like a reader would in headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import visit, wait_for_python

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew


def cell(page, cell_id):
    return page.locator(f'.pycell[data-cell-id="{cell_id}"]')


def run_cell(page, cell_id, status="done", timeout=30_000):
    cell(page, cell_id).locator(".pycell__run").click()
    expect(cell(page, cell_id)).to_have_attribute("data-status", status, timeout=timeout)
    return cell(page, cell_id).locator(".pycell__output")


def replace_code(page, cell_id, code):
    editor = cell(page, cell_id).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)


@pytest.fixture
def playground(page, site_url):
    visit(page, site_url + "playground/")
    wait_for_python(page)
    return page


@pytest.mark.own_tab  # holds Python's start back with a route
def test_before_python_is_ready_a_cell_shows_its_code_and_the_editor_comes_when_wanted(
    page, site_url
):
    """The editors are set up once Python is ready (cells.js): until then each cell
    shows its code, and going to the code sets its editor up at once."""
    held = []
    page.route("**/pyodide.asm.wasm", lambda route: held.append(route))  # Python cannot start
    page.goto(site_url + "playground/")
    hello = cell(page, "hello")
    expect(hello).to_have_attribute("data-mounted", "true")
    code = hello.locator("pre").first
    expect(code).to_contain_text("Hello from Python")
    expect(code).to_have_attribute("aria-label", "Python code cell 1")
    expect(hello.locator(".cm-content")).to_have_count(0)
    code.focus()
    expect(hello.locator(".cm-content")).to_be_focused()
    page.keyboard.type("# mine\n")
    expect(hello).to_have_class(re.compile("pycell--edited"))
    expect(cell(page, "define").locator(".cm-content")).to_have_count(0)  # only the one wanted
    assert page.evaluate("window.saferlhub.python.status.state") == "loading"
    for route in held:
        route.abort()


def test_a_cell_run_before_python_is_ready_waits_for_it(page, site_url):
    page.goto(site_url + "playground/")
    hello = cell(page, "hello")
    hello.locator(".pycell__run").click()  # at once: Python is still loading
    expect(page.locator(".saferlhub-status")).to_have_attribute("data-state", "loading")
    expect(hello.locator(".pycell__state")).to_have_text("Waiting for Python to load…")
    expect(hello).to_have_attribute("data-status", "done", timeout=60_000)
    expect(hello.locator(".pycell__output")).to_contain_text("Hello from Python")


def test_copy_puts_the_code_on_the_clipboard(playground, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    cell(playground, "define").locator(".pycell__copy").click()
    expect(cell(playground, "define").locator(".pycell__state")).to_have_text("Copied.")
    assert "rewards = [1, 0, 1, 1, 0]" in playground.evaluate("navigator.clipboard.readText()")


def test_python_becomes_ready_and_says_so(playground):
    status = playground.locator(".saferlhub-status")
    expect(status).to_have_text("Python: ready")
    assert "3.14" in status.get_attribute("title")


def test_a_cell_runs_and_prints(playground):
    output = run_cell(playground, "hello")
    expect(output).to_contain_text("Hello from Python 3.14")
    expect(cell(playground, "hello").locator(".pycell__state")).to_contain_text("Done in")


def test_keyboard_shortcut_runs_the_cell(playground):
    cell(playground, "hello").locator(".cm-content").click()
    playground.keyboard.press("Shift+Enter")
    expect(cell(playground, "hello")).to_have_attribute("data-status", "done")


def test_a_final_bare_expression_shows_its_value(playground):
    replace_code(playground, "hello", "rewards = [1, 0, 1]\nsum(rewards) / len(rewards)")
    expect(run_cell(playground, "hello")).to_have_text("0.6666666666666666")
    replace_code(playground, "hello", "rewards = [1, 0, 1]\nrewards.append(1)")  # None: no output
    output = run_cell(playground, "hello")
    expect(output).to_be_hidden()
    expect(output).to_have_text("")


def test_cells_share_a_namespace_unless_isolated(playground):
    run_cell(playground, "define")
    expect(run_cell(playground, "use")).to_have_text("3 wins in 5 episodes: win rate 60%")
    expect(run_cell(playground, "isolated")).to_have_text("False")


def test_output_streams_while_the_cell_runs(playground):
    cell(playground, "stream").locator(".pycell__run").click()
    output = cell(playground, "stream").locator(".pycell__output")
    expect(output).to_contain_text("step 2 of 5")
    # Seen before the cell finished: the output arrived as it was printed.
    assert cell(playground, "stream").get_attribute("data-status") == "running"
    expect(cell(playground, "stream")).to_have_attribute("data-status", "done")
    expect(output).to_contain_text("done")


def test_runtime_error_shows_the_readers_traceback(playground):
    output = run_cell(playground, "error", status="error")
    text = output.inner_text()
    assert 'File "<cell 5>", line 4, in <module>' in text
    assert 'File "<cell 5>", line 2, in average' in text
    assert text.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "pyodide" not in text.lower() and "runtime.py" not in text


def test_syntax_error_shows_a_clean_traceback(playground):
    replace_code(playground, "hello", "x = 1\nprint(x +)\n")
    output = run_cell(playground, "hello", status="error")
    text = output.inner_text()
    assert 'File "<cell 1>", line 2' in text
    assert "SyntaxError: invalid syntax" in text
    assert "Traceback" not in text and "pyodide" not in text.lower()


def test_stop_ends_an_endless_loop_and_python_restarts(playground):
    run_cell(playground, "hello")
    forever = cell(playground, "forever")
    forever.locator(".pycell__run").click()
    expect(forever).to_have_attribute("data-status", "running")
    playground.wait_for_timeout(300)  # let the loop really spin
    forever.locator(".pycell__stop").click()
    # The requirement: stopped within a second.
    expect(forever).to_have_attribute("data-status", "stopped", timeout=1_000)
    expect(forever.locator(".pycell__state")).to_contain_text("Python was restarted")
    expect(cell(playground, "hello")).to_have_attribute("data-status", "reset")
    # A later cell runs on the fresh Python, which lost the old variables.
    expect(run_cell(playground, "use", status="error")).to_contain_text(
        "NameError: name 'rewards' is not defined"
    )
    expect(run_cell(playground, "hello")).to_contain_text("Hello from Python")


def test_an_edit_survives_a_reload_and_reset_restores_the_original(playground, site_url):
    replace_code(playground, "hello", 'print("my own edit")')
    expect(cell(playground, "hello")).to_have_class(re.compile("pycell--edited"))
    playground.reload()
    wait_for_python(playground)
    editor = cell(playground, "hello").locator(".cm-content")
    expect(editor).to_have_text('print("my own edit")')
    expect(cell(playground, "hello").locator(".pycell__state")).to_contain_text("edit is restored")
    expect(run_cell(playground, "hello")).to_have_text("my own edit")

    cell(playground, "hello").locator(".pycell__reset").click()
    expect(editor).to_contain_text('print("Hello from Python"')
    playground.reload()
    # The code as the page renders it, before (and after) the editor is set up.
    code = cell(playground, "hello").locator(".pycell__editor")
    expect(code).to_contain_text("Hello from Python")
    expect(cell(playground, "hello")).not_to_have_class(re.compile("pycell--edited"))


def test_very_long_output_is_truncated_with_a_notice(playground):
    replace_code(playground, "hello", "for i in range(300_000):\n    print(i)\nprint('end')")
    output = run_cell(playground, "hello", timeout=60_000)
    expect(output.locator(".pycell__notice")).to_contain_text("output truncated after 200,000")
    lines = output.inner_text().splitlines()
    assert len(lines) < 50_000
    assert "end" not in lines  # printed after the cut-off, so never shown


@pytest.mark.external("cdn.jsdelivr.net")
@pytest.mark.cold_profile  # the CDN refused by a route, as offline readers see it
def test_numpy_offline_gives_a_clear_message(playground, watch):
    replace_code(playground, "hello", "import numpy as np\nprint(np.arange(3))")
    output = run_cell(playground, "hello", status="error")
    expect(output.locator(".pycell__notice")).to_contain_text("`numpy` could not be loaded")
    expect(output.locator(".pycell__notice")).to_contain_text("cdn.jsdelivr.net")
    expect(output).to_contain_text("ModuleNotFoundError: No module named 'numpy'")
    # The only request to another host was Pyodide asking its CDN for numpy.
    assert watch.external and all("cdn.jsdelivr.net/pyodide/" in url for url in watch.external)


def test_download_saves_the_cell_as_a_python_file(playground):
    with playground.expect_download() as info:
        cell(playground, "define").locator(".pycell__download").click()
    download = info.value
    assert download.suggested_filename == "playground-cell-2.py"
    assert "rewards = [1, 0, 1, 1, 0]" in open(download.path()).read()


def test_the_call_api_streams_progress_from_a_saferlhub_function(playground):
    result = playground.evaluate(
        """async () => {
            const events = [];
            const curves = await window.saferlhub.python.call(
                "saferlhub.bandit.run_testbed", {runs: 40, steps: 10, seed: 2},
                {onProgress: (event) => events.push(event)});
            return {events, steps: curves.mean_reward.length};
        }"""
    )
    assert result["steps"] == 10
    assert result["events"][-1] == {"runs_done": 40, "runs": 40}
    assert len(result["events"]) > 1


def test_math_is_rendered_by_self_hosted_katex(playground):
    expect(playground.locator(".arithmatex .katex").first).to_be_visible()


def test_the_bandit_experiment_shows_what_the_page_says(playground):
    output = run_cell(playground, "bandit", timeout=60_000).inner_text()
    rows = re.findall(r"epsilon (\S+) +best arm chosen: step 100 (\d+)% +step 1000 (\d+)%", output)
    best = {float(eps): (int(at_100), int(at_1000)) for eps, at_100, at_1000 in rows}
    assert set(best) == {0.0, 0.01, 0.1}
    assert best[0.0][1] <= best[0.0][0] + 2  # greedy stops learning
    assert best[0.1][0] > best[0.0][0]  # exploring finds the best arm sooner
    assert best[0.01][1] > best[0.01][0] + 10  # a little exploration keeps improving
    assert best[0.1][1] > best[0.0][1] + 20


def test_the_code_that_runs_is_shown_from_the_package_source(playground):
    source = playground.locator("#how-it-works ~ .highlight").first
    expect(source).to_contain_text("def run_testbed(")
    expect(source).to_contain_text("estimates[arm] += (reward - estimates[arm]) / pulls[arm]")


def test_escape_then_tab_leaves_the_editor_and_keeps_the_code(playground):
    hello = cell(playground, "hello")
    editor = hello.locator(".cm-content")
    before = editor.inner_text()
    # The way out is written under every cell, and the editor points to it.
    hint = hello.locator(".pycell__hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Esc then Tab")
    assert editor.get_attribute("aria-describedby") == hint.get_attribute("id")
    editor.click()
    expect(editor).to_be_focused()
    playground.keyboard.press("Escape")
    playground.keyboard.press("Tab")
    left = playground.evaluate(
        "() => ({inEditor: !!document.activeElement.closest('.cm-editor'),"
        " tag: document.activeElement.tagName})"
    )
    assert left == {"inEditor": False, "tag": "BUTTON"}, left  # the next cell's Run button
    assert editor.inner_text() == before
    expect(hello).not_to_have_class(re.compile("pycell--edited"))


def test_tab_indents_until_ctrl_m_makes_it_move_focus(playground):
    editor = cell(playground, "hello").locator(".cm-content")
    before = editor.inner_text()
    editor.click()
    playground.keyboard.press("Tab")  # as in any code editor, Tab indents
    expect(editor).to_be_focused()
    assert editor.inner_text() != before
    playground.keyboard.press("Control+z")
    assert editor.inner_text() == before
    playground.keyboard.press("Control+m")  # CodeMirror's tab-focus mode
    playground.keyboard.press("Tab")
    expect(editor).not_to_be_focused()
