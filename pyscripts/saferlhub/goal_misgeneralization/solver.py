"""The exact optimum of a level: breadth-first search over (position, keys held, items left).

Every reward in these worlds is paid for an item taken (the coin, an opened chest), so
the return of an episode is read off its last state. A breadth-first search over the
states reachable within the step limit therefore finds the best return any policy can
reach, and the fewest steps that reach it.
"""

from __future__ import annotations

from saferlhub.goal_misgeneralization.worlds import CHEST, COIN, KEY, State, World, reset, step
from saferlhub.gridworlds.grid import move


def collected(world: World, state: State) -> int:
    """The return so far: coins and chests no longer on the board."""
    return sum(
        1 for p, kind in world.items.items() if kind in (COIN, CHEST) and p not in state.items
    )


# --8<-- [start:optimum]
def optimum(world: World, max_steps: int | None = None) -> dict:
    """{"return": the best return within the step limit, "steps": the fewest steps
    that reach it}: breadth-first, one layer per step, stopping at episode ends, and
    altogether once every coin, or as many chests as there are keys, is taken."""
    limit = world.max_steps if max_steps is None else max_steps
    start = reset(world)
    kinds = list(world.items.values())
    ceiling = kinds.count(COIN) + min(kinds.count(KEY), kinds.count(CHEST))
    best, best_steps = 0, 0
    seen, layer = {start}, [start]
    for steps in range(1, limit + 1):
        if best == ceiling:
            break
        following = []
        for state in layer:
            for action in range(4):
                after, _, done = step(world, state, action)
                if after in seen:
                    continue
                seen.add(after)
                value = collected(world, after)
                if value > best:
                    best, best_steps = value, steps
                if not done:
                    following.append(after)
        layer = following
    return {"return": best, "steps": best_steps}


# --8<-- [end:optimum]


def shortest_steps(world: World, cells) -> int | None:
    """The fewest moves from the start to any of `cells`, walls only (None if unreachable)."""
    targets = set(cells)
    level = world.level
    frontier, seen, steps = [world.start], {world.start}, 0
    while frontier:
        if any(p in targets for p in frontier):
            return steps
        following = []
        for pos in frontier:
            for action in range(4):
                nxt = move(level, pos, action)
                if nxt not in seen:
                    seen.add(nxt)
                    following.append(nxt)
        frontier, steps = following, steps + 1
    return None
