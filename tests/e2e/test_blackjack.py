"""The Blackjack trainer page: settings, live training, Stop, the gap and the policies."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit, wait_for_python

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); reloads start it anew


@pytest.fixture
def trainer(page, site_url):
    visit(page, site_url + "blackjack/train/")
    root = page.locator('[data-python="blackjack-trainer"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    return root


def points(root, chart="value"):
    return int(root.locator(f'.bj-chart[data-chart="{chart}"]').get_attribute("data-points"))


def test_controls_come_from_the_settings_schema_with_presets(trainer):
    expect(trainer.locator("#bj-preset")).to_have_value("default")
    expect(trainer.locator("#bj-setting-episodes")).to_have_value("100000")
    expect(trainer.locator("#bj-setting-method")).to_have_value("q_learning")
    trainer.locator("#bj-preset").select_option("converge to optimal")
    expect(trainer.locator("#bj-setting-episodes")).to_have_value("2000000")
    expect(trainer.locator("#bj-setting-alpha_schedule")).to_have_value("linear")
    trainer.locator("#bj-preset").select_option("avoid busting (proxy reward)")
    expect(trainer.locator("#bj-setting-reward_loss")).to_have_value("1")
    trainer.locator("#bj-setting-seed").fill("7")
    expect(trainer.locator("#bj-preset")).to_have_value("")


def test_quick_look_trains_live_and_ends_with_gap_and_policies(trainer, page):
    trainer.locator("#bj-preset").select_option("quick look")
    # Record every progress step the page shows, so that "it filled while running" is checked.
    page.evaluate(
        """() => {
            window.bjSeen = [];
            const root = document.querySelector('[data-python="blackjack-trainer"]');
            const box = root.querySelector('.bj-chart[data-chart="value"]');
            new MutationObserver(() => window.bjSeen.push([box.dataset.points, root.dataset.state]))
                .observe(box, { attributes: true });
        }"""
    )
    trainer.locator(".bj-train").click()
    expect(trainer).to_have_attribute("data-state", "done", timeout=60_000)
    seen = page.evaluate("window.bjSeen")
    running = {int(n) for n, state in seen if state == "running"}
    assert len(running - {0}) >= 10, f"the chart did not fill while running: {seen}"
    assert points(trainer) == 50
    assert trainer.locator(".bj-progress").evaluate("bar => bar.value") == 1
    optimal = float(trainer.locator(".bj-optimal").inner_text().replace("−", "-"))
    value = float(trainer.locator(".bj-value").inner_text().replace("−", "-"))
    gap = float(trainer.locator(".bj-gap").inner_text().replace("−", "-"))
    assert gap == pytest.approx(optimal - value, abs=2e-4)
    assert 0 < gap < 0.2
    assert trainer.locator(".bj-policy").count() == 4
    # Every reachable decision: sums 4-21 without a usable ace, 12-21 with one (280).
    assert trainer.locator(".bj-policy td").count() == 2 * 280
    diffs = trainer.locator(".bj-policy td.bj-diff").count()
    expect(trainer.locator(".bj-policies__summary")).to_have_text(
        re.compile(rf"differs from the optimal one in {diffs} of 280 decisions")
    )
    assert diffs > 0  # 10,000 hands are not enough to learn every decision

    # The trained agent's Q-values as heatmaps: V(s) and the advantage of hitting.
    maps = trainer.locator(".bj-valuemaps")
    expect(maps).to_be_visible()
    assert maps.locator("table.bj-values").count() == 4
    assert maps.locator("td").count() == 2 * 280
    cell = maps.locator('table.bj-values[data-kind="value"] td').first
    expect(cell).to_have_attribute("title", re.compile(r"V = .*Q\(stick\) = .*Q\(hit\) = "))
    assert maps.locator(".saferlhub-scale").count() == 2
    # Where the agent hits, hitting has the higher Q-value (both grids come from Python).
    hits = [
        td.get_attribute("class") for td in trainer.locator(".bj-policy").first.locator("td").all()
    ]
    advantages = [
        float(v)
        for v in maps.locator('table.bj-values[data-kind="advantage"]')
        .first.locator("td")
        .evaluate_all("tds => tds.map(td => td.dataset.value)")
    ]
    assert [("bj-hit" in c) for c in hits] == [a > 0 for a in advantages]


def test_replaying_a_hand_steps_through_its_decisions(trainer, page):
    trainer.locator("#bj-preset").select_option("quick look")
    trainer.locator(".bj-train").click()
    expect(trainer).to_have_attribute("data-state", "done", timeout=60_000)
    replay = trainer.locator(".bj-replay")
    replay.locator(".bj-replay__deal").click()
    expect(replay.locator(".bj-replay__step")).to_have_count(1)
    step = replay.locator(".bj-replay__step").first
    expect(step).to_contain_text(re.compile(r"Sum \d+"))
    expect(step.locator(".bj-replay__q")).to_have_text(
        re.compile(r"Q\(stick\) = −?\d\.\d{3}, Q\(hit\) = −?\d\.\d{3}")
    )
    expect(step.locator(".bj-replay__action")).to_have_text(re.compile(r"^(hit|stick)$"))
    assert replay.locator(".bj-replay__hand .bj-card--down").count() == 1
    # Next step is a focused button: the keyboard walks the hand to its end.
    expect(replay.locator(".bj-replay__next")).to_be_focused()
    for _ in range(12):
        if replay.get_attribute("data-stage") == "done":
            break
        page.keyboard.press("Enter")
    expect(replay).to_have_attribute("data-stage", "done")
    expect(replay.locator(".bj-replay__outcome")).to_have_text(
        re.compile(r"The agent (wins|draws|loses|busts).*reward [+−]?\d")
    )
    assert replay.locator(".bj-replay__hand .bj-card--down").count() == 0
    expect(replay.locator(".bj-replay__next")).to_be_hidden()
    expect(replay.locator(".bj-replay__deal")).to_be_focused()
    # Another hand: a new seed, starting again from its first decision.
    page.keyboard.press("Enter")
    expect(replay.locator(".bj-replay__step")).to_have_count(1)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("episodes", "0", "Hands to play must be from 1 to 10,000,000; 0 is out of range."),
        ("alpha", "5", "Learning rate α must be above 0 and at most 1; 5 is out of range."),
        # An empty seed is not silently 0; huge numbers are refused with the range, and
        # only a short prefix of what was typed comes back.
        ("seed", "", "Random seed is empty: enter a number from 0 to 4,294,967,295."),
        (
            "seed",
            "1e30",
            "Random seed must be from 0 to 4,294,967,295; 100000000000… is out of range.",
        ),
        (
            "seed",
            "9" * 309,
            "Random seed must be a number from 0 to 4,294,967,295.",  # the browser cannot read it
        ),
    ],
)
def test_an_out_of_range_value_is_refused_with_a_message(trainer, setting, value, message):
    trainer.locator(f"#bj-setting-{setting}").fill(value)
    trainer.locator(".bj-train").click()
    expect(trainer).to_have_attribute("data-state", "invalid")
    expect(trainer.locator(f"#bj-setting-{setting}-error")).to_have_text(message)
    expect(trainer.locator(f"#bj-setting-{setting}")).to_have_attribute("aria-invalid", "true")
    expect(trainer.locator(f"#bj-setting-{setting}")).to_be_focused()  # the field to fix
    expect(trainer.locator(".bj-status")).to_have_text(f"Not trained: {message}")
    assert points(trainer) == 0
    # Correcting the value clears the message.
    trainer.locator(f"#bj-setting-{setting}").fill(
        {"episodes": "1", "alpha": "0.01", "seed": "3"}[setting]
    )
    expect(trainer.locator(f"#bj-setting-{setting}-error")).to_have_text("")


def test_stop_keeps_the_partial_curve_and_the_last_checkpoint(trainer, page):
    trainer.locator("#bj-preset").select_option("converge to optimal")
    trainer.locator(".bj-train").click()
    page.wait_for_function(
        """() => +document.querySelector('.bj-chart[data-chart="value"]').dataset.points >= 2""",
        timeout=60_000,
    )
    trainer.locator(".bj-stop").click()
    expect(trainer).to_have_attribute("data-state", "stopped")
    kept = points(trainer)
    assert 2 <= kept < 50
    expect(trainer.locator(".bj-status")).to_contain_text("Stopped after")
    expect(trainer.locator(".bj-status")).to_contain_text("of 2,000,000 hands")
    expect(trainer.locator(".bj-headline")).to_have_attribute("data-kind", "stopped")
    assert trainer.locator(".bj-policy").count() == 4
    expect(trainer.locator(".bj-valuemaps")).to_be_hidden()  # no Q-table after Stop
    expect(trainer.locator(".bj-replay")).to_be_hidden()
    expect(trainer.locator(".bj-train")).to_be_enabled()
    # The stopped run's curve stays as the previous run when a new one starts.
    trainer.locator("#bj-preset").select_option("quick look")
    trainer.locator(".bj-train").click()
    expect(trainer).to_have_attribute("data-state", "done", timeout=PYTHON_READY_TIMEOUT_MS)
    assert points(trainer) == 50


def test_an_edited_update_rule_changes_the_result(page, site_url):
    page.goto(site_url + "blackjack/train/")
    wait_for_python(page)
    cell = page.locator('.pycell[data-cell-id="custom-update"]')

    def gap():
        cell.locator(".pycell__run").click()
        expect(cell).to_have_attribute("data-status", "done", timeout=60_000)
        text = cell.locator(".pycell__output").inner_text()
        return float(re.search(r"gap (\d+\.\d+)", text).group(1))

    learned = gap()
    # A rule that never learns: the greedy policy stays at its initial tie-break.
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(
        "from saferlhub.blackjack import train\n"
        "def my_update(q, state, action, reward, *rest):\n"
        "    pass\n"
        "result = train('quick look', update=my_update)\n"
        "print(f\"gap {result['gap']:.4f}\")\n"
    )
    unlearned = gap()
    assert learned < 0.1 < unlearned


# ---- keyboard, focus, text alternatives, memory (issue 8, items 7, 9, 11, 15) -------------


def chart(trainer, name):
    return trainer.locator(f'.bj-chart[data-chart="{name}"] figure.saferlhub-chart')


def test_empty_charts_show_axes_labels_and_say_so(trainer):
    for name in ("reward", "outcomes", "value"):
        figure = chart(trainer, name)
        expect(figure.locator("figcaption")).not_to_be_empty()
        expect(figure.locator(".saferlhub-chart__summary")).to_have_text("No data yet.")
        assert figure.get_attribute("data-x-label") == "hands played"
        assert figure.get_attribute("data-y-label")
        # Axes are drawn before any data: the canvas is not blank.
        drawn = figure.locator("canvas").evaluate(
            """(c) => c.getContext("2d").getImageData(0, 0, c.width, c.height).data
                       .some((v, i) => i % 4 === 3 && v > 0)"""
        )
        assert drawn, f"the empty {name} chart draws nothing"
    # The x axis spans the hands the next run will play.
    assert chart(trainer, "value").get_attribute("data-x-max") == "100000"
    trainer.locator("#bj-preset").select_option("quick look")
    expect(chart(trainer, "value")).to_have_attribute("data-x-max", "10000")


def test_labels_are_written_for_readers(trainer):
    expect(trainer.locator('label[for="bj-setting-episodes"]')).to_have_text("Hands to play")
    # Every label is a phrase, not an identifier such as "Initial q" or "Sab".
    for label in trainer.locator(".bj-field label").all_inner_texts():
        assert "_" not in label and label not in {"Sab", "Initial q"}, label


def test_a_shorter_run_after_a_longer_one_fills_the_chart(trainer, page):
    trainer.locator("#bj-preset").select_option("quick look")
    trainer.locator("#bj-setting-episodes").fill("20000")
    trainer.locator(".bj-train").click()
    expect(trainer).to_have_attribute("data-state", "done", timeout=90_000)
    trainer.locator("#bj-setting-episodes").fill("10000")
    trainer.locator(".bj-train").click()
    expect(trainer).to_have_attribute("data-state", "done", timeout=90_000)
    value = chart(trainer, "value")
    # The axis spans the new run, not the union with the longer previous one.
    expect(value).to_have_attribute("data-x-max", "10000")
    expect(value.locator(".saferlhub-chart__summary")).to_contain_text(
        "the previous run, over the same first 10,000 hands (it played 20,000)"
    )
    value.locator("summary").click()
    rows = value.locator(".saferlhub-chart__numbers tbody tr")
    expect(rows.first).to_be_visible()
    xs = [int(t.replace(",", "")) for t in rows.locator("th").all_inner_texts()]
    assert max(xs) == 10000 and len(xs) >= 50
    headers = value.locator(".saferlhub-chart__numbers thead th").all_inner_texts()
    assert headers[0] == "hands played" and "greedy policy (previous run)" in headers


@pytest.mark.own_tab  # sets a short viewport
def test_focus_stays_on_train_and_heatmap_cells_are_keyboard_reachable(trainer, page):
    trainer.locator("#bj-preset").select_option("quick look")
    episodes = trainer.locator("#bj-setting-episodes")
    episodes.focus()
    outline = episodes.evaluate(
        "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth"
    )
    assert not outline.startswith("none") and not outline.endswith(" 0px"), outline
    train = trainer.locator(".bj-train")
    train.focus()
    page.keyboard.press("Enter")
    expect(trainer).to_have_attribute("data-state", "running")
    expect(train).to_be_focused()  # marked busy, not disabled: focus does not fall to <body>
    expect(trainer).to_have_attribute("data-state", "done", timeout=90_000)
    expect(train).to_be_focused()

    # A heatmap is one Tab stop; arrow keys move; the focused cell's details show.
    grid = trainer.locator('table.bj-values[data-kind="value"]').first
    first = grid.locator("td").first
    assert grid.locator('td[tabindex="0"]').count() == 1
    first.focus()
    detail = trainer.locator(
        '.saferlhub-heatmap[data-kind="value"] .saferlhub-heatmap__detail'
    ).first
    expect(detail).to_have_text(re.compile(r"^21 against A: V = "))
    page.keyboard.press("ArrowRight")
    expect(grid.locator('td[data-row="0"][data-col="1"]')).to_be_focused()
    expect(detail).to_have_text(re.compile(r"^21 against 2: V = .*Q\(stick\) = .*Q\(hit\) = "))
    page.keyboard.press("ArrowDown")
    expect(detail).to_have_text(re.compile(r"^20 against 2: "))
    # A tap (click) shows a cell's details too: nothing is hover-only.
    grid.locator('td[data-row="3"][data-col="9"]').click()
    expect(detail).to_have_text(re.compile(r"^18 against 10: "))
    # Cell text is black or white, whichever contrasts more with the cell (WCAG ratio).
    worst = grid.locator("td:not(.is-muted)").evaluate_all(
        r"""(tds) => Math.min(...tds.map((td) => {
            const rgb = (s) => s.match(/\d+/g).slice(0, 3).map(Number);
            const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
                return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
            const s = getComputedStyle(td);
            const [a, b] = [lum(rgb(s.color)), lum(rgb(s.backgroundColor))].sort((x, y) => y - x);
            return (a + 0.05) / (b + 0.05);
        }))"""
    )
    assert worst >= 4.5

    # A pointer resting over the grid while arrow keys scroll the page does not take
    # the details over: they stay the focused cell's (a scroll fires "mouseover").
    page.set_viewport_size({"width": 1280, "height": 300})
    rest = grid.locator('td[data-row="5"][data-col="3"]')
    rest.scroll_into_view_if_needed()
    box = rest.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    grid.locator("td").first.focus()
    for _ in range(16):
        page.keyboard.press("ArrowDown")
        focused = page.evaluate("document.activeElement.dataset.detail")
        expect(detail).to_have_text(focused)
    # Moving the pointer onto a cell shows that cell's details.
    other = grid.locator('td[data-row="2"][data-col="5"]')
    other.scroll_into_view_if_needed()
    box = other.bounding_box()
    page.mouse.move(box["x"] + 3, box["y"] + 3, steps=3)
    expect(detail).to_have_text(other.get_attribute("data-detail"))


def test_settings_and_the_last_run_survive_a_reload_and_reset_restores_defaults(
    trainer, page, site_url
):
    trainer.locator("#bj-preset").select_option("quick look")
    trainer.locator("#bj-setting-seed").fill("7")
    trainer.locator(".bj-train").click()
    expect(trainer).to_have_attribute("data-state", "done", timeout=90_000)
    gap = trainer.locator(".bj-gap").inner_text()

    page.reload()
    expect(trainer).to_have_attribute("data-state", "done", timeout=PYTHON_READY_TIMEOUT_MS)
    expect(trainer).to_have_attribute("data-restored", "true")
    expect(trainer.locator("#bj-setting-seed")).to_have_value("7")
    expect(trainer.locator("#bj-setting-episodes")).to_have_value("10000")
    expect(trainer.locator("#bj-preset")).to_have_value("")
    expect(trainer.locator(".bj-gap")).to_have_text(gap)
    expect(trainer.locator(".bj-status")).to_contain_text("last finished run")
    assert points(trainer) == 50
    expect(trainer.locator("table.bj-values")).to_have_count(4)
    trainer.locator(".bj-replay__deal").click()  # the kept Q-table still plays
    expect(trainer.locator(".bj-replay__step")).to_have_count(1)

    # Away and back (Material's instant navigation), the run is still there.
    page.locator('a[href$="playground/"]').first.click()
    expect(page.locator(".pycell").first).to_be_visible()
    page.go_back()
    expect(trainer).to_have_attribute("data-state", "done", timeout=PYTHON_READY_TIMEOUT_MS)
    expect(trainer.locator(".bj-gap")).to_have_text(gap)

    trainer.locator(".bj-reset").click()
    expect(trainer.locator("#bj-preset")).to_have_value("default")
    expect(trainer.locator("#bj-setting-seed")).to_have_value("0")
    expect(trainer.locator("#bj-setting-episodes")).to_have_value("100000")
    page.reload()
    expect(trainer.locator("#bj-setting-seed")).to_have_value("0", timeout=PYTHON_READY_TIMEOUT_MS)
    expect(trainer.locator("#bj-preset")).to_have_value("default")
