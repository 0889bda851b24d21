"""Structural questions about a maze: reachability, dead ends, loops, protrusions.

Single-block protrusion (the clue the original's dreamed walls showed)
-----------------------------------------------------------------------
Count the border around the grid as wall. A wall cell's *wall degree* is the
number of its four sides that touch wall (wall cells or the border).

A wall cell w is a **single-block protrusion** when it sticks out of the rest of
the wall by exactly one block:

* w has wall degree 1 (three sides open: it is the tip of a wall), and
* the one thing it is attached to is either the border, or a wall cell of wall
  degree 3 or 4 (a junction, so that w is a one-cell spur off a wall body
  rather than the end of a longer arm or a bend).

Why training mazes never have one: their walls are pillars (odd, odd) joined by
closed connectors. A closed connector always has wall degree exactly 2 (its two
pillars, or a pillar and the border), so a tip is always a pillar hanging on a
connector of degree 2, and every arm that sticks out is at least two cells long.
Opening a pillar turns its closed connectors into tips; one whose other pillar
is a junction, or that touches the border, becomes a single-block protrusion.
"""

from __future__ import annotations

from collections import deque

from saferlhub.maze.grid import SIZE, START, Maze, Pos, in_grid, reachable_cells


def dead_ends(maze: Maze) -> list[Pos]:
    """Open cells with exactly one open 4-neighbour (start and finish included), row-major."""
    return [p for p in maze.open_cells if len(maze.open_neighbours(p)) == 1]


def open_edge_count(maze: Maze) -> int:
    """Number of adjacent pairs of open cells."""
    walls = maze.walls
    count = 0
    for r, c in maze.open_cells:
        count += (r + 1, c) not in walls and in_grid((r + 1, c))
        count += (r, c + 1) not in walls and in_grid((r, c + 1))
    return count


def is_connected(maze: Maze) -> bool:
    """Every open cell can reach every other (walking through the finish allowed)."""
    return len(reachable_cells(maze, through_finish=True)) == len(maze.open_cells)


def is_tree(maze: Maze) -> bool:
    """Open cells form one connected tree: no loops, nothing cut off."""
    return is_connected(maze) and open_edge_count(maze) == len(maze.open_cells) - 1


def has_open_square(maze: Maze) -> bool:
    """Some 2x2 block of cells is entirely open."""
    walls = maze.walls
    return any(
        not {(r, c), (r + 1, c), (r, c + 1), (r + 1, c + 1)} & walls
        for r in range(SIZE - 1)
        for c in range(SIZE - 1)
    )


def human_reachable(maze: Maze, start: Pos = START) -> bool:
    """Some human can be reached from `start` without passing through the finish."""
    return bool(maze.humans & reachable_cells(maze, start))


def items_behind_finish(maze: Maze, start: Pos = START) -> frozenset:
    """Items unreachable from `start`: the finish, which ends the episode, is in the way."""
    return maze.items - reachable_cells(maze, start)


def distances(maze: Maze, source: Pos, *, through_finish: bool = False) -> dict[Pos, int]:
    """Shortest number of moves from `source` to each open cell it can reach."""
    dist = {source: 0}
    queue = deque([source])
    while queue:
        pos = queue.popleft()
        if pos == maze.finish and not through_finish and pos != source:
            continue
        for q in maze.open_neighbours(pos):
            if q not in dist:
                dist[q] = dist[pos] + 1
                queue.append(q)
    return dist


def wall_degree(maze: Maze, pos: Pos) -> int:
    """How many of the 4 sides of `pos` touch a wall cell or the border."""
    r, c = pos
    return sum(
        not in_grid(q) or q in maze.walls for q in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
    )


def single_block_protrusions(maze: Maze) -> list[Pos]:
    """Wall cells that stick out by exactly one block (see the module docstring), row-major."""
    found = []
    for pos in sorted(maze.walls):
        if wall_degree(maze, pos) != 1:
            continue
        r, c = pos
        (anchor,) = [
            q
            for q in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
            if not in_grid(q) or q in maze.walls
        ]
        if not in_grid(anchor) or wall_degree(maze, anchor) >= 3:
            found.append(pos)
    return found


def has_single_block_protrusion(maze: Maze) -> bool:
    """True if some wall sticks out by exactly one block (never in training mazes)."""
    return bool(single_block_protrusions(maze))
