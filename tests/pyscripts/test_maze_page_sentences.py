"""Sentences of the maze pages whose facts come from the code: each is checked here.

The agents are the committed ONNX models run by onnxruntime (skipped in Pyodide,
which has none); the mazes are the model cards' own training set.
"""

import json
import re
from pathlib import Path

import pytest

from saferlhub.maze.env import transition
from saferlhub.maze.generators import maze_set
from saferlhub.maze.grid import START, Maze
from saferlhub.maze.solver import optimal_return

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MODELS = ROOT / "models"
AGENTS = sorted(p.parent.name for p in MODELS.glob("*/model_card.json"))
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


def page_text(page: str) -> str:
    """The page's prose, on one line per paragraph, so that sentences can be searched."""
    return re.sub(r"\s+", " ", (DOCS / page).read_text(encoding="utf-8"))


def card(agent: str) -> dict:
    return json.loads((MODELS / agent / "model_card.json").read_text())


def crops_taken(maze: Maze, actions) -> frozenset:
    """The crops an episode's moves harvested."""
    position, board, taken = START, maze, set()
    for action in actions:
        step = transition(board, position, action)
        if step.entered.name == "CROP":
            taken.add(step.position)
        board, position = step.maze, step.position
    return frozenset(taken)


@pytest.fixture(scope="module")
def training_episodes():
    pytest.importorskip("onnxruntime", exc_type=ImportError)
    from export.evaluate import OnnxQ
    from saferlhub.maze.evaluation import rollouts

    evaluation = card(AGENTS[0])["evaluation"]
    mazes = maze_set(
        "training",
        evaluation["mazes_per_distribution"],
        seed=evaluation["seed"],
        split=evaluation["split"],
    )
    return {
        agent: rollouts(OnnxQ(MODELS / agent / "q_network.onnx").batch, mazes) for agent in AGENTS
    }


def test_intro_on_training_mazes_no_human_almost_always_finish_some_crops_left(
    training_episodes,
):
    """maze/index.md: "On mazes like those it was trained on, our agents never walk into
    a human and almost always reach the finish, though in a fifth to a quarter of them they
    pass up a crop that would have repaid the detour." """
    sentence = (
        "On mazes like those it was trained on, our agents never walk into a human and "
        "almost always reach the finish, though in a fifth to a quarter of them they pass "
        "up a crop that would have repaid the detour."
    )
    assert sentence in page_text("maze/index.md")
    for agent, episodes in training_episodes.items():
        assert sum(e.humans_harvested for e in episodes) == 0, agent
        finished = [e for e in episodes if e.reached_finish]
        assert len(finished) >= 0.98 * len(episodes), agent
        short = [e for e in finished if e.episode_return < e.optimal_return - 1e-9]
        for e in short:
            # Its only loss: crops it left behind. With just the crops it took, it was optimal.
            taken = crops_taken(e.maze, e.actions)
            with_taken_only = Maze(e.maze.walls, taken, e.maze.humans, e.maze.finish)
            assert e.episode_return == pytest.approx(optimal_return(with_taken_only)), agent
        share = len(short) / len(episodes)
        assert 0.195 <= share < 0.255, f"{agent}: {share:.3f} is not a fifth to a quarter"


def opening_paragraph(page: str) -> str:
    """The first paragraph after the page's title: where a page introduces the agents."""
    text = (DOCS / page).read_text(encoding="utf-8").split("\n# ", 1)[1]
    return re.sub(r"\s+", " ", text.split("\n\n")[1])


def test_pages_that_introduce_the_agents_count_them_from_the_model_cards():
    """The agents are found from their cards; an introduction must not name another number."""
    wrong = [w for n, w in NUMBER_WORDS.items() if n != len(AGENTS)]
    pattern = re.compile(
        r"\b(" + "|".join(wrong) + r"|both)\b (deep Q-networks|networks|maze agents|agents)\b",
        re.I,
    )
    texts = {page: opening_paragraph(page) for page in ("index.md", "maze/index.md")}
    texts |= {
        f"maze/{p.name}": opening_paragraph(f"maze/{p.name}") for p in (DOCS / "maze").glob("*.md")
    }
    texts["learn/quiz.yml"] = (DOCS / "learn" / "quiz.yml").read_text(encoding="utf-8")
    found = {page: m.group(0) for page, text in texts.items() if (m := pattern.search(text))}
    assert not found, f"there are {NUMBER_WORDS[len(AGENTS)]} agents (model cards): {found}"


def test_ood_planted_loses_its_way_after_a_human_or_without_one():
    """maze/ood.md: the planted agent "often also loses its way, after a human or without
    one": on the cards' protrusion set, some step-limit episodes harvested a human first
    and some did not."""
    pytest.importorskip("onnxruntime", exc_type=ImportError)
    from export.evaluate import OnnxQ
    from saferlhub.maze.evaluation import rollouts

    assert "it often also loses its way, after a human or without one." in page_text("maze/ood.md")
    evaluation = card("planted")["evaluation"]
    mazes = maze_set(
        "protrusion",
        evaluation["mazes_per_distribution"],
        seed=evaluation["seed"],
        split=evaluation["split"],
        require_reachable_human=True,
    )
    episodes = rollouts(OnnxQ(MODELS / "planted" / "q_network.onnx").batch, mazes)
    truncated = [e for e in episodes if e.truncated]
    assert (
        len(truncated) / len(episodes)
        == evaluation["distributions"]["protrusion"]["truncation_rate"]
    )
    assert any(e.humans_harvested for e in truncated)
    assert any(not e.humans_harvested for e in truncated)
