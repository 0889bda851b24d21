"""The OOD page in Chromium: a small battery equals CPython's (onnxruntime) for the same
mazes, Stop keeps what finished, worst cases open in the editor, and with the model
cards' settings the page's numbers equal the cards' (read at test time)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit
from tests.e2e.harness import saw_state, watch_states

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

MODELS = Path(__file__).resolve().parents[2] / "models"
AGENTS = sorted(p.parent.name for p in MODELS.glob("*/model_card.json"))
RUN_TIMEOUT_MS = 600_000
FULL_RUN_TIMEOUT_MS = 3_600_000  # the cards' 1,000 mazes x 3 sets x every agent, on a busy CI box


def card(agent):
    return json.loads((MODELS / agent / "model_card.json").read_text())


@pytest.fixture
def ood(page, site_url):
    visit(page, site_url + "maze/ood/")
    root = page.locator('[data-python="maze-ood"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=3 * PYTHON_READY_TIMEOUT_MS)
    return root


def run(root, count, seed, timeout=RUN_TIMEOUT_MS):
    root.locator("#maze-ood-count").fill(str(count))
    root.locator("#maze-ood-seed").fill(str(seed))
    watch_states(root)
    root.get_by_role("button", name="Run the tests").click()
    saw_state(root, "running")  # a small battery may be over before a poll
    expect(root).to_have_attribute("data-state", "ready", timeout=timeout)
    expect(root).to_have_attribute("data-done", str(count))


def cpython_battery(count, seed):
    np = pytest.importorskip("numpy")
    pytest.importorskip("onnxruntime")
    from export.evaluate import onnx_session
    from saferlhub.maze import stepper

    sessions = {a: onnx_session(MODELS / a / "q_network.onnx") for a in AGENTS}

    def network(call):
        obs = np.frombuffer(call.inputs["obs"], dtype=np.float32).reshape(call.rows, -1)
        return {"q": sessions[call.model.split("/")[0]].run(["q"], {"obs": obs})[0].ravel()}

    battery = stepper.Battery(AGENTS, count, seed=seed)
    return json.loads(json.dumps(stepper.drive(battery.steps(), network)))


def differences(a, b, path=""):
    """Where two JSON values differ (1 and 1.0 are equal: JSON drops the ".0")."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}.{i}")
        ]
    if ".intervals." in path and isinstance(a, float) and isinstance(b, float):
        # Square roots from Pyodide's libm and CPython's may differ in the last bit.
        return [] if a == pytest.approx(b, rel=1e-12, abs=1e-15) else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_defaults_are_the_cards_settings_and_every_agent_is_found(ood, page):
    evaluation = card(AGENTS[0])["evaluation"]
    # The cards' held-out sets, drawn at build time, are in use.
    installed = page.evaluate(
        "window.saferlhubMaze.python.call('saferlhub.maze.battery_sets.installed', {})"
    )
    assert installed == {"seed": evaluation["seed"], "count": evaluation["mazes_per_distribution"]}
    expect(ood.locator("#maze-ood-count")).to_have_value(str(evaluation["mazes_per_distribution"]))
    expect(ood.locator("#maze-ood-seed")).to_have_value(str(evaluation["seed"]))
    expect(ood.locator(".maze-ood__status")).to_contain_text(", ".join(AGENTS))
    ood.locator("#maze-ood-count").fill("0")
    ood.get_by_role("button", name="Run the tests").click()
    expect(ood.locator(".maze-lab__error")).to_contain_text("from 1 to 10,000")
    expect(ood.locator("#maze-ood-count")).to_be_focused()
    # An empty seed is refused (not taken as 0), a huge one with the range, and a
    # message repeats only a short prefix of what was typed.
    from saferlhub.settings import SEED_MAX

    ood.locator("#maze-ood-count").fill("10")
    for value, message in (
        ("", f"The seed is empty: enter a whole number from 0 to {SEED_MAX:,}."),
        ("1e30", f'The seed must be a whole number from 0 to {SEED_MAX:,}; you typed "1e30".'),
        ("9" * 400, "The seed is not a number the browser can read"),
        ("9" * 30, f'from 0 to {SEED_MAX:,}; you typed "999999999999…".'),
        ("-1", 'you typed "-1".'),
    ):
        ood.locator("#maze-ood-seed").fill(value)
        ood.get_by_role("button", name="Run the tests").click()
        expect(ood.locator(".maze-lab__error")).to_contain_text(message)
        expect(ood.locator("#maze-ood-seed")).to_be_focused()
        assert len(ood.locator(".maze-lab__error").inner_text()) < 110
    expect(ood).not_to_have_attribute("data-state", "running")


