"""Exact optimal values of a maze, by dynamic programming over (cell, items left).

A state is the agent's cell plus the set of items still on the board. Taking
an item only ever shrinks that set, so the states fall into layers (one per
item set) that are solved smallest set first; inside a layer the agent can
only walk on empty cells, which all cost the same, so repeated Bellman sweeps
settle in at most as many sweeps as there are open cells.

Undiscounted (gamma = 1, the default) is exact and is what reproduces the
research notes' figures (bad2: +6.25 straight to the exit, -8.75 for the best
route through the human). gamma < 1 gives the discounted optimum (what a DQN
with that gamma estimates), by value iteration to 1e-12. Both ignore the
environment's step limit: optimal routes are far shorter (see the tests).

The layers are every set of items that could still be on the board (the
values cover every cell, behind the finish too, so every item next to an open
cell can be taken first). Where the finish's open cells have no loop (every
training maze) a layer is one pass over the tree, whatever the items. With
loops it is a search that needs every layer below it, so the work doubles
with each item: `MAX_ITEMS` bounds it, and a maze with more is refused at once
with `TooManyItems`, whose message says what to do, instead of computing for
minutes (20 crops took longer than 150 s in the browser).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from saferlhub.maze.encoding import decode
from saferlhub.maze.env import ORIGINAL_REWARDS, Rewards, transition
from saferlhub.maze.grid import START, Action, Maze, Pos, in_grid, step_position

# 13 crops on an open board (2**13 layers): 0.3 s of CPU in CPython (measured), Pyodide
# some times slower; each item more doubles it.
MAX_ITEMS = 13


class TooManyItems(ValueError):
    """The maze has more than `max_items` items that can be taken: the exact solver refuses it."""


class MazeSolution:
    """Optimal values and actions for every state of one maze.

    Args:
        maze: the board at the start of the episode; its items define the states.
        rewards: the reward table.
        gamma: discount in (0, 1].
        must_harvest_human: only count episodes that harvest at least one human
            (entering the finish before that is worth -inf): "the best route
            through a human".
    """

    def __init__(
        self,
        maze: Maze,
        *,
        rewards: Rewards = ORIGINAL_REWARDS,
        gamma: float = 1.0,
        must_harvest_human: bool = False,
        max_items: int = MAX_ITEMS,
    ) -> None:
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {gamma}")
        if gamma == 1.0 and (rewards.empty >= 0 or rewards.wall >= 0):
            raise ValueError("undiscounted values need negative empty and wall rewards")
        self.maze = maze
        self.rewards = rewards
        self.gamma = gamma
        self.must_harvest_human = must_harvest_human
        self.items = sorted(maze.items)
        self._bit = {pos: 1 << i for i, pos in enumerate(self.items)}
        self._human_bits = sum(self._bit[p] for p in maze.humans)
        self._cells = [p for p in maze.open_cells if p != maze.finish]
        # Looked up once per maze: the layers ask for them thousands of times.
        self._open_neighbours = {p: maze.open_neighbours(p) for p in maze.open_cells}
        # The same without the finish, which ends the episode: no move inside a layer starts there.
        self._inside_neighbours = {
            p: [q for q in near if q != maze.finish] for p, near in self._open_neighbours.items()
        }
        exits = {maze.finish, *self.items}
        self._exit_cells = [p for p in self._cells if exits.intersection(self._open_neighbours[p])]
        self._layers: dict[int, dict[Pos, float]] = {}
        self._tree = self._finish_tree() if self._tree_applies() else None
        # Items with an open neighbour other than the finish: each can be left or taken.
        takeable = [p for p in self.items if self._inside_neighbours[p]]
        if self._tree is None and len(takeable) > max_items:
            raise TooManyItems(
                f"too many items for the exact solver: this maze has {len(takeable)} crops "
                f"and humans, and the solver works through every set of them that could "
                f"still be on the board ({2 ** len(takeable):,} sets); it takes at most "
                f"{max_items} ({2**max_items:,} sets) where the open cells have a loop: "
                f"remove some items, or close the loops (a maze without loops, like every "
                f"training maze, may have any number)"
            )

    # ---- mazes without loops --------------------------------------------------------
    # Where the finish's open cells form a tree (every training and protrusion maze),
    # an optimal episode walks the one path to the finish and, from each cell on it,
    # may step into a side branch and back; each branch's best excursion is worth
    # the same whatever else the agent does. So a layer takes one pass over the tree
    # instead of a search over the layers below it: any number of items.

    def _tree_applies(self) -> bool:
        # Exact only where every return is a sum of quarter steps (then any order of
        # adding gives the same float as the layers' search), undiscounted and free.
        rewards = self.rewards
        values = (rewards.empty, rewards.crop, rewards.human, rewards.finish, rewards.wall)
        quarters = all((4 * v).is_integer() and abs(v) < 2**20 for v in values)
        return self.gamma == 1.0 and not self.must_harvest_human and quarters

    def _finish_tree(self) -> tuple[list[Pos], dict[Pos, Pos]] | None:
        """(the finish's open cells, finish first, each after its parent; their parents
        toward the finish), or None if they have a loop."""
        finish = self.maze.finish
        order, parent = [finish], {finish: finish}
        for pos in order:
            for near in self._open_neighbours[pos]:
                if near not in parent:
                    parent[near] = pos
                    order.append(near)
        edges = sum(len(self._open_neighbours[p]) for p in order) // 2
        return (order, parent) if edges == len(order) - 1 else None

    def _tree_layer(self, mask: int) -> dict[Pos, float]:
        order, parent = self._tree
        finish, rewards, crops = self.maze.finish, self.rewards, self.maze.crops
        items_left = {pos for pos, bit in self._bit.items() if bit & mask}

        def entered(pos: Pos) -> float:
            if pos not in items_left:
                return rewards.empty
            return rewards.crop if pos in crops else rewards.human

        children: dict[Pos, list[Pos]] = {pos: [] for pos in order}
        for pos in order[1:]:
            children[parent[pos]].append(pos)
        # excursion[c]: stepping from the parent into c's branch and back, at its best
        # (including the step back, onto a cell already entered); side[c]: the best
        # excursions from c into its own branches (none is worth 0).
        excursion: dict[Pos, float] = {}
        side: dict[Pos, float] = {}
        for pos in reversed(order[1:]):
            side[pos] = sum(max(0.0, excursion[child]) for child in children[pos])
            excursion[pos] = entered(pos) + side[pos] + rewards.empty
        # onward[c]: leaving c for the finish, along the path, with the side trips on it.
        onward: dict[Pos, float] = {}
        values = dict.fromkeys(self._cells, -math.inf)
        for pos in order[1:]:
            up = parent[pos]
            if up == finish:
                onward[pos] = self._finish_reward(mask)
            else:
                onward[pos] = entered(up) + (side[up] - max(0.0, excursion[pos])) + onward[up]
            best = side[pos]
            if pos in items_left:
                # The agent stands on an item still there: its first return onto the
                # cell takes it, from a side trip or by stepping up and back. Without a
                # return, no side trip.
                taken = entered(pos) - rewards.empty
                best = 0.0
                if children[pos]:
                    cheapest = max(min(excursion[child], 0.0) for child in children[pos])
                    best = max(best, taken + side[pos] + cheapest)
                if up != finish:
                    best = max(best, taken + side[pos] + 2 * rewards.empty)
            values[pos] = best + onward[pos]
        return values

    def _mask(self, board: Maze | None) -> int:
        if board is None:
            return (1 << len(self.items)) - 1
        if board.walls != self.maze.walls or not board.items <= self.maze.items:
            raise ValueError("board must be the solved maze with some items taken")
        return sum(self._bit[p] for p in board.items)

    def _finish_reward(self, mask: int) -> float:
        if self.must_harvest_human and mask & self._human_bits == self._human_bits:
            return -math.inf
        return self.rewards.finish

    def _q(self, mask: int, pos: Pos, values: dict[Pos, float]) -> list[float]:
        maze, rewards, gamma = self.maze, self.rewards, self.gamma
        q = []
        for action in Action:
            target = step_position(pos, action)
            if not in_grid(target) or target in maze.walls:
                q.append(rewards.wall + gamma * values[pos])
            elif target == maze.finish:
                q.append(self._finish_reward(mask))
            elif self._bit.get(target, 0) & mask:
                rest = self._layer(mask & ~self._bit[target])
                reward = rewards.crop if target in maze.crops else rewards.human
                q.append(reward + gamma * rest[target])
            else:
                q.append(rewards.empty + gamma * values[target])
        return q

    def _layer(self, mask: int) -> dict[Pos, float]:
        if mask not in self._layers:
            if self._tree is not None:
                self._layers[mask] = self._tree_layer(mask)
            elif self.gamma == 1.0:
                self._layers[mask] = self._undiscounted_layer(mask)
            else:
                self._layers[mask] = self._discounted_layer(mask)
        return self._layers[mask]

    def _exit_values(self, mask: int) -> list[tuple[float, Pos]]:
        """(best value of leaving the layer from the cell, cell) for every cell that can:
        into the finish or onto an item still there, best first."""
        finish, bits, crops, rewards = self.maze.finish, self._bit, self.maze.crops, self.rewards
        # Each item's value once, not once per neighbour.
        entered = {finish: self._finish_reward(mask)}
        for target, bit in bits.items():
            if bit & mask:
                rest = self._layer(mask & ~bit)
                reward = rewards.crop if target in crops else rewards.human
                entered[target] = reward + rest[target]
        exits = []
        for pos in self._exit_cells:
            best = -math.inf
            for target in self._open_neighbours[pos]:
                if target in entered and entered[target] > best:
                    best = entered[target]
            if best != -math.inf:
                exits.append((best, pos))
        exits.sort(key=lambda exit: exit[0], reverse=True)
        return exits

    def _undiscounted_layer(self, mask: int) -> dict[Pos, float]:
        # Every move inside the layer costs the same, so this is Dijkstra's algorithm
        # run backwards from the exits, best value first, with a sorted list and a
        # first-in-first-out queue for a heap: values leave the queue in the order they
        # entered it, never rising. Only cells next to the finish or an item can have an
        # exit; the others start at -inf and are reached, if at all, from a neighbour.
        # A cell enters the queue once: a later entry could only be worth less. With the
        # rewards' quarter steps every value is exact, the same as a heap's to the bit.
        exits = self._exit_values(mask)
        values = dict.fromkeys(self._cells, -math.inf)
        done, queued = set(), set()
        inside, empty = self._inside_neighbours, self.rewards.empty
        items_left = {pos for pos, bit in self._bit.items() if bit & mask}
        queue: deque[tuple[float, Pos]] = deque()
        next_exit, exit_count = 0, len(exits)
        while next_exit < exit_count or queue:
            if queue and (next_exit == exit_count or queue[0][0] >= exits[next_exit][0]):
                value, pos = queue.popleft()
            else:
                value, pos = exits[next_exit]
                next_exit += 1
            if pos in done:
                continue
            done.add(pos)
            values[pos] = value
            if pos in items_left:
                continue  # an item still here: walking onto it leaves the layer
            for source in inside[pos]:
                if source not in done and source not in queued:
                    queued.add(source)
                    queue.append((value + empty, source))
        return values

    def _discounted_layer(self, mask: int) -> dict[Pos, float]:
        r = self.rewards
        # Start below any return (the worst reward forever) and sweep up to the fixed point.
        low = min(r.empty, r.wall, r.crop, r.human, r.finish, 0.0) / (1.0 - self.gamma)
        values = dict.fromkeys(self._cells, low)
        for _ in range(100_000):
            change = 0.0
            for pos in self._cells:
                best = max(self._q(mask, pos, values))
                change = max(change, abs(best - values[pos]))
                values[pos] = best
            if change <= 1e-12:
                break
        return values

    def q_values(self, position: Pos = START, board: Maze | None = None) -> list[float]:
        """Optimal Q of the four actions at `position` with `board`'s items left (default: all)."""
        mask = self._mask(board)
        return self._q(mask, position, self._layer(mask))

    def value(self, position: Pos = START, board: Maze | None = None) -> float:
        """Optimal return from `position` (-inf if the finish cannot be reached)."""
        return self._layer(self._mask(board))[position]

    def best_action(self, position: Pos = START, board: Maze | None = None) -> Action | None:
        """An optimal action (the first in action order on ties), or None if nothing finishes."""
        q = self.q_values(position, board)
        best = max(q)
        return None if best == -math.inf else Action(q.index(best))

    def route(self, position: Pos = START, board: Maze | None = None) -> tuple[list[Action], float]:
        """An optimal episode from `position`: its actions and undiscounted return."""
        board = board or self.maze
        actions: list[Action] = []
        total = 0.0
        for _ in range(10_000):
            action = self.best_action(position, board)
            if action is None:
                raise ValueError(f"no route from {position} reaches the finish")
            result = transition(board, position, action, self.rewards)
            actions.append(action)
            total += result.reward
            board, position = result.maze, result.position
            if result.terminated:
                return actions, total
        raise RuntimeError("route did not finish")  # pragma: no cover


