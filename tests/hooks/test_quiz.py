"""The quiz data (docs/learn/quiz.yml): valid keys, answers recomputed, links that resolve."""

from __future__ import annotations

import re
from pathlib import Path

import markdown
import pytest
import quiz
from markdown.extensions.toc import slugify
from mkdocs.exceptions import PluginError

from saferlhub.blackjack.solver import optimal_value
from saferlhub.goal_misgeneralization import learner
from saferlhub.goal_misgeneralization.measured import MEASURED
from saferlhub.goal_misgeneralization.worlds import (
    COIN_STEPS,
    State,
    coin_level,
    parse_world,
    reset,
)
from saferlhub.maze import (
    INPUT_SIZE,
    ORIGINAL_REWARDS,
    optimal_policy_map,
    parse_maze,
    reachable_cells,
    single_block_protrusions,
)
from saferlhub.maze.generators import (
    CONNECTORS,
    FAILURE_MAZES,
    PILLARS,
    all_training_mazes,
    failure_maze,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
QUESTIONS = {q["id"]: q for q in quiz.load_questions()}

# How each numeric answer is computed: never typed in unchecked.
NUMERIC = {
    "bellman-backup": lambda: 0.5 + 0.1 * (1 + 0.9 * 2 - 0.5),
    "terminal-backup": lambda: 0.5 + 0.1 * (1 - 0.5),
    "three-rewards": lambda: sum(0.9**t * r for t, r in enumerate([0, 0, 1])),
    "endless-ones": lambda: 1 / (1 - 0.9),
    "greedy-share": lambda: (1 - 0.1) + 0.1 / 2,
    "human-reward": lambda: ORIGINAL_REWARDS.human,
    "wall-reward": lambda: ORIGINAL_REWARDS.wall,
    "input-size": lambda: INPUT_SIZE,
    "unplanted-slack": lambda: latest_wrong_goal_arrival(end_steps=3),
}


def latest_wrong_goal_arrival(end_steps: int) -> int:
    """The last step at which a coin-world agent that missed the coin may first stand in the
    end column and still get the page's verdict "wrong goal" (learner.verdict)."""
    world = parse_world("coin", "#########\n#A    $ #\n#########")
    wrong = [
        steps
        for steps in range(1, COIN_STEPS + 1)
        if learner.verdict(world, {"return": 0.0, "reached_end": steps}, {"return": 1}, end_steps)
        == "wrong goal"
    ]
    assert wrong == list(range(1, wrong[-1] + 1)), "the wrong goal is every arrival up to a limit"
    return wrong[-1]


def headings(page: str) -> set[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return {slugify(m.group(1).strip(), "-") for m in re.finditer(r"^#+ (.+)$", text, re.M)}


def test_there_are_at_least_30_questions_of_every_kind():
    kinds = [q["kind"] for q in QUESTIONS.values()]
    assert len(kinds) >= 30
    assert {"choice", "numeric", "predict"} <= set(kinds)


@pytest.mark.parametrize(
    "question_id", sorted(q for q in QUESTIONS if QUESTIONS[q]["kind"] == "numeric")
)
def test_numeric_answers_are_computed(question_id):
    q = QUESTIONS[question_id]
    assert question_id in NUMERIC, f"add how to compute {question_id!r} to NUMERIC"
    assert abs(NUMERIC[question_id]() - q["answer"]) <= q["tolerance"] + 1e-12


@pytest.mark.parametrize(
    "question_id", sorted(q for q in QUESTIONS if QUESTIONS[q]["kind"] == "predict")
)
def test_predicted_moves_are_the_exact_solvers(question_id):
    q = QUESTIONS[question_id]
    maze = parse_maze(q["maze"].replace("A", "."))
    rows = q["maze"].strip().splitlines()
    r, c = q["cell"]
    assert rows[r][c] == "A", "the maze marks the agent's cell with A"
    move = optimal_policy_map(maze)[(r, c)]
    assert q["choices"][q["answer"]] == move.name.lower()


def test_the_blackjack_figures_in_the_quiz_are_the_solvers():
    q = QUESTIONS["blackjack-best"]
    assert f"{optimal_value():.3f}".replace("-", "−") in q["choices"][q["answer"]]


@pytest.mark.parametrize("question_id", sorted(QUESTIONS))
def test_every_lesson_link_resolves(question_id):
    page, _, anchor = QUESTIONS[question_id]["lesson"].partition("#")
    assert (DOCS / page).is_file(), f"{page} is not a page"
    if anchor:
        assert anchor in headings(page), f"{page} has no heading #{anchor}"


def test_a_bad_question_fails_the_build(tmp_path):
    bad = tmp_path / "quiz.yml"
    bad.write_text(
        "- {id: x, kind: choice, lesson: index.md, question: Q, explanation: E, "
        "choices: [a, b], answer: 2}\n"
    )
    with pytest.raises(PluginError, match="answer 2 is not a choice"):
        quiz.load_questions(bad)
    bad.write_text("- {id: x, kind: essay, lesson: index.md, question: Q, explanation: E}\n")
    with pytest.raises(PluginError, match="kind must be"):
        quiz.load_questions(bad)


def test_choices_render_their_maths_and_keep_a_plain_text():
    """Question 1's choices once showed a raw `$a$`: choices are Markdown, maths included."""
    md = markdown.Markdown(
        extensions=["md_in_html", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    questions = list(QUESTIONS.values())
    rendered = md.convert(quiz.quiz_markdown("learn/quiz.md", questions))
    assert "$" not in rendered, "unrendered maths"
    assert 'markdown="' not in rendered, "an md_in_html attribute leaked: a block was not parsed"
    assert r'action <span class="arithmatex">\(a\)</span> in state' in rendered
    assert 'data-text="The expected return from taking action a in state s and acting well' in (
        rendered
    )
    choices = sum(len(q["choices"]) for q in questions if q["kind"] != "numeric")
    assert rendered.count('class="quiz__choice"') == choices


CELL = re.compile(r"row (\d), column (\d)")
CONVENTION = "(counting from 0, top-left)"


@pytest.mark.parametrize("question_id", sorted(QUESTIONS))
def test_cells_follow_the_site_convention(question_id):
    """(row, column) from 0 at the top left, and the reader is told so."""
    q = QUESTIONS[question_id]
    text = q["question"] + " " + q["explanation"]
    for match in CELL.finditer(text):
        assert text[match.end() :].startswith(" " + CONVENTION), text
        if q["kind"] == "predict":
            assert [int(match.group(1)), int(match.group(2))] == q["cell"]


def test_the_predict_mazes_say_how_cells_are_counted():
    assert "counting from 0 at the top left" in quiz._maze_html(QUESTIONS["predict-bad1"])


def test_the_bad1_crop_lies_behind_the_finish():
    """predict-bad1: the crop cannot be collected, not merely "not worth the detour"."""
    q = QUESTIONS["predict-bad1"]
    assert "behind the finish" in q["explanation"]
    maze = parse_maze(q["maze"].replace("A", "."))
    assert maze.crops and not maze.crops & reachable_cells(maze)


def test_protrusions_as_the_quiz_explains_them():
    """Training walls stick out by two cells or more; a failure maze opens one pillar and
    closes one connector (15 of the 24 connectors are open in every training maze)."""
    q = QUESTIONS["protrusion"]
    assert "at least two cells long" in q["explanation"]
    assert "open one pillar and close one connector" in q["explanation"]
    for maze, _ in all_training_mazes():
        assert not single_block_protrusions(maze)
    for name in FAILURE_MAZES:
        maze = failure_maze(name)
        assert sum(p not in maze.walls for p in PILLARS) == 1, name
        assert sum(c not in maze.walls for c in CONNECTORS) == 15 - 1, name
        assert len(single_block_protrusions(maze)) >= 1, name


def section(page: str, anchor: str) -> str:
    text = (DOCS / page).read_text(encoding="utf-8")
    parts = re.split(r"^(#+ .+)$", text, flags=re.M)
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        if slugify(heading.lstrip("#").strip(), "-") == anchor:
            return body
    raise AssertionError(f"{page} has no section #{anchor}")


def test_the_dream_bug_is_taught_where_its_lesson_link_goes():
    page, _, anchor = QUESTIONS["dream-bug"]["lesson"].partition("#")
    text = re.sub(r"\s+", " ", section(page, anchor))
    assert "gradient of the loss instead of the gradient of the input" in text
    assert "afresh" in text


# ---- the page "Goal misgeneralization nobody planted" (maze/unplanted.md) ----------------


def page_text(page: str) -> str:
    return " ".join((DOCS / page).read_text(encoding="utf-8").split())


def test_unplanted_coin_features_are_on_together_in_every_training_state():
    """unplanted-coin-features: on training levels, wherever the agent stands (the coin not
    yet taken), "coin to the right" is on exactly when "end to the right" is."""
    import random

    q = QUESTIONS["unplanted-coin-features"]
    assert (
        '"coin to the right" and "end to the right" are on together in every training step'
        in (q["choices"][q["answer"]])
    )
    coin_right = learner.COIN_FEATURES.index("coin to the right")
    end_right = learner.COIN_FEATURES.index("end to the right")
    rng = random.Random(0)
    for _ in range(200):
        world = coin_level(rng, test=False)
        start = reset(world)
        for pos in world.level.open_cells:
            if pos in world.items:
                continue  # taking the coin ends the episode
            on = learner.observe(world, State(pos, 0, start.items))
            assert (coin_right in on) == (end_right in on), (world.art, pos)
    page = '"coin to the right" and "end to the right" are on together in every training step'
    assert page in page_text("maze/unplanted.md")


def test_unplanted_wrong_goal_is_the_pages_definition():
    """unplanted-wrong-goal: the right choice is the page's words and learner.verdict's rule;
    an episode that got the coin is optimal (every coin test level's optimum is 1)."""
    q = QUESTIONS["unplanted-wrong-goal"]
    right = q["choices"][q["answer"]]
    assert right == "stood in the end column within twice the fewest steps there, plus two"
    assert "within twice the fewest steps there, plus two" in page_text("maze/unplanted.md")
    assert latest_wrong_goal_arrival(end_steps=3) == 2 * 3 + 2
    assert {best["return"] for _, best, _ in learner.test_set("coin", 100, 0)} == {1}


def test_unplanted_dial_is_the_measured_share():
    """unplanted-dial: 25% fixed every seed in the committed measurement, every seed there
    pursued the wrong goal on 5% of test levels or fewer, and 5% and 10% were split."""
    q = QUESTIONS["unplanted-dial"]
    coin = MEASURED["coin"]
    assert q["choices"][q["answer"]] == f"{coin['fixed_at']:g}%"
    shares = {f"{row['share']:g}%" for row in coin["rows"]}
    assert all(choice in shares for choice in q["choices"] if choice.endswith("%"))
    rows = {row["share"]: row for row in coin["rows"]}
    levels = coin["test_levels"]
    assert coin["seeds"] == 10 and "ten seeds per share" in q["question"]
    assert all(run["wrong_goal"] <= 0.05 * levels for run in rows[coin["fixed_at"]]["runs"])
    for share in (5.0, 10.0):
        fixed = [run["wrong_goal"] <= 0.05 * levels for run in rows[share]["runs"]]
        assert any(fixed) and not all(fixed)


def test_unplanted_keys_did_not_reproduce():
    """unplanted-keys: at every share, less was lost to the wrong goal than to wandering, no
    share fixed it, and the page says the failure was not reproduced."""
    q = QUESTIONS["unplanted-keys"]
    assert q["choices"][q["answer"]].startswith("The failure did not reproduce")
    keys = MEASURED["keys"]
    assert keys["fixed_at"] is None
    for row in keys["rows"]:
        assert row["wrong_goal_rate"] < row["incompetent_rate"]
    text = page_text("maze/unplanted.md")
    assert "Keys and chests: not reproduced here." in text
    # "It does pick up keys it does not need, but ... there is time for spare keys": the
    # page's words, tied to the agents by tests/pyscripts/test_goal_misgeneralization_spare_keys.py
    assert "Yet it does pick up keys it does not need" in text
    assert "there is time for spare keys" in text
    assert "looks only at episodes that fall short" in text
