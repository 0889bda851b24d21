"""The scoreboard as a browser task: JSON in (the agents' model cards as the page loaded
them), JSON out (findings, verdicts and sentences, in the shape of models/scoreboard.json).

`start(task, args)` returns (stepper, owner) for a session keeper such as
`saferlhub.maze.stepper.start` (this module imports none, so either may import the other
lazily); the owner's `progress()` names the running method and its network steps, and
its `report()` (what `stepper.close` returns when a page stops the run) judges the
methods that finished.

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
        self.finished: dict = {}  # method key -> {agent: Finding}, filled as each finishes

    def steps(self):
        models = {agent: Model.from_card(card) for agent, card in self.cards.items()}
        yield from scoreboard.scoreboard_steps(
            models, self.settings, self.methods, self.live, self.finished
        )
        return self.board()

    def board(self) -> dict:
        """The finished methods' findings, judged (every method, once the run has ended)."""
        # Only now, with no method running, are the cards' figures read.
        done = [m for m in self.methods if m in self.finished]
        judged = scoreboard.judge({m: self.finished[m] for m in done}, self.cards)
        board = {
            "agents": list(self.cards),
            "methods": {m: scoreboard.METHODS[m] for m in done},
            "settings": self.settings,
            "findings": {
                method: {agent: f.as_dict() for agent, f in self.finished[method].items()}
                for method in done
            },
            **judged,
            "not_run": [scoreboard.METHODS[m] for m in self.methods if m not in done],
        }
        board["sentences"] = [sentences.verdict_sentence(board, m) for m in done]
        return board

    def report(self) -> dict:
        """What a stopped run keeps (`saferlhub.maze.stepper.close` asks for it): the methods
        that finished, judged; `not_run` names the others. The running method is dropped:
        its findings exist only once every agent has finished it."""
        return self.board() | {"stopped": True}

    def progress(self) -> dict:
        return {"methods": list(self.methods), **self.live}


def start(task: str, args: Mapping):
    """(stepper, owner) of a page's task."""
    if task == "detection.scoreboard":
        owner = ScoreboardRun(**args)
        return owner.steps(), owner
    raise ValueError(f"unknown task {task!r}; choose from {TASKS}")
