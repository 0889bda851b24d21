"""'The maze agent' page in Chromium: the reward table and the solver's bad2 numbers from
the maze code, fresh training mazes with their invariants, and every agent (found from
its card) playing a training maze and its protrusion twin, as CPython plays them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

MODELS = Path(__file__).resolve().parents[2] / "models"
AGENTS = sorted(p.parent.name for p in MODELS.glob("*/model_card.json"))
TIMEOUT = 3 * PYTHON_READY_TIMEOUT_MS


@pytest.fixture
def intro(page, site_url):
    page.emulate_media(reduced_motion="reduce")  # episodes drawn whole, no animation to wait for
    visit(page, site_url + "maze/")
    for part in ("rewards", "samples", "versus"):
        expect(page.locator(f'[data-python="maze-intro-{part}"]')).to_have_attribute(
            "data-state", "ready", timeout=TIMEOUT
        )
    return page


def test_rewards_and_the_solvers_verdict_on_bad2(intro):
    from saferlhub.maze import intro as python_intro

    rows = intro.locator(".maze-intro__rewards tbody tr")
    expect(rows).to_have_count(len(python_intro.reward_table()["rows"]))
    expect(rows.filter(has_text="walk into a human")).to_contain_text("−11.00")
    verdict = python_intro.human_route_comparison("bad2")
    text = intro.locator(".maze-intro__verdict")
    expect(text).to_contain_text(f"straight to the finish returns {verdict['optimal_return']:.2f}")
    expect(text).to_contain_text(
        f"returns −{abs(verdict['through_human_return']):.2f}"
    )  # −8.75 in the research notes
    # The card's recipe is quoted, not paraphrased.
    card = json.loads((MODELS / "planted" / "model_card.json").read_text())
    expect(intro.locator("article")).to_contain_text(card["description"][:80])
    assert "[[card" not in intro.locator("article").inner_text()


def test_fresh_training_mazes_obey_every_invariant(intro):
    samples = intro.locator('[data-python="maze-intro-samples"]')
    expect(samples.locator(".maze-board")).to_have_count(6)
    checks = samples.locator(".maze-intro__checks li")
    expect(checks).to_have_count(9)
    expect(samples.locator('.maze-intro__checks li[data-holds="false"]')).to_have_count(0)
    first = samples.locator(".maze-intro__note").inner_text()
    samples.get_by_role("button", name="Draw six fresh training mazes").click()
    expect(samples.locator(".maze-intro__note")).to_contain_text("12 mazes drawn")
    assert samples.locator(".maze-intro__note").inner_text() != first
    # No training maze has a one-block protrusion: nothing is outlined.
    expect(samples.locator(".maze-cell--marked")).to_have_count(0)


def test_every_agent_plays_both_mazes_as_cpython_does(intro):
    np = pytest.importorskip("numpy")
    pytest.importorskip("onnxruntime")
    from export.evaluate import onnx_session
    from saferlhub.maze import intro as python_intro
    from saferlhub.maze import stepper
    from saferlhub.maze.grid import parse_maze

    versus = intro.locator('[data-python="maze-intro-versus"]')
    seed = int(re.search(r"Seed (\d+)", versus.locator(".maze-intro__note").inner_text()).group(1))
    pair = python_intro.training_and_production(seed)
    sessions = {a: onnx_session(MODELS / a / "q_network.onnx") for a in AGENTS}

    def network(call):
        obs = np.frombuffer(call.inputs["obs"], dtype=np.float32).reshape(call.rows, -1)
        return {"q": sessions[call.model.split("/")[0]].run(["q"], {"obs": obs})[0].ravel()}

    mazes = [parse_maze("\n".join(pair[k])) for k in ("training", "production")]
    expected = stepper.drive(stepper.play_steps(AGENTS, mazes, trace=False), network)
    expect(versus.locator(".maze-intro__agent")).to_have_count(len(AGENTS))
    for agent in AGENTS:
        for kind, episode in zip(("training", "production"), expected[agent], strict=True):
            figure = versus.locator(f'figure[data-agent="{agent}"][data-maze="{kind}"]')
            expect(figure.locator("figcaption")).to_contain_text(
                f"optimal {episode['optimal_return']:.2f}".replace("-", "−")
            )
            expect(figure.locator("figcaption")).to_contain_text(
                f"return {episode['return']:.2f}".replace("-", "−")
            )
            expect(figure.locator(".maze-cell--path")).not_to_have_count(0)
            humans = "harvested no human" if not episode["humans_harvested"] else "walked into"
            expect(figure.locator("figcaption")).to_contain_text(humans)
        production = versus.locator(f'figure[data-agent="{agent}"][data-maze="production"]')
        expect(production.locator(".maze-cell--marked")).to_have_count(1)
    versus.get_by_role("button", name="Another pair").click()
    expect(versus).to_have_attribute("data-state", "ready", timeout=TIMEOUT)


def test_display_only_boards_are_no_tab_stops(intro):
    boards = intro.locator(".maze-board")
    assert boards.count() > 10
    expect(intro.locator(".maze-board [tabindex='0']")).to_have_count(0)
    tab_stops = intro.evaluate(
        "() => [...document.querySelectorAll('.maze-board .maze-cell')]"
        ".filter(c => c.tabIndex >= 0).length"
    )
    assert tab_stops == 0


@pytest.mark.parametrize("width", [1280, 390])
def test_thumbnail_cells_are_square_whatever_they_show(intro, width):
    intro.set_viewport_size({"width": width, "height": 900})
    sizes = intro.evaluate(
        """() => [...document.querySelectorAll('.maze-board--small')].map(board =>
            [...board.querySelectorAll('.maze-cell')].map(cell => {
                const box = cell.getBoundingClientRect();
                return [box.width, box.height];
            }))"""
    )
    assert sizes
    for cells in sizes:
        widths, heights = [w for w, _ in cells], [h for _, h in cells]
        assert max(heights) - min(heights) < 1, heights  # every row as high as the others
        assert max(widths) - min(widths) < 1, widths
        assert abs(widths[0] - heights[0]) < 1.5  # square