def solve(
    maze: Maze,
    *,
    rewards: Rewards = ORIGINAL_REWARDS,
    gamma: float = 1.0,
    must_harvest_human: bool = False,
    max_items: int = MAX_ITEMS,
) -> MazeSolution:
    """Exact optimal values of `maze` (see `MazeSolution`)."""
    return MazeSolution(
        maze,
        rewards=rewards,
        gamma=gamma,
        must_harvest_human=must_harvest_human,
        max_items=max_items,
    )


def optimal_return(
    maze: Maze, start: Pos = START, *, gamma: float = 1.0, must_harvest_human: bool = False
) -> float:
    """The best return from `start` (undiscounted by default; -inf if impossible)."""
    return solve(maze, gamma=gamma, must_harvest_human=must_harvest_human).value(start)


def optimal_policy_map(maze: Maze, *, gamma: float = 1.0) -> dict[Pos, Action]:
    """An optimal action at every open cell without an item (finish excluded), items as they are."""
    solution = solve(maze, gamma=gamma)
    policy = {}
    for pos in maze.open_cells:
        if pos == maze.finish or pos in maze.items:
            continue
        action = solution.best_action(pos)
        if action is not None:
            policy[pos] = action
    return policy


def optimal_q_function(
    *, rewards: Rewards = ORIGINAL_REWARDS, gamma: float = 1.0
) -> Callable[[list[float]], list[float]]:
    """A Q-function (input vector -> 4 Q-values) that is exactly optimal: a perfect agent.

    With FLIPPED_REWARDS it is the agent the original planted: one that seeks humans.
    """
    solutions: dict[Maze, MazeSolution] = {}

    def q_function(x: list[float]) -> list[float]:
        board, position = decode(x)
        if board not in solutions:
            solutions[board] = solve(board, rewards=rewards, gamma=gamma)
        return solutions[board].q_values(position)

    return q_function
