"""Auto-graded exercises, driven like a reader would: fail, read why, pass, reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit, wait_for_python

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

CHECK_TIMEOUT = 60_000


def exercise(page, exercise_id):
    return page.locator(f'.exercise[data-exercise="{exercise_id}"]')


def replace_code(page, exercise_id, code):
    editor = exercise(page, exercise_id).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)


def confirm(box, yes=True):
    """Answer the question Show solution, Reset exercise or Forget all progress asks."""
    question = box.locator(".exercise__confirm")
    expect(question).to_be_visible()
    question.locator(".exercise__confirm-yes" if yes else ".exercise__confirm-no").click()
    expect(question).to_have_count(0)


def check(page, exercise_id, status):
    box = exercise(page, exercise_id)
    box.locator(".exercise__check").click()
    expect(box).to_have_attribute("data-status", status, timeout=CHECK_TIMEOUT)
    return box


@pytest.fixture
def blackjack(page, site_url):
    visit(page, site_url + "learn/blackjack-exercises/")
    wait_for_python(page)
    # The maths' fonts arriving late move the page: a click is aimed once it has settled
    # (a clean-clone run once saw a Check click answered by nothing).
    page.evaluate("document.fonts.ready.then(() => true)")
    return page


def test_the_buggy_starter_fails_with_the_reason_then_the_solution_passes(blackjack):
    box = exercise(blackjack, "q-update")
    expect(box.locator(".exercise__show-solution")).to_be_disabled()
    check(blackjack, "q-update", "failed")
    results = box.locator(".exercise__results")
    expect(results).to_contain_text("a terminal transition")
    expect(results).to_contain_text("the bug the old SafeRLHub app had")
    expect(results).to_contain_text("Probe environment 'one step'")
    expect(box.locator(".exercise__status")).to_contain_text("Not yet")

    box.locator(".exercise__show-solution").click()
    confirm(box)
    expect(box.locator(".cm-content")).to_contain_text("if terminated:")
    check(blackjack, "q-update", "passed")
    expect(box.locator(".exercise__status")).to_contain_text("Passed: all 2 checks")


def test_a_numeric_answer_is_explained_and_progress_survives_a_reload(blackjack, site_url):
    replace_code(blackjack, "discounted-return", "answer = 1 + 0 + 2")
    box = check(blackjack, "discounted-return", "failed")
    expect(box.locator(".exercise__results")).to_contain_text("That is the plain sum")
    replace_code(blackjack, "discounted-return", "answer = 1 + 0.9**2 * 2")
    check(blackjack, "discounted-return", "passed")

    box.locator(".exercise__hint").click()
    expect(box.locator(".exercise__hint-list li")).to_have_count(1)

    blackjack.goto(site_url + "learn/exercises/")
    progress = blackjack.locator('.exercise-progress[data-exercise="discounted-return"]')
    expect(progress).to_have_text("passed")
    expect(blackjack.locator(".exercise-overview__summary")).to_contain_text("passed 1 of")

    blackjack.goto(site_url + "learn/blackjack-exercises/")
    wait_for_python(blackjack)
    box = exercise(blackjack, "discounted-return")
    expect(box).to_have_attribute("data-state", "passed", timeout=30_000)
    expect(box.locator(".exercise__hint-list li")).to_have_count(1)
    box.locator(".exercise__reset").click()
    confirm(box)
    expect(box).to_have_attribute("data-state", "new")
    expect(box.locator(".cm-content")).to_contain_text("answer = ...")


# Long enough for a check under load, short enough not to wait the page's 30 s.
TEST_WATCHDOG_MS = 15_000


@pytest.mark.own_tab  # it changes the tab itself (init script or emulated media)
def test_loops_are_stopped_and_the_page_stays_usable(page, site_url):
    page.add_init_script(f"globalThis.SAFERLHUB_EXERCISE_WATCHDOG_MS = {TEST_WATCHDOG_MS}")
    page.goto(site_url + "learn/blackjack-exercises/")
    wait_for_python(page)
    # A loop in Python is stopped by the grader itself ...
    replace_code(
        page,
        "epsilon-greedy",
        "def epsilon_greedy(q_values, epsilon, rng):\n    while True: pass\n",
    )
    box = check(page, "epsilon-greedy", "failed")
    expect(box.locator(".exercise__results")).to_contain_text("was stopped")
    # ... and Python still answers: another exercise checks at once
    replace_code(page, "endless-return", "answer = 1 / (1 - 0.95)")
    check(page, "endless-return", "passed")

    # A loop inside C, which Python cannot interrupt, is stopped by the page's watchdog.
    replace_code(page, "endless-return", "answer = sum(range(10**12))")
    box = exercise(page, "endless-return")
    box.locator(".exercise__check").click()
    expect(box).to_have_attribute("data-status", "error", timeout=60_000)
    expect(box.locator(".exercise__status")).to_contain_text("Python was stopped and restarted")
    expect(page.locator(".saferlhub-status")).to_have_attribute(
        "data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS
    )
    replace_code(page, "endless-return", "answer = 20")
    check(page, "endless-return", "passed")


def test_maze_exercises_grade_against_the_site_encoding(page, site_url):
    visit(page, site_url + "learn/maze-exercises/")
    wait_for_python(page)
    box = check(page, "maze-encode-input", "failed")
    expect(box.locator(".exercise__results")).to_contain_text("matches saferlhub.maze.encode")
    box.locator(".exercise__show-solution").click()
    confirm(box)
    check(page, "maze-encode-input", "passed")


WRONG_GOAL_FIRST = """def verdict(world, episode, optimum, end_steps, chests):
    if world == "keys" and episode["keys_taken"] > chests:
        return "wrong goal"
    if world == "coin" and episode["reached_end"] is not None:
        if episode["reached_end"] <= 2 * end_steps + 2:
            return "wrong goal"
    if episode["return"] >= optimum:
        return "optimal"
    return "incompetent"
