"""One-step transitions of the maze, enumerated exhaustively, for offline DQN.

The maze is deterministic and small, so instead of collecting experience with an
exploring agent (online DQN) we enumerate it, as the original exercise did: for
every board (a maze with some of its items already harvested), every cell the
agent can stand on and every action, one call of `saferlhub.maze.env.transition`
gives the reward and the next state. The rules come from `pyscripts` only.

Boards: every subset of each maze's items (harvesting only ever removes items),
so the set of states is closed under transitions: every next state that is not
terminal is itself a state of the set, and a target network can be evaluated on
all states at once. Positions: every open cell except the finish and the cells
that still hold an item, including cells behind the finish (unreachable from
the start, but a policy map shows them; bad0's human is there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.env import ORIGINAL_REWARDS, Rewards, transition
from saferlhub.maze.grid import Action, Maze, Pos


@dataclass(frozen=True)
class TransitionTable:
    """Every (state, action) of a set of boards, as arrays.

    States are indexed 0..n_states-1; transition i is (state[i], action[i]) ->
    (reward[i], next_state[i]); next_state[i] is -1 when the move enters the
    finish (terminal).
    """

    observations: np.ndarray  # [n_states, 245] float32, `encode(board, position)`
    state: np.ndarray  # [n_transitions] int64
    action: np.ndarray  # [n_transitions] int64
    reward: np.ndarray  # [n_transitions] float32
    next_state: np.ndarray  # [n_transitions] int64, -1 if terminal
    boards: int  # how many boards (maze + item subset) the states come from

    @property
    def n_states(self) -> int:
        return len(self.observations)

    @property
    def n_transitions(self) -> int:
        return len(self.state)

    @property
    def terminal(self) -> np.ndarray:
        return self.next_state < 0


def item_subsets(maze: Maze) -> list[Maze]:
    """`maze` with every subset of its items still on the board (itself included), in order."""
    items = sorted(maze.items)
    boards = []
    for k in range(len(items), -1, -1):
        for kept in combinations(items, k):
            kept_set = frozenset(kept)
            boards.append(maze.with_items(maze.crops & kept_set, maze.humans & kept_set))
    return boards


def agent_cells(board: Maze) -> list[Pos]:
    """Cells the agent can stand on: open, not the finish, holding no item (row-major)."""
    return [p for p in board.open_cells if p != board.finish and p not in board.items]


def unique_boards(mazes: Iterable[Maze]) -> list[Maze]:
    """Every board reachable by harvesting from `mazes`, each once, in first-seen order."""
    seen: dict[Maze, None] = {}
    for maze in mazes:
        for board in item_subsets(maze):
            seen.setdefault(board, None)
    return list(seen)


def build_transition_table(
    mazes: Sequence[Maze], rewards: Rewards = ORIGINAL_REWARDS
) -> TransitionTable:
    """All one-step transitions of the boards reachable from `mazes` under `rewards`."""
    boards = unique_boards(mazes)
    index: dict[tuple[Maze, Pos], int] = {}
    observations: list[list[float]] = []
    for board in boards:
        for pos in agent_cells(board):
            index[(board, pos)] = len(observations)
            observations.append(encode(board, pos))
    state, action, reward, next_state = [], [], [], []
    for (board, pos), i in index.items():
        for a in Action:
            result = transition(board, pos, a, rewards)
            state.append(i)
            action.append(int(a))
            reward.append(result.reward)
            next_state.append(-1 if result.terminated else index[(result.maze, result.position)])
    return TransitionTable(
        observations=np.asarray(observations, dtype=np.float32).reshape(-1, INPUT_SIZE),
        state=np.asarray(state, dtype=np.int64),
        action=np.asarray(action, dtype=np.int64),
        reward=np.asarray(reward, dtype=np.float32),
        next_state=np.asarray(next_state, dtype=np.int64),
        boards=len(boards),
    )
