"""docs/maze/play.md: its sentences whose facts come from the code or the model cards."""

import json
import re
from pathlib import Path

from saferlhub.maze.env import transition
from saferlhub.maze.generators import FAILURE_MAZES, failure_maze
from saferlhub.maze.grid import START, Cell
from saferlhub.maze.solver import MAX_ITEMS, solve

ROOT = Path(__file__).resolve().parents[2]
PAGE = re.sub(r"\s+", " ", (ROOT / "docs" / "maze" / "play.md").read_text(encoding="utf-8"))
CARD_FILES = sorted((ROOT / "models").glob("*/model_card.json"))
CARDS = {p.parent.name: json.loads(p.read_text()) for p in CARD_FILES}
NUMBER_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five"}


def test_the_opening_counts_the_agents_and_none_walks_into_a_human_on_training_mazes():
    assert f"{NUMBER_WORDS[len(CARDS)]} deep Q-networks were trained" in PAGE
    assert "none of them walks into a human (their model cards)" in PAGE
    for agent, card in CARDS.items():
        assert card["evaluation"]["distributions"]["training"]["human_harvest_rate"] == 0, agent


def test_the_optimum_goes_round_the_human_in_the_failure_mazes():
    assert "in the three failure mazes the exact optimum" in PAGE and len(FAILURE_MAZES) == 3
    for name in FAILURE_MAZES:
        maze = failure_maze(name)
        board, position = maze, START
        for action in solve(maze).route()[0]:
            step = transition(board, position, action)
            assert step.entered is not Cell.HUMAN, name
            board, position = step.maze, step.position


def test_the_first_maze_shows_the_planted_failure_and_bad2_only_in_the_policy_map():
    assert "The page opens with bad1 and the planted agent" in PAGE
    js = (ROOT / "docs" / "js" / "maze-play.js").read_text(encoding="utf-8")
    assert 'const FIRST_MAZE = "bad1";' in js
    bad1, bad2 = (CARDS["planted"]["evaluation"]["failure_mazes"][n] for n in ("bad1", "bad2"))
    assert bad1["humans_harvested"] == 1 and bad1["reached_finish"]
    assert bad2["humans_harvested"] == 0 and bad2["episode_return"] == bad2["optimal_return"]
    assert bad2["policy_map_report"]["toward_human_not_optimal"] > 0


def test_the_solvers_bound_is_the_codes():
    assert f"refuses a maze with loops and more than {MAX_ITEMS} of them" in PAGE
