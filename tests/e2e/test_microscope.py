"""The microscope pages in Chromium: onnxruntime-web in the page and onnxruntime in CPython,
driving the same steppers, give the same numbers (float32, within FLOAT_TOLERANCE); each page
draws them; the sentences of "What to notice" hold for the page's own default output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

MODELS = Path(__file__).resolve().parents[2] / "models"
TIMEOUT = 3 * PYTHON_READY_TIMEOUT_MS
# onnxruntime-web (wasm, SIMD) and onnxruntime's CPU provider sum float32 products in
# different orders: on the states below, activations, Q-values, patched Q-values and
# gradients differed by at most 3.6e-6 (measured once); the tolerance leaves room.
FLOAT_TOLERANCE = 1e-4
BAD1 = [".#H....", ".###.#.", "...#.#.", "##...#.", "C#.#.#.", ".#####.", "......F"]


def cards():
    return {
        path.parent.name: json.loads(path.read_text()) for path in MODELS.glob("*/model_card.json")
    }


def cpython(stepper):
    pytest.importorskip("onnxruntime")
    from export.interp_runtime import onnx_network
    from saferlhub.maze.network_calls import drive

    return drive(stepper, onnx_network(MODELS))


def close(ours, theirs, path="result"):
    """Equal JSON, floats within FLOAT_TOLERANCE (absolute, or relative for large values)."""
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs), path
        for key in theirs:
            close(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list | tuple):
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            close(a, b, f"{path}[{i}]")
    elif isinstance(theirs, float) and not isinstance(ours, bool):
        assert ours == pytest.approx(theirs, rel=FLOAT_TOLERANCE, abs=FLOAT_TOLERANCE), path
    else:
        assert ours == theirs, path


def open_page(page, site_url, name):
    visit(page, site_url + f"maze/microscope-{name}/")
    root = page.locator(f'[data-python="maze-microscope-{name}"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    return root


def run_in_page(page, task, args):
    return page.evaluate(
        "([task, args]) => window.saferlhubMicroscope.runStepper(task, args)", [task, args]
    )["result"]


def test_the_browser_gives_cpythons_numbers_for_cache_patching_and_saliency(page, site_url):
    """The issue's equality: interp.* tasks through onnxruntime-web (q_network, q_patch with
    its optional inputs, q_gradient) against onnxruntime in CPython on the same states."""
    from saferlhub.maze.interp import tasks

    open_page(page, site_url, "inside")
    card = cards()["planted"]
    state = {"maze": BAD1, "position": [0, 4]}
    twin = {"maze": BAD1, "position": [1, 0]}
    runs = {
        "interp.cache": {"card": card, "states": [state, twin]},
        "interp.patch_sweep": {
            "card": card,
            "target": state,
            "source": twin,
            "action": "left",
            "minus": "right",
            "groups": 4,
        },
        "interp.attribution": {
            "card": card,
            "state": state,
            "action": "left",
            "minus": "right",
            "method": "saliency",
        },
    }
    for task, args in runs.items():
        ours = run_in_page(page, task, args)
        close(ours, json.loads(json.dumps(cpython(tasks.start(task, args)))), task)


def test_inside_the_agent_draws_both_agents_and_the_twins_changes(page, site_url):
    from saferlhub.maze import microscope_pages

    lab = open_page(page, site_url, "inside")
    shown = page.evaluate("window.saferlhubMicroscope.lastInside")
    args = shown["args"]
    assert args["cards"] == ["planted", "natural"] and args["maze"] == BAD1  # no stored maze
    every = cards()
    expected = cpython(
        microscope_pages.inside(
            {a: every[a] for a in args["cards"]}, args["maze"], args["position"], args["twin"], 3
        )
    )
    close(shown["result"], json.loads(json.dumps(expected)))
    # Drawn: each agent's four layers, the differences table, the counts the prose cites.
    expect(lab.locator(".microscope__agent")).to_have_count(2)
    expect(lab.locator('table[data-kind="units"]')).to_have_count(8)
    expect(lab.locator(".microscope__differences-table tbody tr")).to_have_count(2 * 4 * 3)
    for agent, result in expected["agents"].items():
        for hook, values in result["layers"].items():
            # "most of every layer" at or below zero; "every unit" changes with this twin
            assert result["at_or_below_zero"][hook] > len(values) / 2, (agent, hook)
            assert result["twin"]["changed"][hook] == len(values), (agent, hook)
        expect(
            lab.locator(f".microscope__quiet >> nth={list(expected['agents']).index(agent)}")
        ).to_contain_text(f"hidden.0 {result['at_or_below_zero']['hidden.0']} of")
    # Sorted: the first square of a layer is its largest unit.
    lab.locator("#microscope-order").select_option("activation")
    first = lab.locator('table[data-kind="units"] td >> nth=0')
    top = expected["agents"]["planted"]["order"]["hidden.0"][0]
    assert f"unit {top}:" in first.get_attribute("data-detail")
    # Keyboard: the heatmap is one Tab stop; arrows move and show a unit's details.
    first.focus()
    page.keyboard.press("ArrowRight")
    second = expected["agents"]["planted"]["order"]["hidden.0"][1]
    expect(lab.locator(".saferlhub-heatmap__detail >> nth=0")).to_contain_text(f"unit {second}:")
    # Moving the agent: a wall is refused with the reason, an open cell runs again.
    lab.locator(".maze-board >> nth=0").locator("[data-cell='0,1']").click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("is a wall")
    lab.locator(".maze-board >> nth=0").locator("[data-cell='1,0']").click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("The agent at (1, 0)")
    moved = page.evaluate("window.saferlhubMicroscope.lastInside")
    assert moved["args"]["position"] == [1, 0]
    # The heatmaps redrawn in place show the new state: its largest unit first.
    planted = moved["result"]["agents"]["planted"]
    top = planted["order"]["hidden.0"][0]
    assert f"unit {top}:" in first.get_attribute("data-detail")
    assert float(first.get_attribute("data-value")) == planted["layers"]["hidden.0"][top]
    expect(lab.locator(".microscope__q >> nth=0")).to_contain_text(f"it moves {planted['action']}")


def test_which_cells_matter_checks_completeness_and_its_claims(page, site_url):
    from saferlhub.maze import microscope_pages

    lab = open_page(page, site_url, "attribution")
    shown = page.evaluate("window.saferlhubMicroscope.lastAttribution")
    args = shown["args"]
    assert args["position"] is None and shown["result"]["position"] == [0, 4]
    assert (shown["result"]["action"], shown["result"]["minus"]) == ("left", "right")
    card = cards()[args.pop("agent")]
    expected = cpython(microscope_pages.attribution_view(card, **args))
    close(shown["result"], json.loads(json.dumps(expected)))
    expect(lab.locator('table[data-kind="plane"]')).to_have_count(5)
    check = lab.locator(".microscope__check")
    expect(check).to_contain_text(f"with {expected['steps']} steps")
    # Only inputs that differ from the empty baseline get credit: finish and agent none.
    for plane in ("finish", "agent"):
        assert all(v == 0 for row in expected["planes"][plane] for v in row)
    walls = [(r, c) for r in range(7) for c in range(7) if BAD1[r][c] != "#"]
    assert all(expected["planes"]["walls"][r][c] == 0 for r, c in walls)
    # Fewer steps, a larger completeness error (the page's claim, on its own output).
    lab.locator("#microscope-steps").fill("4")
    lab.get_by_role("button", name="Attribute").click()
    expect(check).to_contain_text("with 4 steps")
    coarse = page.evaluate("window.saferlhubMicroscope.lastAttribution.result.completeness_error")
    assert abs(coarse) > abs(expected["completeness_error"])
    # A refused setting says why and keeps the focus on it.
    lab.locator("#microscope-steps").fill("0")
    lab.get_by_role("button", name="Attribute").click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("Steps must be")
    expect(lab.locator("#microscope-steps")).to_be_focused()
    # Saliency: no completeness claimed.
    lab.locator("#microscope-steps").fill("128")
    lab.locator("#microscope-method").select_option("saliency")
    expect(check).to_contain_text("no completeness property")


def test_activation_patching_restores_the_twins_choice_and_can_be_stopped(page, site_url):
    from saferlhub.maze import microscope_pages

    lab = open_page(page, site_url, "patching")
    shown = page.evaluate("window.saferlhubMicroscope.lastPatching")
    every = cards()
    expected = cpython(microscope_pages.Patching(every["planted"], seed=0, groups=8).steps())
    assert shown["args"] == {"agent": "planted", "seed": 0, "groups": 8}
    got = shown["result"]
    close(got, json.loads(json.dumps(expected)))
    # The claims of "What to notice", on this output.
    whole = [p for p in got["patches"] if p["units"] == [0, 256]]  # planted: 256 units a layer
    assert len(whole) == 4
    for patch in whole:
        assert patch["restored"] == pytest.approx(1.0, abs=1e-4)
    assert got["clean_action"] == got["objective"]["minus"]  # the training maze: the finish
    assert got["source_action"] == got["objective"]["action"]  # the twin: the human
    assert not got["small_gap"]
    groups = [p["restored"] for p in got["patches"] if p["layer"] == got["layer"]][1:]
    assert max(groups) - min(groups) > 0.2  # "very different shares"
    assert all(u["restored"] > 0 for u in got["units"])  # "each restore a share"
    alone = sum(u["restored"] for u in got["units"])
    assert abs(alone - got["top_together"]["restored"]) > 0.05  # shares do not add up
    remedy = cpython(microscope_pages.Patching(every["remedy"], seed=0).steps())
    assert {u["unit"] for u in remedy["units"]} & {u["unit"] for u in got["units"]}
    natural = cpython(microscope_pages.Patching(every["natural"], seed=0).steps())
    assert natural["small_gap"]
    # Drawn: the table (4 layers, whole and 8 groups), the chart's text, the units.
    expect(lab.locator(".microscope__patches tbody tr")).to_have_count(4 * 9)
    expect(lab.locator(".saferlhub-chart__summary")).not_to_have_text("No data yet.")
    expect(lab.locator(".microscope__units-list li")).to_have_count(5)
    expect(lab.locator(".microscope__summary")).to_contain_text("it moves down")
    # The natural agent: the page says the change is too small for shares.
    lab.locator("#microscope-agent").select_option("natural")
    lab.get_by_role("button", name="Patch").click()
    expect(lab.locator(".microscope__summary")).to_contain_text("changes it by only")
    # Stop between calls: the run ends stopped, the last results stay.
    page.evaluate(
        "() => { const root = document.querySelector('[data-python=\"maze-microscope-patching\"]');"
        " root.querySelector('.md-button--primary').click();"
        " root.querySelector('.maze-lab__stop').click(); }"
    )
    expect(lab).to_have_attribute("data-state", "stopped", timeout=TIMEOUT)
    expect(lab.locator(".maze-lab__message")).to_contain_text("Stopped")
    expect(lab.locator(".microscope__units-list li")).to_have_count(5)


@pytest.mark.parametrize("name", ["inside", "attribution", "patching"])
def test_each_page_fits_a_phone(page, site_url, name):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, site_url, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.own_tab  # its init script stays with a tab
def test_a_maze_picked_in_play_and_edit_carries_over(page, site_url):
    bad2 = [".#....H", ".##.###", ".#.....", ".#.###.", ".#C#...", ".###.#.", ".....#F"]
    page.add_init_script(f"localStorage.setItem('saferlhub-maze-play', '{json.dumps(bad2)}')")
    lab = open_page(page, site_url, "attribution")
    shown = page.evaluate("window.saferlhubMicroscope.lastAttribution")
    assert shown["args"]["maze"] == bad2
    expect(lab.locator(".maze-lab__facts")).to_contain_text("the maze you last used in Play")


def test_inside_shows_the_training_states_where_a_pressed_unit_is_largest(page, site_url):
    from saferlhub.maze import microscope_pages

    lab = open_page(page, site_url, "inside")
    # Keyboard: focus a unit of the planted agent's hidden.2 and press Enter.
    unit = lab.locator('.saferlhub-heatmap[data-hook="hidden.2"] td[data-unit] >> nth=3')
    unit.focus()
    page.keyboard.press("Enter")
    expect(lab.locator(".microscope__top-summary")).to_contain_text("unit 3")
    expect(lab).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    shown = page.evaluate("window.saferlhubMicroscope.lastTopStates")
    assert shown["args"] == {"agent": "planted", "hook": "hidden.2", "unit": 3}
    expected = cpython(microscope_pages.top_states(cards()["planted"], "hidden.2", 3))
    close(shown["result"], json.loads(json.dumps(expected)))
    assert shown["result"]["pool"] == microscope_pages.POOL_SIZE == 300  # the page's text
    print(f"first unit pressed: {shown['ms']:.0f} ms in Chromium")  # measured, not asserted
    expect(lab.locator(".microscope__thumb")).to_have_count(5)
    expect(lab.locator(".microscope__thumb figcaption >> nth=0")).to_have_text(
        f"#1: {expected['states'][0]['value']:.3f}"
    )
    # A second unit of the same agent: a click, answered from the pool already run.
    lab.locator('.saferlhub-heatmap[data-hook="hidden.0"] td[data-unit] >> nth=0').click()
    expect(lab.locator(".microscope__top-summary")).to_contain_text("hidden.0, unit 0")


def test_activation_patching_runs_on_two_mazes_the_reader_writes(page, site_url):
    from saferlhub.maze import microscope_pages

    lab = open_page(page, site_url, "patching")
    seeded = microscope_pages.protrusion_pair(0)
    # Prefilled with the seeded pair.
    expect(lab.locator("#microscope-own-training")).to_have_value("\n".join(seeded["training"]))
    expect(lab.locator("#microscope-own-twin")).to_have_value("\n".join(seeded["protrusion"]))
    lab.locator("#microscope-groups").fill("2")
    # A maze the parser refuses: its message, and the results stay.
    lab.locator("#microscope-own-training").fill("\n".join(seeded["training"][:6]))
    lab.get_by_role("button", name="Use these mazes").click()
    expect(lab.locator(".maze-lab__message")).to_have_text("The first maze: expected 7 rows, got 6")
    # Another pair, written in: patched as CPython patches it.
    other = microscope_pages.protrusion_pair(1)
    lab.locator("#microscope-own-training").fill("\n".join(other["training"]))
    lab.locator("#microscope-own-twin").fill("\n".join(other["protrusion"]))
    lab.get_by_role("button", name="Use these mazes").click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("your two mazes")
    shown = page.evaluate("window.saferlhubMicroscope.lastPatching")
    mazes = ["\n".join(other["training"]), "\n".join(other["protrusion"])]
    assert shown["args"] == {"agent": "planted", "mazes": mazes, "groups": 2}
    planted = cards()["planted"]
    expected = cpython(microscope_pages.Patching(planted, groups=2, mazes=mazes).steps())
    close(shown["result"], json.loads(json.dumps(expected)))
    assert shown["result"]["pair"] == {**other, "seed": None}
    expect(lab.locator(".microscope__patches tbody tr")).to_have_count(4 * 3)
    # The reader's pair is named as two mazes, not as a training maze and its twin.
    expect(lab.locator("figcaption").first).to_have_text("First maze (target)")
    expect(lab.locator(".microscope__patches caption")).to_contain_text(
        "from the second maze into the first maze"
    )
    expect(lab.locator(".microscope__summary")).not_to_contain_text("twin")