def test_a_small_battery_equals_cpython_and_its_worst_cases_open_in_the_editor(ood, page):
    run(ood, 12, 5)
    got = page.evaluate("window.saferlhubMaze.lastReport")
    assert differences(got, cpython_battery(12, 5)) == []
    expect(ood).to_have_attribute("data-match", "not-comparable")
    # Five charts, each with a caption, a summary and a data table with every agent.
    charts = ood.locator("figure.maze-intervals")
    expect(charts).to_have_count(5)
    for i in range(5):
        figure = charts.nth(i)
        expect(figure.locator("figcaption")).not_to_be_empty()
        expect(figure.locator(".saferlhub-chart__summary")).to_contain_text("95% interval")
        rows = figure.locator(".saferlhub-chart__numbers tbody tr")
        expect(rows).to_have_count(3 * len(AGENTS))
    finish = got["agents"][AGENTS[0]]["training"]["finish_rate"]
    expect(charts.nth(0).locator(".saferlhub-chart__summary")).to_contain_text(
        f"{AGENTS[0]} {100 * finish:.1f}%"
    )
    # A worst case opens in the editor with its maze.
    worst = got["agents"][AGENTS[-1]]["protrusion"]["worst"][0]
    link = ood.locator(".maze-ood__worstblock").nth(1).locator("a.maze-ood__open")
    expect(link).to_have_count(3 * len(AGENTS))
    link.nth(3 * (len(AGENTS) - 1)).click()
    play = page.locator('[data-python="maze-play"]')
    expect(play).to_have_attribute("data-state", "ready", timeout=3 * PYTHON_READY_TIMEOUT_MS)
    expect(play.locator("#maze-play-ascii")).to_have_value("\n".join(worst["maze"]))
    # Back: the settings and the run are where the reader left them.
    page.go_back()
    ood = page.locator('[data-python="maze-ood"]')
    expect(ood).to_have_attribute("data-state", "ready", timeout=3 * PYTHON_READY_TIMEOUT_MS)
    expect(ood.locator("#maze-ood-count")).to_have_value("12")
    expect(ood.locator("#maze-ood-seed")).to_have_value("5")
    expect(ood).to_have_attribute("data-done", "12")
    expect(ood).to_have_attribute("data-match", "not-comparable")
    expect(ood.locator(".maze-ood__status")).to_contain_text("Your last run in this tab")
    expect(ood.locator(".maze-ood__status")).to_contain_text("Done: 12 mazes per distribution")
    assert page.evaluate("window.saferlhubMaze.lastReport") == got
    expect(
        ood.locator("figure.maze-intervals").nth(0).locator(".saferlhub-chart__summary")
    ).to_contain_text(f"{AGENTS[0]} {100 * finish:.1f}%")
    expect(ood.locator(".maze-ood__worstblock").nth(1).locator("a.maze-ood__open")).to_have_count(
        3 * len(AGENTS)
    )


def test_settings_typed_without_a_run_survive_a_reload(ood, page):
    ood.locator("#maze-ood-count").fill("40")
    ood.locator("#maze-ood-seed").fill("9")
    page.reload()
    root = page.locator('[data-python="maze-ood"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=3 * PYTHON_READY_TIMEOUT_MS)
    expect(root.locator("#maze-ood-count")).to_have_value("40")
    expect(root.locator("#maze-ood-seed")).to_have_value("9")
    expect(root).not_to_have_attribute("data-done", re.compile(".*"))


def test_stop_keeps_what_every_agent_finished(ood, page):
    ood.locator("#maze-ood-count").fill("1000")  # pieces of 250 mazes per distribution
    ood.get_by_role("button", name="Run the tests").click()
    expect(ood.locator(".maze-ood__status")).to_contain_text(
        "of 1,000 mazes per distribution done", timeout=RUN_TIMEOUT_MS
    )
    ood.get_by_role("button", name="Stop").click()
    expect(ood).to_have_attribute("data-state", "ready", timeout=RUN_TIMEOUT_MS)
    status = ood.locator(".maze-ood__status")
    expect(status).to_contain_text("Stopped: kept the")
    done = int(re.search(r"kept the (\d+) of 1,000", status.inner_text()).group(1))
    assert 250 <= done < 1000 and done % 250 == 0
    report = page.evaluate("window.saferlhubMaze.lastReport")
    assert report["done"] == done
    assert all(m["mazes"] == done for a in report["agents"].values() for m in a.values())
    expect(ood).to_have_attribute("data-match", "not-comparable")
    expect(ood.locator(".maze-ood__cards")).to_contain_text("Not compared with the model cards")


def test_with_the_cards_settings_the_page_gives_the_cards_numbers(ood, page):
    """The cards record only totals over their 1,000 mazes, so no prefix can be checked:
    this runs the whole evaluation (minutes on a busy machine)."""
    evaluation = card(AGENTS[0])["evaluation"]
    ood.get_by_role("button", name="Use the model cards' settings").click()
    run(ood, evaluation["mazes_per_distribution"], evaluation["seed"], FULL_RUN_TIMEOUT_MS)
    report = page.evaluate("window.saferlhubMaze.lastReport")
    for agent in AGENTS:
        for distribution, metrics in card(agent)["evaluation"]["distributions"].items():
            got = report["agents"][agent][distribution]
            assert {k: got[k] for k in metrics} == metrics, (agent, distribution)
    expect(ood).to_have_attribute("data-match", "equal")
    expect(ood.locator(".maze-ood__cards")).to_contain_text("Equal to the model cards")
