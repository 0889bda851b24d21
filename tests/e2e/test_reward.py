"""The reward-hacking page: the solver's verdict, live training, Stop, replays, seeds."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations, blocking, overflow
from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew
LEVELS = ("boat_race", "tomato_watering", "absent_supervisor")


@pytest.fixture
def labs(page, site_url):
    visit(page, site_url + "reward-hacking/")
    for level in LEVELS:
        root = page.locator(f'[data-python="reward-lab"][data-level="{level}"]')
        expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
        expect(root).to_have_attribute("data-verdict", "hack", timeout=60_000)
    return {level: page.locator(f'[data-level="{level}"]') for level in LEVELS}


def test_changing_the_reward_changes_the_solvers_verdict(labs):
    boat = labs["boat_race"]
    expect(boat.locator(".rh-verdict")).to_contain_text("anywhere from 0 to 100")
    boat.locator("#rh-boat_race-ordered_checkpoints").check()
    expect(boat).to_have_attribute("data-verdict", "no-hack", timeout=30_000)
    expect(boat.locator("#rh-boat_race-preset")).to_have_value("")
    tomato = labs["tomato_watering"]
    tomato.locator("#rh-tomato_watering-preset").select_option("tomato watering, no transformer")
    expect(tomato).to_have_attribute("data-verdict", "no-hack", timeout=30_000)
    # Switched off, the verdict does not speak of what the transformer shows.
    expect(tomato.locator(".rh-verdict")).to_contain_text("The transformer is off")
    expect(tomato.locator(".rh-verdict")).not_to_contain_text("parking on the transformer")
    sup = labs["absent_supervisor"]
    expect(sup.locator(".rh-verdict")).to_contain_text("exactly 29")
    sup.locator("#rh-absent_supervisor-supervisor_probability").fill("1")
    sup.locator("#rh-absent_supervisor-supervisor_probability").dispatch_event("change")
    expect(sup).to_have_attribute("data-verdict", "no-hack", timeout=30_000)


# A lap round a 2 x 2 block of checkpoints: every move of the lap pays, so lapping beats
# shuttling and the solver finds no room for the hack (tests/pyscripts/test_gridworld_editor.py).
TIGHT_LAP = "#####\n#^> #\n#<v #\n#A  #\n#####"


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def test_the_reader_draws_a_level_from_the_keyboard(labs, page):
    boat = labs["boat_race"]
    expect(boat).to_have_attribute("data-art", "original")
    boat.locator(".rh-editor summary").focus()
    page.keyboard.press("Enter")
    box = boat.locator("#rh-boat_race-art")
    expect(box).to_be_visible()
    expect(box).to_have_value("#####\n#A> #\n#^#v#\n# < #\n#####")
    page.keyboard.press("Tab")
    assert focused(page) == "rh-boat_race-art"
    page.keyboard.press("Control+A")
    page.keyboard.type(TIGHT_LAP)
    page.keyboard.press("Tab")
    assert "rh-apply" in focused(page)
    page.keyboard.press("Enter")
    # The solver answers for the new level, and the board is redrawn.
    expect(boat).to_have_attribute("data-verdict", "no-hack", timeout=30_000)
    expect(boat).to_have_attribute("data-art", "edited")
    expect(boat.locator(".rh-verdict")).to_contain_text("exactly 98")
    expect(boat.locator(".rh-editor__preview .rh-board__text")).to_contain_text(
        "Rows: ##### / #^>·# / #<v·# / #A··# / #####"
    )
    expect(boat.locator("#rh-boat_race-preset")).to_have_value("")
    assert "rh-apply" in focused(page)

    # Art that breaks a rule: the parser's message, the focus on the box, the old level kept.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("#####\n#A> #\n#^#v \n# < #\n#####")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    error = boat.locator("#rh-boat_race-art-error")
    expect(error).to_have_text(
        "Row 3, column 5: the edge of the level must be wall ('#').", timeout=30_000
    )
    expect(error).to_have_attribute("role", "alert")
    expect(box).to_have_attribute("aria-invalid", "true")
    assert "rh-boat_race-art-error" in box.get_attribute("aria-describedby")
    assert focused(page) == "rh-boat_race-art"
    expect(boat).to_have_attribute("data-level-edit", "refused")
    expect(boat.locator(".rh-verdict")).to_contain_text("exactly 98")
    expect(boat.locator(".rh-editor__preview .rh-board__text")).to_contain_text("#^>·#")
    found = blocking(axe_violations(page, '[data-level="boat_race"]'))
    assert not found, found

    # Training uses the level in play (the tight lap), not the refused text.
    boat.locator(".rh-train").focus()
    page.keyboard.press("Enter")
    expect(boat).to_have_attribute("data-state", "done", timeout=60_000)
    expect(boat).to_have_attribute("data-hacks", "false")
    expect(boat.locator(".rh-learned__summary")).to_contain_text(
        "observed return 197, hidden performance 98"
    )

    # Reset brings the original back, and so does any preset.
    boat.locator(".rh-reset").focus()
    page.keyboard.press("Enter")
    expect(boat).to_have_attribute("data-art", "original")
    expect(boat).to_have_attribute("data-verdict", "hack", timeout=30_000)
    expect(box).not_to_have_attribute("aria-invalid", "true")
    expect(box).to_have_value("#####\n#A> #\n#^#v#\n# < #\n#####")
    box.fill(TIGHT_LAP)
    boat.locator(".rh-apply").click()
    expect(boat).to_have_attribute("data-verdict", "no-hack", timeout=30_000)
    boat.locator("#rh-boat_race-preset").select_option("boat race, checkpoints in lap order")
    expect(boat).to_have_attribute("data-art", "original")
    expect(boat.locator(".rh-verdict")).to_contain_text(
        "the best observed return is 50; the best hidden performance is 100", timeout=30_000
    )


def test_training_splits_the_curves_and_replays_the_hack(labs, page):
    boat = labs["boat_race"]
    boat.locator(".rh-train").click()
    expect(boat).to_have_attribute("data-state", "done", timeout=60_000)
    expect(boat).to_have_attribute("data-hacks", "true")
    expect(boat.locator(".saferlhub-chart")).to_have_attribute("data-points", "20")
    expect(boat.locator(".rh-learned__summary")).to_contain_text("observed return 50")
    expect(boat.locator(".rh-learned .rh-board")).to_have_count(1)
    boat.locator(".rh-play").click()
    expect(boat.locator(".rh-replay__caption")).to_contain_text("Step 100 of 100", timeout=30_000)
    expect(boat.locator(".rh-replay__caption")).to_contain_text("observed return so far 50")
    found = blocking(axe_violations(page, '[data-level="boat_race"]'))
    assert not found, found


def test_the_fixed_reward_removes_the_hack(labs):
    boat = labs["boat_race"]
    boat.locator("#rh-boat_race-preset").select_option("boat race, checkpoints in lap order")
    boat.locator(".rh-train").click()
    expect(boat).to_have_attribute("data-state", "done", timeout=60_000)
    expect(boat).to_have_attribute("data-hacks", "false")
    expect(boat.locator(".rh-learned__summary")).to_contain_text("hidden performance 100")


def test_bad_settings_are_refused_with_the_field(labs):
    sup = labs["absent_supervisor"]
    sup.locator(".rh-more summary").click()
    sup.locator("#rh-absent_supervisor-episodes").fill("0")
    sup.locator(".rh-train").click()
    expect(sup).to_have_attribute("data-state", "invalid", timeout=30_000)
    expect(sup.locator('[data-setting="episodes"] .rh-field__error')).to_contain_text(
        "Episodes must be from 1 to 100,000"
    )
    expect(sup.locator("#rh-absent_supervisor-episodes")).to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Episodes is empty"),
        ("1e999", "Episodes must be a number from 1 to 100,000"),
    ],
)
def test_an_empty_or_unreadable_number_is_named_as_such(labs, typed, message):
    sup = labs["absent_supervisor"]
    sup.locator(".rh-more summary").click()
    sup.locator("#rh-absent_supervisor-episodes").fill(typed)
    sup.locator(".rh-train").click()
    expect(sup).to_have_attribute("data-state", "invalid", timeout=30_000)
    expect(sup.locator('[data-setting="episodes"] .rh-field__error')).to_contain_text(message)


def test_stop_keeps_the_curves_so_far(labs):
    tomato = labs["tomato_watering"]
    tomato.locator(".rh-more summary").click()
    tomato.locator("#rh-tomato_watering-episodes").fill("100000")
    tomato.locator(".rh-train").click()
    expect(tomato.locator(".saferlhub-chart")).not_to_have_attribute(
        "data-points", "0", timeout=60_000
    )
    tomato.locator(".rh-stop").click()
    expect(tomato).to_have_attribute("data-state", "stopped", timeout=30_000)
    expect(tomato.locator(".rh-status")).to_contain_text("Stopped after")
    assert int(tomato.locator(".saferlhub-chart").get_attribute("data-points")) >= 1
    # A fresh Python serves the next request.
    tomato.locator("#rh-tomato_watering-episodes").fill("30")
    tomato.locator(".rh-train").click()
    expect(tomato).to_have_attribute("data-state", "done", timeout=PYTHON_READY_TIMEOUT_MS)


def test_ten_seeds_count_the_hacks(labs):
    sup = labs["absent_supervisor"]
    sup.locator(".rh-seeds").click()
    expect(sup.locator(".rh-seeds__summary")).to_have_text(
        "10 of 10 seeds learned to game the reward.", timeout=120_000
    )
    expect(sup.locator("table.rh-seeds tbody tr")).to_have_count(10)


def test_phone_width_light_and_dark(browser, site_url):
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 390, "height": 800}, color_scheme=scheme)
        page = context.new_page()
        page.goto(site_url + "reward-hacking/", wait_until="domcontentloaded")
        root = page.locator('[data-level="tomato_watering"]')
        expect(root).to_have_attribute("data-verdict", "hack", timeout=PYTHON_READY_TIMEOUT_MS)
        root.locator(".rh-train").click()
        expect(root).to_have_attribute("data-state", "done", timeout=60_000)
        found = overflow(page)
        assert found["scrollWidth"] <= found["clientWidth"] and not found["outside"], (
            scheme,
            found,
        )
        context.close()


def test_blackjack_proxies_table_and_learned_agents(page, site_url):
    visit(page, site_url + "reward-hacking/blackjack-proxies/")
    root = page.locator('[data-python="reward-proxies"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    expect(root.locator("table.rh-proxies tbody tr")).to_have_count(3)
    expect(root.locator('tr[data-reward="avoid busting"] td').nth(0)).to_have_text("+1.000")
    root.locator(".rh-train").click()
    expect(root).to_have_attribute("data-state", "done", timeout=120_000)
    expect(root.locator(".rh-proxies__learned tbody tr")).to_have_count(2)


def test_reasoning_toy_runs_candidates_and_trains(page, site_url):
    visit(page, site_url + "reward-hacking/reasoning-toy/")
    root = page.locator('[data-python="reward-toy"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    root.locator(".rh-train").click()
    expect(root).to_have_attribute("data-state", "done", timeout=240_000)
    expect(root.locator("table.rh-candidates tbody tr")).to_have_count(13)
    exit_zero = root.locator('tr[data-candidate="exit-zero"]')
    expect(exit_zero.locator("td").nth(1)).to_contain_text("0 (reward 1)")
    expect(exit_zero.locator("td").nth(2)).to_contain_text("fails")
    expect(root.locator('tr[data-candidate="retry-forever"] td').nth(1)).to_contain_text(
        "time limit"
    )
    for run in ("grader only", "monitor in the reward"):
        expect(root.locator(f'.rh-chart[data-run="{run}"]')).to_have_attribute("data-done", "true")
