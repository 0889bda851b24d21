"""The scoreboard as a browser task: JSON in (the agents' model cards as the page loaded
them), JSON out (findings, verdicts and sentences, in the shape of models/scoreboard.json).

`start(task, args)` returns (stepper, owner) for a session keeper such as
`saferlhub.maze.stepper.start` (this module imports none, so either may import the other
lazily); the owner's `progress()` names the running method and its network steps.

The blind part reads only the networks' shapes from the cards (`Model.from_card`); the
cards' held-out figures are read for the verdicts after every method has finished.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from saferlhub.maze.detection import scoreboard, sentences
from saferlhub.maze.interp.hooks import Model

TASKS = ("detection.scoreboard",)


class ScoreboardRun:
    """One run of the scoreboard for a page: `steps()` is the stepper, `progress()` its state."""

    def __init__(
        self,
        cards: Mapping[str, Mapping],
        methods: Sequence[str] | None = None,
        settings: Mapping | None = None,
    ) -> None:
        chosen = list(methods or scoreboard.METHODS)
        unknown = [m for m in chosen if m not in scoreboard.METHODS]
        if unknown:
            raise ValueError(f"unknown methods {unknown}; choose from {list(scoreboard.METHODS)}")
        if len(cards) < 2:
            raise ValueError("the scoreboard compares agents: give it at least two cards")
        self.cards = dict(cards)
        self.methods = tuple(m for m in scoreboard.METHODS if m in chosen)  # the board's order
        self.settings = dict(settings or scoreboard.DEFAULT_SETTINGS)
        self.live: dict = {}

    def steps(self):
        models = {agent: Model.from_card(card) for agent, card in self.cards.items()}
        result = yield from scoreboard.scoreboard_steps(
            models, self.settings, self.methods, self.live
        )
        # Only now are the cards' figures read.
        judged = scoreboard.judge(result["findings"], self.cards)
        board = {
            "agents": list(self.cards),
            "methods": {m: scoreboard.METHODS[m] for m in self.methods},
            "settings": self.settings,
            "findings": {
                method: {agent: f.as_dict() for agent, f in by_agent.items()}
                for method, by_agent in result["findings"].items()
            },
            **judged,
        }
        board["sentences"] = [sentences.verdict_sentence(board, m) for m in self.methods]
        return board

    def progress(self) -> dict:
        return {"methods": list(self.methods), **self.live}


def start(task: str, args: Mapping):
    """(stepper, owner) of a page's task."""
    if task == "detection.scoreboard":
        owner = ScoreboardRun(**args)
        return owner.steps(), owner
    raise ValueError(f"unknown task {task!r}; choose from {TASKS}")