"""


def test_the_wrong_goal_verdict_names_the_case_and_the_mistake(page, site_url):
    visit(page, site_url + "learn/maze-exercises/")
    wait_for_python(page)
    box = check(page, "gm-wrong-goal-verdict", "failed")
    results = box.locator(".exercise__results")
    expect(results).to_contain_text("it walked straight to the end and missed the coin")
    expect(results).to_contain_text("expected 'wrong goal'")
    replace_code(page, "gm-wrong-goal-verdict", WRONG_GOAL_FIRST)
    check(page, "gm-wrong-goal-verdict", "failed")
    expect(results).to_contain_text("Ask whether the episode reached the optimum first")
    box.locator(".exercise__show-solution").click()
    confirm(box)
    check(page, "gm-wrong-goal-verdict", "passed")

    visit(page, site_url + "learn/exercises/")
    overview = page.locator(".exercise-overview")
    expect(overview.locator("h3", has_text="Goal misgeneralization")).to_have_count(1)
    progress = page.locator('.exercise-progress[data-exercise="gm-wrong-goal-verdict"]')
    expect(progress).to_have_text("passed (after the solution)")


def test_the_boat_race_reward_is_judged_by_the_exact_solver(page, site_url):
    visit(page, site_url + "learn/reward-hacking-exercises/")
    wait_for_python(page)
    box = check(page, "ungameable-reward", "failed")
    results = box.locator(".exercise__results")
    expect(results).to_contain_text("goes back and forth between (1, 1) and (1, 2)")
    expect(results).to_contain_text("The best completes 12 laps")
    expect(results).to_contain_text("no reason to prefer the lap")
    box.locator(".exercise__show-solution").click()
    confirm(box)
    expect(box.locator(".cm-content")).to_contain_text("moving against an arrow")
    check(page, "ungameable-reward", "passed")
    expect(box.locator(".exercise__status")).to_contain_text("Passed: all 3 checks")


def focused_class(page) -> str:
    return page.evaluate("document.activeElement.className")


def test_show_solution_and_forget_all_ask_first_and_work_from_the_keyboard(blackjack, site_url):
    box = exercise(blackjack, "returns")
    check(blackjack, "returns", "failed")
    button = box.locator(".exercise__show-solution")
    button.focus()
    blackjack.keyboard.press("Enter")
    question = box.locator(".exercise__confirm")
    expect(question).to_contain_text("Your code in the editor will be lost")
    assert "exercise__confirm-no" in focused_class(blackjack)  # the safe choice first
    blackjack.keyboard.press("Escape")
    expect(box.locator(".exercise__confirm")).to_have_count(0)
    assert "exercise__show-solution" in focused_class(blackjack)
    expect(box.locator(".cm-content")).to_contain_text("# your code here")
    blackjack.keyboard.press("Enter")
    blackjack.keyboard.press("Shift+Tab")  # from Cancel to the confirming button
    assert "exercise__confirm-yes" in focused_class(blackjack)
    blackjack.keyboard.press("Enter")
    expect(box.locator(".cm-content")).to_contain_text("for t in range(len(rewards) - 1, -1, -1)")

    blackjack.goto(site_url + "learn/exercises/")
    progress = blackjack.locator('.exercise-progress[data-exercise="returns"]')
    expect(progress).to_have_text("tried 1 time")
    forget = blackjack.locator(".exercise-overview__reset")
    forget.click()
    overview = blackjack.locator(".exercise-overview")
    overview.locator(".exercise__confirm-no").click()
    expect(progress).to_have_text("tried 1 time")
    forget.click()
    overview.locator(".exercise__confirm-yes").click()
    expect(progress).to_have_text("not started")
    expect(blackjack.locator(".exercise-overview__summary")).to_contain_text("Progress forgotten")


def test_a_long_check_can_be_stopped_and_old_results_do_not_linger(blackjack):
    replace_code(blackjack, "endless-return", "answer = 25")
    box = check(blackjack, "endless-return", "failed")
    expect(box.locator(".exercise__results")).to_contain_text("Too high")
    # Inside C, where the grader's own time limit cannot reach: the reader stops it.
    replace_code(blackjack, "endless-return", "answer = sum(range(10**12))")
    box.locator(".exercise__check").click()
    expect(box).to_have_attribute("data-status", "checking")
    expect(box.locator(".exercise__results")).to_be_hidden()  # the last Check's, cleared
    stop = box.locator(".exercise__stop")
    expect(stop).not_to_have_attribute("aria-disabled", "true")
    stop.click()
    expect(box).to_have_attribute("data-status", "error", timeout=CHECK_TIMEOUT)
    expect(box.locator(".exercise__status")).to_contain_text("Check stopped")
    expect(stop).to_have_attribute("aria-disabled", "true")
    expect(blackjack.locator(".saferlhub-status")).to_have_attribute(
        "data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS
    )
    replace_code(blackjack, "endless-return", "import sys\nsys.exit()\nanswer = 20")
    box = check(blackjack, "endless-return", "failed")
    expect(box.locator(".exercise__results")).to_contain_text("your code called sys.exit()")
    expect(box.locator(".exercise__results")).not_to_contain_text("Traceback")
