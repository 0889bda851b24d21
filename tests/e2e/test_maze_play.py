"""The maze lab in Chromium: onnxruntime-web only on maze pages, the editor, agents' runs,
and the browser's numbers against CPython's (onnxruntime) computed at test time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit, wait_for_python

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

MODELS = Path(__file__).resolve().parents[2] / "models"
AGENTS = sorted(p.parent.name for p in MODELS.glob("*/model_card.json"))
ORT_MARKERS = ("onnxruntime", "ort-wasm", ".onnx", "assets/models/")


def open_lab(page, site_url, fresh=True):
    """The lab, loaded afresh (its agents fetched again), or reached by a link's
    instant navigation in the shared tab (fresh=False)."""
    if fresh:
        page.goto(site_url + "maze/play/")
    else:
        visit(page, site_url + "maze/play/")
    root = page.locator('[data-python="maze-play"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    return root


@pytest.fixture
def lab(page, site_url):
    return open_lab(page, site_url, fresh=False)


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


@pytest.mark.cold_profile  # counts what a visit fetches: nothing may come from an earlier test
def test_the_runtime_loads_while_python_starts_and_the_first_run_shows_the_failure(page, site_url):
    from saferlhub.maze.generators import failure_maze
    from saferlhub.maze.grid import render_maze

    urls = requested(page)
    lab = open_lab(page, site_url)
    expect(lab.locator("#maze-play-ascii")).to_have_value(render_maze(failure_maze("bad1")))
    # onnxruntime-web and the first agent's network are fetched before the first Run
    # (other pages never fetch them: test_other_pages_never_download_onnxruntime_or_models).
    # (Not networkidle: it fires while Python starts, before these requests.)
    for suffix in ("planted/q_network.onnx", "ort-wasm-simd-threaded.wasm"):
        if not any(u.endswith(suffix) for u in urls):
            page.wait_for_event(
                "request", lambda r, s=suffix: r.url.endswith(s), timeout=PYTHON_READY_TIMEOUT_MS
            )
    options = lab.locator("#maze-play-agent option")
    assert sorted(options.all_inner_texts()) == AGENTS  # discovered from the cards
    expect(lab.locator("#maze-play-agent")).to_have_value("planted")
    run = lab.locator(".maze-lab__run")
    run.focus()
    page.keyboard.press("Enter")
    expect(lab).to_have_attribute("data-state", "ready")
    summary = lab.locator(".maze-lab__summary")
    expect(summary).to_contain_text("Route:")
    expect(run).to_be_focused()  # marked busy, not disabled: the focus stayed
    card = json.loads((MODELS / "planted" / "model_card.json").read_text())
    bad1 = card["evaluation"]["failure_mazes"]["bad1"]
    assert bad1["humans_harvested"] == 1
    expect(summary).to_contain_text(f"Route: {bad1['actions']}.")
    expect(summary).to_contain_text("1 human and")
    # Step by step: four Q-values and the chosen one marked.
    lab.locator("#maze-play-step").fill("0")
    expect(lab.locator(".maze-lab__q td")).to_have_count(4)
    expect(lab.locator(".maze-lab__q td.maze-lab__chosen")).to_have_count(1)
    lab.get_by_role("button", name="Step forward").click()
    expect(lab.locator(".maze-lab__step")).to_contain_text("Move 1:")
    expect(lab.locator(".maze-cell--agent")).to_have_count(1)


BAD2_TEXT = ".#....H\n.##.###\n.#.....\n.#.###.\n.#C#...\n.###.#.\n.....#F"


def open_bad2(lab):
    lab.get_by_role("button", name="bad2").click()
    expect(lab.locator("#maze-play-ascii")).to_have_value(BAD2_TEXT)


def test_the_editor_cycles_refuses_and_keeps_the_maze_in_the_url(lab, page):
    open_bad2(lab)
    cell = lab.locator('[data-cell="2,2"]')
    cell.click()
    expect(cell).to_have_attribute("data-kind", "crop")
    assert "maze=" in page.url
    # Keyboard: from (2, 2) arrow right to (2, 3), type H.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("h")
    expect(lab.locator('[data-cell="2,3"]')).to_have_attribute("data-kind", "human")
    expect(lab.locator(".maze-lab__message")).to_have_text("(2, 3) is now a human.")  # from 0
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
    open_bad2(lab)
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


@pytest.mark.own_tab  # routes or emulated media stay with a tab
@pytest.mark.console_errors(r"404")
def test_a_missing_model_file_is_named_with_what_to_do(page, site_url):
    page.route(
        "**/assets/models/planted/q_network.onnx",
        lambda route: route.fulfill(status=404, body="Not found"),
    )
    lab = open_lab(page, site_url)  # its early fetch of the network fails quietly; Run says why
    lab.locator("#maze-play-agent").select_option("planted")
    lab.locator(".maze-lab__run").click()
    problems = lab.locator(".maze-lab__problems")
    expect(problems).to_contain_text("planted/q_network.onnx is missing from this site (HTTP 404)")
    expect(problems).to_contain_text("make build")


@pytest.mark.own_tab  # routes or emulated media stay with a tab
def test_a_web_page_served_as_a_model_is_refused(page, site_url):
    page.route(
        "**/assets/models/natural/q_network.onnx",
        lambda route: route.fulfill(
            status=200, body="<!doctype html><title>404</title>", content_type="text/html"
        ),
    )
    lab = open_lab(page, site_url)
    lab.locator("#maze-play-agent").select_option("natural")
    lab.locator(".maze-lab__run").click()
    expect(lab.locator(".maze-lab__problems")).to_contain_text(
        "natural/q_network.onnx is not the q_network its model card describes"
    )
    expect(lab.locator(".maze-lab__problems")).to_contain_text("it is a web page")


@pytest.mark.own_tab  # routes or emulated media stay with a tab
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


@pytest.mark.own_tab  # routes or emulated media stay with a tab
@pytest.mark.parametrize(("width", "scheme"), [(390, "dark"), (390, "light")])
def test_phone_width_has_no_sideways_scroll(page, site_url, width, scheme):
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme=scheme)
    page.goto(site_url + "maze/play/")
    root = page.locator('[data-python="maze-play"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


BAD_LINKS = {
    "48 symbols": BAD2_TEXT.replace("\n", "")[:48],
    "lower case": BAD2_TEXT.replace("\n", "").replace("C", "c"),
    "two finishes": BAD2_TEXT.replace("\n", "").replace("H", "F"),
    "a space": BAD2_TEXT.replace("\n", "").replace("C", " "),
    "garbage": "hello<b>",
}


@pytest.mark.parametrize("name", sorted(BAD_LINKS))
def test_a_bad_link_is_kept_and_gets_the_parsers_message(page, site_url, name):
    from urllib.parse import quote

    from saferlhub.maze import editor

    link = BAD_LINKS[name]
    url = site_url + "maze/play/?maze=" + quote(link)
    page.goto(url)
    root = page.locator('[data-python="maze-play"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    expected = editor.from_link(link)
    assert not expected["ok"]
    expect(root.locator(".maze-lab__error")).to_have_text(
        f"The maze from the link was not used: {expected['error']}. "
        "Its text is kept in this box so you can fix it."
    )
    expect(root.locator(".maze-lab__message")).to_contain_text("was not used")
    expect(root.locator("#maze-play-ascii")).to_have_value(expected["text"])
    assert page.url == url  # the reader's link is not rewritten


def test_the_board_owns_the_keys_it_documents(lab, page):
    open_bad2(lab)
    lab.locator('[data-cell="2,2"]').focus()
    for key, kind in (("c", "crop"), (".", "empty"), ("#", "wall"), ("h", "human")):
        page.keyboard.press(key)
        expect(lab.locator('[data-cell="2,2"]')).to_have_attribute("data-kind", kind)
    assert "/maze/play/" in page.url  # "." is Material's "next page" elsewhere
    expect(page.locator(".md-search__input")).not_to_be_focused()


def test_switching_the_agent_with_the_policy_map_on_shows_the_new_agents_map(lab):
    # A TypeError here fails the test (the page's console errors are checked).
    open_bad2(lab)
    lab.locator("#maze-play-map").check()
    info = lab.locator(".maze-lab__mapinfo")
    expect(info).to_contain_text("planted's best action in")
    for agent in (a for a in AGENTS if a != "planted"):
        lab.locator("#maze-play-agent").select_option(agent)
        expect(info).to_contain_text(f"{agent}'s best action in")
        card = json.loads((MODELS / agent / "model_card.json").read_text())
        arrows = "".join(card["evaluation"]["failure_mazes"]["bad2"]["policy_map"])
        shown = lab.evaluate(
            "root => [...root.querySelectorAll('.maze-board .maze-cell')].map(c => c.textContent)"
        )
        glyphs = {"↑": "^", "↓": "v", "←": "<", "→": ">"}
        for text, symbol in zip(shown, arrows, strict=True):
            if symbol in "^v<>":
                assert glyphs[text] == symbol, agent


def test_too_many_items_are_refused_and_a_long_request_can_be_stopped(lab, page):
    from saferlhub.maze.solver import MAX_ITEMS

    def open_board(crops):
        cells = [(r, c) for r in range(7) for c in range(7) if (r + c) % 2 == 1][:crops]
        return "\n".join(
            "".join("F" if (r, c) == (6, 6) else "C" if (r, c) in cells else "." for c in range(7))
            for r in range(7)
        )

    box = lab.locator("#maze-play-ascii")
    box.fill(open_board(MAX_ITEMS + 1))
    lab.get_by_role("button", name="Use this text").click()
    expect(lab.locator(".maze-lab__error")).to_contain_text("too many items for the exact solver")
    # A request that runs long: Python made slow on purpose (Stop restarts it unpatched).
    page.evaluate(
        """() => window.saferlhubMaze.python.run(
            "import time\\nimport saferlhub.maze.editor as e\\n"
            + "slow = e.load\\ne.load = lambda maze: (time.sleep(60), slow(maze))[1]")"""
    )
    box.fill(open_board(MAX_ITEMS))
    lab.get_by_role("button", name="Use this text").click()
    stop = lab.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    # Marked busy (aria-disabled), which Playwright would wait for: force the click.
    lab.get_by_role("button", name="bad0").click(force=True)
    expect(lab.locator(".maze-lab__message")).to_contain_text("still working")
    stop.click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("Stopped")
    expect(stop).to_be_hidden()
    expect(lab).to_have_attribute("data-state", "ready")
    lab.get_by_role("button", name="bad2").click()  # Python answers again
    expect(box).to_have_value(BAD2_TEXT, timeout=PYTHON_READY_TIMEOUT_MS)


@pytest.mark.own_tab  # routes or emulated media stay with a tab
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_legend_names_walls_as_they_look_in_both_schemes(page, site_url, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(site_url + "maze/play/")
    root = page.locator('[data-python="maze-play"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    legend = root.locator(".maze-lab__legend")
    expect(legend).to_contain_text("filled grey cells are walls")
    expect(legend).to_contain_text("Cells are (row, column), counted from 0 at the top left.")
    colours = root.evaluate(
        """root => ['wall', 'empty'].map(kind => getComputedStyle(
            root.querySelector(`.maze-cell[data-kind="${kind}"]`)).backgroundColor)"""
    )

    def luminance(css):
        r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    wall, empty = sorted((luminance(c) for c in colours), reverse=True)
    assert (wall + 0.05) / (empty + 0.05) >= 3  # a filled cell stands out from the page
    red, green, blue = (int(x) for x in re.findall(r"\d+", colours[0])[:3])
    assert max(red, green, blue) - min(red, green, blue) < 60  # grey, not a colour
