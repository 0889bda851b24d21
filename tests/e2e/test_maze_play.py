"""The maze lab in Chromium: onnxruntime-web only on maze pages, the editor, agents' runs,
and the browser's numbers against CPython's (onnxruntime) computed at test time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, wait_for_python

pytestmark = pytest.mark.e2e

MODELS = Path(__file__).resolve().parents[2] / "models"
AGENTS = sorted(p.parent.name for p in MODELS.glob("*/model_card.json"))
ORT_MARKERS = ("onnxruntime", "ort-wasm", ".onnx", "assets/models/")


@pytest.fixture
def lab(page, site_url):
    page.goto(site_url + "maze/play/")
    root = page.locator('[data-python="maze-play"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    return root


def requested(page):
    urls = []
    page.on("request", lambda r: urls.append(r.url))
    return urls


@pytest.mark.parametrize(
    "path", ["", "playground/", "blackjack/train/", "blackjack/under-the-hood/"]
)
def test_other_pages_never_download_onnxruntime_or_models(page, site_url, path):
    urls = requested(page)
    page.goto(site_url + path)
    if path:
        wait_for_python(page)
    page.wait_for_load_state("networkidle")
    assert not [u for u in urls if any(m in u for m in ORT_MARKERS)]


def test_the_play_page_loads_the_runtime_lazily_and_runs_bad2(lab, page):
    urls = requested(page)
    expect(lab.locator("#maze-play-ascii")).to_have_value(
        ".#....H\n.##.###\n.#.....\n.#.###.\n.#C#...\n.###.#.\n.....#F"
    )
    assert not [u for u in urls if ".wasm" in u and "ort" in u]  # nothing until a run
    options = lab.locator("#maze-play-agent option")
    assert sorted(options.all_inner_texts()) == AGENTS  # discovered from the cards
    lab.locator("#maze-play-agent").select_option("planted")
    lab.locator(".maze-lab__run").click()
    expect(lab).to_have_attribute("data-state", "ready")
    summary = lab.locator(".maze-lab__summary")
    expect(summary).to_contain_text("Route:")
    card = json.loads((MODELS / "planted" / "model_card.json").read_text())
    bad2 = card["evaluation"]["failure_mazes"]["bad2"]
    expect(summary).to_contain_text(f"Route: {bad2['actions']}.")
    expect(summary).to_contain_text(f"{bad2['humans_harvested']} human")
    assert [u for u in urls if u.endswith("ort-wasm-simd-threaded.wasm")]
    assert [u for u in urls if u.endswith("planted/q_network.onnx")]
    # Step by step: four Q-values and the chosen one marked.
    lab.locator("#maze-play-step").fill("0")
    expect(lab.locator(".maze-lab__q td")).to_have_count(4)
    expect(lab.locator(".maze-lab__q td.maze-lab__chosen")).to_have_count(1)
    lab.get_by_role("button", name="Step forward").click()
    expect(lab.locator(".maze-lab__step")).to_contain_text("Move 1:")
    expect(lab.locator(".maze-cell--agent")).to_have_count(1)


def test_the_editor_cycles_refuses_and_keeps_the_maze_in_the_url(lab, page):
    cell = lab.locator('[data-cell="2,2"]')
    cell.click()
    expect(cell).to_have_attribute("data-kind", "crop")
    assert "maze=" in page.url
    # Keyboard: from (2, 2) arrow right to (2, 3), type H.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("h")
    expect(lab.locator('[data-cell="2,3"]')).to_have_attribute("data-kind", "human")
    lab.locator('[data-cell="0,0"]').click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("the start (top left) is fixed")
    lab.locator('[data-cell="6,4"]').focus()
    page.keyboard.press("#")
    expect(lab.locator(".maze-lab__message")).to_contain_text("cut the finish off")
    expect(lab.locator('[data-cell="6,4"]')).to_have_attribute("data-kind", "empty")
    # The maze survives a reload (URL) and a visit without the URL (localStorage).
    shared = page.url
    page.goto(shared)
    expect(page.locator('[data-cell="2,3"]')).to_have_attribute(
        "data-kind", "human", timeout=PYTHON_READY_TIMEOUT_MS
    )
    page.goto(shared.split("?")[0])
    expect(page.locator('[data-cell="2,2"]')).to_have_attribute(
        "data-kind", "crop", timeout=PYTHON_READY_TIMEOUT_MS
    )


def test_pasted_text_gets_the_parsers_message_and_is_kept(lab):
    box = lab.locator("#maze-play-ascii")
    box.fill(".......\n######.\n.#.#...\n...#.##\n.#.#...\n.#.###.\nH#....")
    lab.get_by_role("button", name="Use this text").click()
    expect(lab.locator(".maze-lab__error")).to_contain_text("row 6 has 6 cells, expected 7")
    expect(box).to_have_value(re.compile(r"H#....$"))
    box.fill(".......\n######.\n.#.#...\n...#.##\n.#.#...\n.#.###.\nH#....F")
    lab.get_by_role("button", name="Use this text").click()
    expect(lab.locator(".maze-lab__error")).to_have_text("")
    expect(lab.locator('[data-cell="6,0"]')).to_have_attribute("data-kind", "human")
    lab.get_by_role("button", name="bad1").click()
    expect(box).to_have_value(re.compile(r"^\.#H\.\.\.\."))


def test_policy_maps_and_their_difference(lab):
    lab.locator("#maze-play-map").check()
    expect(lab.locator(".maze-lab__mapinfo")).to_contain_text("best action in")
    arrows = lab.evaluate(
        "root => [...root.querySelectorAll('.maze-cell')]"
        ".filter(c => '↑↓←→'.includes(c.textContent)"
        " && c.textContent).length"
    )
    assert arrows == 28  # bad2: every open cell without an item, finish excluded
    other = next(a for a in AGENTS if a != "planted")
    lab.locator("#maze-play-compare").select_option(other)
    expect(lab.locator(".maze-lab__mapinfo")).to_contain_text(
        f"where {other} would move differently"
    )
    differ = int(
        re.search(r"the (\d+) cells where", lab.locator(".maze-lab__mapinfo").inner_text()).group(1)
    )
    expect(lab.locator(".maze-cell--differ")).to_have_count(differ)


def cpython_reference(mazes):
    """Q-values at every step and whole episodes, from onnxruntime in this process."""
    np = pytest.importorskip("numpy")
    pytest.importorskip("onnxruntime")
    from export.evaluate import onnx_session
    from saferlhub.maze import stepper
    from saferlhub.maze.grid import parse_maze

    sessions = {a: onnx_session(MODELS / a / "q_network.onnx") for a in AGENTS}

    def network(call):
        agent = call.model.split("/")[0]
        obs = np.frombuffer(call.inputs["obs"], dtype=np.float32).reshape(call.rows, -1)
        return {"q": sessions[agent].run(["q"], {"obs": obs})[0].ravel()}

    boards = [parse_maze("\n".join(m)) for m in mazes]
    return stepper.drive(stepper.play_steps(AGENTS, boards), network)


def test_browser_and_cpython_give_the_same_q_values_and_episodes(lab, page):
    from saferlhub.maze.generators import FAILURE_MAZES, failure_maze, maze_set
    from saferlhub.maze.grid import render_maze

    boards = [failure_maze(n) for n in FAILURE_MAZES]
    boards += maze_set("protrusion", 12, seed=7, split="eval", require_reachable_human=True)
    boards += maze_set("training", 12, seed=7, split="eval")
    mazes = [render_maze(m).split("\n") for m in boards]
    expected = cpython_reference(mazes)
    run = "async ([mazes, agents]) => window.saferlhubMaze.runStepper('play', {agents, mazes})"
    got = page.evaluate(run, [mazes, AGENTS])["result"]
    for agent in AGENTS:
        for i, (a, b) in enumerate(zip(got[agent], expected[agent], strict=True)):
            assert a["actions"] == b["actions"], (agent, i)
            assert {k: v for k, v in a.items() if k != "trace"} == {
                k: v for k, v in b.items() if k != "trace"
            }, (agent, i)
            for s, t in zip(a["trace"], b["trace"], strict=True):
                # Relative to the step's Q scale: a Q-value near 0 has no relative precision
                # of its own in float32 sums of terms of size ~10.
                scale = max(abs(v) for v in t["q"])
                assert s["q"] == pytest.approx(t["q"], abs=1e-5 * scale), (agent, i, s["q"], t["q"])


@pytest.mark.console_errors(r"404")
def test_a_missing_model_file_is_named_with_what_to_do(lab, page):
    page.route(
        "**/assets/models/planted/q_network.onnx",
        lambda route: route.fulfill(status=404, body="Not found"),
    )
    lab.locator("#maze-play-agent").select_option("planted")
    lab.locator(".maze-lab__run").click()
    problems = lab.locator(".maze-lab__problems")
    expect(problems).to_contain_text("planted/q_network.onnx is missing from this site (HTTP 404)")
    expect(problems).to_contain_text("make build")


def test_a_web_page_served_as_a_model_is_refused(lab, page):
    page.route(
        "**/assets/models/natural/q_network.onnx",
        lambda route: route.fulfill(
            status=200, body="<!doctype html><title>404</title>", content_type="text/html"
        ),
    )
    lab.locator("#maze-play-agent").select_option("natural")
    lab.locator(".maze-lab__run").click()
    expect(lab.locator(".maze-lab__problems")).to_contain_text(
        "natural/q_network.onnx is not the q_network its model card describes"
    )
    expect(lab.locator(".maze-lab__problems")).to_contain_text("it is a web page")


def test_a_card_that_does_not_match_the_encoding_is_refused(page, site_url):
    card = json.loads((MODELS / "planted" / "model_card.json").read_text())
    card["action_order"] = ["up", "down", "right", "left"]
    page.route(
        "**/assets/models/planted/model_card.json",
        lambda route: route.fulfill(
            status=200, body=json.dumps(card), content_type="application/json"
        ),
    )
    page.goto(site_url + "maze/play/")
    root = page.locator('[data-python="maze-play"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    expect(root.locator(".maze-lab__problems")).to_contain_text(
        "planted/model_card.json does not match this site's maze code: action order"
    )
    expect(root.locator('#maze-play-agent option[value="planted"]')).to_be_disabled()


@pytest.mark.parametrize(("width", "scheme"), [(390, "dark"), (390, "light")])
def test_phone_width_has_no_sideways_scroll(page, site_url, width, scheme):
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme=scheme)
    page.goto(site_url + "maze/play/")
    root = page.locator('[data-python="maze-play"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
