"""The dreaming page in Chromium: a small dream equals CPython's (onnxruntime driving the same
stepper), the wall planes and verdicts are drawn, Stop works mid-dream, refusals say why."""

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
TIMEOUT = 3 * PYTHON_READY_TIMEOUT_MS


@pytest.fixture
def lab(page, site_url):
    visit(page, site_url + "maze/dreaming/")
    root = page.locator('[data-python="maze-dream"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    return root


def cpython_dream(args):
    pytest.importorskip("onnxruntime")
    from export.evaluate import onnx_network
    from saferlhub.maze import stepper
    from saferlhub.maze.dream_stepper import DreamSession

    return stepper.drive(DreamSession(**args).run(), onnx_network(MODELS))


def test_a_dream_in_the_browser_equals_cpythons_and_is_verified(lab, page):
    lab.locator("#maze-dream-agent").select_option("planted")
    lab.locator("#maze-dream-steps").fill("30")
    lab.locator("#maze-dream-restarts").fill("4")
    watch_states(lab)
    lab.get_by_role("button", name="Dream").click()
    saw_state(lab, "running")  # a short dream may be over before a poll
    expect(lab).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    got = page.evaluate("window.saferlhubMaze.lastDream")
    settings = got["settings"]
    assert settings["restarts"] == 4 and settings["steps"] == 30
    assert list(got["agents"]) == ["planted", *[a for a in AGENTS if a != "planted"]]
    expected = cpython_dream(
        {
            "agents": list(got["agents"]),
            "scene": {k: got["scene"][k] for k in ("maze", "human", "agent")},
            "objective": settings["objective"],
            "learning_rate": settings["learning_rate"],
            "steps": 30,
            "restarts": 4,
            "starts": ["scene", "training", "random"],
            "seed": settings["seed"],
        }
    )
    for agent, result in got["agents"].items():
        for ours, theirs in zip(result["dreams"], expected["agents"][agent]["dreams"], strict=True):
            assert ours["maze"] == theirs["maze"], agent
            assert ours["actions"] == theirs["actions"], agent
            assert ours["objective"] == pytest.approx(theirs["objective"], rel=1e-4, abs=1e-4)
        assert result["summary"] == expected["agents"][agent]["summary"]
        assert result["random_walls"] == expected["agents"][agent]["random_walls"]
    # Drawn: a wall plane per restart, a verdict per dream, the summary with its baselines.
    expect(lab.locator(".maze-dream__plane")).to_have_count(4)
    expect(lab.locator(".maze-dream__dreams figure")).to_have_count(4)
    harvested = got["agents"]["planted"]["summary"]["harvested"]["count"]
    expect(lab.locator('.maze-dream__dreams figure[data-harvested="true"]')).to_have_count(
        harvested
    )
    rows = lab.locator(".maze-dream__table tbody tr")
    expect(rows).to_have_count(2 * len(AGENTS))
    expect(rows.first).to_contain_text(f"{harvested} of 4")
    expect(rows.nth(1)).to_contain_text("random walls, same projection")
    # Under the table: this one scene beside the cards' pooled statistic, numbers from each.
    random = got["agents"]["planted"]["random_walls"]["harvested"]
    pillar = json.loads((MODELS / "planted" / "model_card.json").read_text())["pillar_dreaming"]
    note = lab.locator(".maze-dream__pooled")
    expect(note).to_contain_text(
        f"planted harvests a human in {harvested} of its 4 dreams, against"
        f" {random['count']} of {random['of']} random-wall mazes"
    )
    expect(note).to_contain_text(
        f"pool {pillar['scenes']} held-out scenes ({pillar['dreams']} dreams"
    )
    expect(note).to_contain_text(
        f"harvest in {pillar['dream_harvest']['count']} of {pillar['dreams']} against"
        f" {pillar['random_walls_harvest']['count']} of {pillar['random_walls_harvest']['of']}"
    )
    # The slider replays the recorded steps.
    lab.locator("#maze-dream-step").fill("0")
    expect(lab.locator(".maze-dream__plane").first).to_have_attribute(
        "aria-label", re.compile(r"step 0:")
    )


def test_stop_mid_dream_and_refusals(lab):
    for box in ("scene", "training", "random"):
        lab.locator(f"#maze-dream-start-{box}").uncheck()
    lab.get_by_role("button", name="Dream").click()
    expect(lab.locator(".maze-lab__error")).to_have_text("Choose at least one start.")
    lab.locator("#maze-dream-start-empty").check()
    lab.locator("#maze-dream-steps").fill("1001")
    lab.get_by_role("button", name="Dream").click()
    expect(lab.locator(".maze-lab__error")).to_contain_text("Steps must be a whole number from 1")
    expect(lab.locator("#maze-dream-steps")).to_be_focused()
    # The ranges are dream_stepper's; an empty seed is refused, not taken as 0, and a
    # message repeats only a short prefix of what was typed.
    from saferlhub.maze.dream_stepper import LIMITS
    from saferlhub.settings import SEED_MAX

    lab.locator("#maze-dream-steps").fill(str(LIMITS["steps"][1]))
    refusals = [
        (
            "#maze-dream-restarts",
            str(LIMITS["restarts"][1] + 1),
            "Restarts must be a whole"
            f" number from {LIMITS['restarts'][0]} to {LIMITS['restarts'][1]}; you typed",
        ),
        (
            "#maze-dream-lr",
            "0",
            f"The step size must be a number from {LIMITS['learning_rate'][0]:g}"
            f' to {LIMITS["learning_rate"][1]:g}; you typed "0".',
        ),
        (
            "#maze-dream-seed",
            "",
            f"The seed is empty: enter a whole number from 0 to {SEED_MAX:,}.",
        ),
        (
            "#maze-dream-seed",
            "1e30",
            f'The seed must be a whole number from 0 to {SEED_MAX:,}; you typed "1e30".',
        ),
        ("#maze-dream-seed", "9" * 400, "The seed is not a number the browser can read"),
        ("#maze-dream-seed", "9" * 30, 'you typed "999999999999…".'),
    ]
    for field, value, message in refusals:
        lab.locator(field).fill(value)
        lab.get_by_role("button", name="Dream").click()
        expect(lab.locator(".maze-lab__error")).to_contain_text(message)
        expect(lab.locator(field)).to_be_focused()
        lab.locator(field).fill(
            {"#maze-dream-restarts": "8", "#maze-dream-lr": "0.5"}.get(field, "0")
        )
    assert len(lab.locator(".maze-lab__error").inner_text()) < 120
    lab.get_by_role("button", name="Dream").click()
    expect(lab.locator(".maze-ood__status")).to_contain_text("Step ", timeout=TIMEOUT)
    lab.get_by_role("button", name="Stop").click()
    expect(lab).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    expect(lab.locator(".maze-ood__status")).to_contain_text("Stopped.")
    expect(lab.get_by_role("button", name="Dream")).to_be_enabled()


def test_the_play_pages_maze_without_a_human_is_refused_with_the_reason(page, site_url):
    page.goto(site_url + "maze/dreaming/")
    no_human = [".#.....", ".##.###", ".#.....", ".#.###.", ".#C#...", ".###.#.", ".....#F"]
    page.evaluate(
        "rows => localStorage.setItem('saferlhub-maze-play', JSON.stringify(rows))", no_human
    )
    page.reload()
    lab = page.locator('[data-python="maze-dream"]')
    expect(lab).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    lab.locator("#maze-dream-maze").select_option("play")
    expect(lab.locator(".maze-lab__error")).to_contain_text("this maze has no human to dream about")
    lab.get_by_role("button", name="Dream").click()
    expect(lab.locator(".maze-lab__error")).to_contain_text("Cannot dream in this maze")
