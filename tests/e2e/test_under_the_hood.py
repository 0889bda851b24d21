"""The "RL under the hood" page: the loop on a real hand, worked updates, the contrast."""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew


def number(text: str) -> float:
    return float(text.strip().replace("−", "-"))


@pytest.fixture
def loop(page, site_url):
    visit(page, site_url + "blackjack/under-the-hood/")
    root = page.locator('[data-python="rl-loop"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    return root


def check_worked_example(root):
    """The displayed numbers satisfy target = r + gamma * max Q' and the update rule."""
    worked = root.locator(".rl-worked")
    expect(worked).to_be_visible()
    val = lambda name: number(worked.locator(f".rl-w--{name}").first.inner_text())  # noqa: E731
    r, target, q_old, alpha, q_new = val("r"), val("target"), val("qold"), val("alpha"), val("qnew")
    if worked.get_attribute("data-terminated") == "true":
        assert target == r
    else:
        gamma = val("gamma")
        max_q = max(val("next-stick"), val("next-hit"))
        assert val("maxq") == max_q
        assert math.isclose(target, r + gamma * max_q, abs_tol=2e-4)
    assert math.isclose(q_new, q_old + alpha * (target - q_old), abs_tol=3e-4)


def test_a_hand_replays_step_by_step_with_worked_updates(loop, page):
    expect(page.locator(".katex").first).to_be_attached()
    expect(loop).to_have_attribute("data-frame", "0")
    expect(loop.locator('[data-part="env"]')).to_have_class("rl-box rl-box--env is-active")
    expect(loop.locator(".rl-card")).to_have_count(4)  # two player cards, dealer up + hidden
    stepper = loop.locator(".rl-step")
    seen_phases = []
    for _ in range(40):
        seen_phases.append(loop.get_attribute("data-phase"))
        if loop.get_attribute("data-phase") == "decide":
            expect(loop.locator(".rl-q__row")).to_have_count(2)
            agent = loop.locator('[data-part="agent"]')
            expect(agent).to_have_class("rl-box rl-box--agent is-active")
        if loop.get_attribute("data-phase") == "reward":
            check_worked_example(loop)
        if stepper.is_disabled():
            break
        frame = int(loop.get_attribute("data-frame"))
        stepper.click()
        expect(loop).to_have_attribute("data-frame", str(frame + 1))
    assert loop.get_attribute("data-last") == "true"
    # Step is disabled at the end of the hand: the focus moves on to New hand.
    expect(loop.locator(".rl-new")).to_be_focused()
    assert seen_phases[:4] == ["state", "decide", "act", "reward"]
    expect(loop.locator('.rl-worked[data-terminated="true"]')).to_be_visible()


def test_new_hand_play_and_keyboard(loop, page):
    loop.locator(".rl-new").click()
    expect(loop).to_have_attribute("data-hand-seed", "1")
    expect(loop).to_have_attribute("data-state", "ready")
    expect(loop).to_have_attribute("data-frame", "0")
    loop.locator(".rl-step").focus()
    page.keyboard.press("ArrowRight")
    expect(loop).to_have_attribute("data-frame", "1")
    page.keyboard.press("Enter")  # the focused Step button
    expect(loop).to_have_attribute("data-frame", "2")
    loop.locator(".rl-play").click()
    expect(loop).to_have_attribute("data-last", "true", timeout=30_000)
    expect(loop.locator(".rl-play")).to_have_attribute("aria-pressed", "false")
    check_worked_example(loop)


def test_exploration_contrast_over_seeds(loop, page):
    """The lesson the page draws: a pessimistic greedy agent never learns to hit; an
    optimistic start makes even a greedy agent try both actions."""
    contrast = page.locator('[data-python="rl-exploration"]')
    contrast.locator(".rl-contrast-run").click()
    expect(contrast).to_have_attribute("data-state", "done", timeout=240_000)
    rows = contrast.locator("tbody tr")
    expect(rows).to_have_count(5)

    def cell(run, column):
        return float(
            contrast.locator(f'tr[data-run="{run}"] .rl-c-{column}').get_attribute("data-value")
        )

    assert cell("greedy_pessimistic", "gap") > 5 * cell("explore", "gap") > 0
    assert cell("greedy_pessimistic", "untried") > 140
    assert cell("greedy_optimistic", "untried") < cell("greedy_zero", "untried")
    expect(contrast.locator(".rl-contrast-summary")).to_contain_text("never tries hitting")
    expect(contrast.locator("caption")).to_contain_text("seeds 0, 1, 2, 3, 4")
