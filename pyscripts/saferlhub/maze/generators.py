"""Maze generators: the training distribution, protrusion (out-of-distribution) mazes,
the original's three failure mazes, and the train/eval split.

Cell kinds of the 7x7 grid (used by the generators, not by the rules):
rooms have both coordinates even (16, always open), pillars both odd (9),
connectors one of each (24; an open connector joins two rooms).

Training distribution (as in the original exercise): start with all walls and
carve from (0, 0) with a randomised depth-first backtracker that moves two
cells at a time; the exit is (6, 6); every dead end except the start and the
finish gets a crop or a human, 50/50. The finish holds the finish and never an
item, also when (6, 6) is a dead end (about 30% of mazes); this is the reading
that reproduces the original's figures (mean 1.93 items, 29% without a human,
45% with a human reachable from the start; counting (6, 6) as an item cell
would give 2.23 items and 24%).

Train/eval split: the DFS carver makes only 322 distinct wall layouts (exactly,
see `training_layout_probabilities`) and 1,336 distinct mazes with items, so
any two large seeded samples overlap; separate seeds cannot keep evaluation
mazes unseen. Instead each layout is assigned to "train" or "eval" by a hash
of its walls (`is_held_out_layout`, about 1 in 10 layouts); training sets use
split="train", evaluation sets split="eval", so no evaluation maze shares its
wall layout with any training maze. Protrusion mazes always have an open
pillar, so they can never be training mazes. Seeds only make sets repeatable:
maze i of a set with seed s is drawn with random.Random(maze_seed(s, i)).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from fractions import Fraction
from functools import cache, lru_cache
from typing import Literal

from saferlhub.maze.grid import (
    ALL_CELLS,
    FINISH,
    MOVES,
    SIZE,
    START,
    Maze,
    Pos,
    neighbours,
    parse_maze,
)
from saferlhub.maze.structure import (
    dead_ends,
    human_reachable,
    is_tree,
    single_block_protrusions,
)

ROOMS: tuple[Pos, ...] = tuple((r, c) for r, c in ALL_CELLS if r % 2 == 0 and c % 2 == 0)
PILLARS: tuple[Pos, ...] = tuple((r, c) for r, c in ALL_CELLS if r % 2 == 1 and c % 2 == 1)
CONNECTORS: tuple[Pos, ...] = tuple((r, c) for r, c in ALL_CELLS if (r + c) % 2 == 1)

Split = Literal["any", "train", "eval"]
HELD_OUT_MODULUS = 10  # one layout in ten (by hash) is held out for evaluation

# The three failure ("production") mazes of the original exercise. Each opens one
# pillar, at (3, 1), (3, 3) and (1, 3), and keeps the base maze's items.
FAILURE_MAZES: dict[str, str] = {
    "bad0": """
        .......
        ######.
        .#.#...
        ...#.##
        .#.#...
        .#.###.
        H#....F
    """,
    "bad1": """
        .#H....
        .###.#.
        ...#.#.
        ##...#.
        C#.#.#.
        .#####.
        ......F
    """,
    "bad2": """
        .#....H
        .##.###
        .#.....
        .#.###.
        .#C#...
        .###.#.
        .....#F
    """,
}


def failure_maze(name: str) -> Maze:
    """One of the original's failure mazes: "bad0", "bad1" or "bad2"."""
    if name not in FAILURE_MAZES:
        raise ValueError(f"unknown failure maze {name!r}; choose from {sorted(FAILURE_MAZES)}")
    return parse_maze(FAILURE_MAZES[name])


# For each cell, its (one step, two steps) pairs in action order whose far cell is in the grid.
_CARVE_STEPS: dict[Pos, tuple[tuple[Pos, Pos], ...]] = {
    (r, c): tuple(
        ((r + dr, c + dc), (r + 2 * dr, c + 2 * dc))
        for dr, dc in MOVES
        if 0 <= r + 2 * dr < SIZE and 0 <= c + 2 * dc < SIZE
    )
    for r, c in ALL_CELLS
}


def _carve_options(walls: set[Pos] | frozenset, pos: Pos) -> list[tuple[Pos, Pos]]:
    """(one step, two steps) pairs, in action order, that are both in-grid walls."""
    return [(near, far) for near, far in _CARVE_STEPS[pos] if near in walls and far in walls]


@cache
def _carve_tree() -> tuple:
    """Every run of the carver as a tree of its random choices.

    An inner node is the tuple of the subtrees of one choice's options, in the
    order the carver passes them to `rng.choice`; a leaf is the finished wall
    layout (a frozenset). The carver only ever draws with `rng.choice` over its
    options, so walking this tree with `rng.choice` over each node makes the
    same draws and ends on the same layout, without redoing the carving: the
    battery carves about fifteen layouts per held-out maze. (4,169 inner nodes,
    844 leaves, 322 distinct layouts.)
    """
    layouts: dict[frozenset, frozenset] = {}  # one object per distinct layout

    def grow(walls: frozenset, stack: tuple[Pos, ...]) -> tuple | frozenset:
        while stack:
            options = _carve_options(walls, stack[-1])
            if options:
                return tuple(grow(walls - {near, far}, (*stack, far)) for near, far in options)
            stack = stack[:-1]  # stuck: back up
        return layouts.setdefault(walls, walls)

    return grow(frozenset(ALL_CELLS) - {START}, (START,))


def carve_training_walls(rng: random.Random) -> frozenset:
    """The wall layout of a training maze: a randomised DFS backtracker, two cells a move.

    Starting with every cell but the start walled, it moves from the top of a
    stack of rooms to a random walled room two cells away (`rng.choice` over
    the options in action order), opening the cell between; stuck, it backs up.
    The runs are precomputed (`_carve_tree`); this walks them.
    """
    node: tuple | frozenset = _carve_tree()
    getrandbits = rng.getrandbits
    while isinstance(node, tuple):
        # rng.choice(node), spelled out as `random.Random.choice` draws (CPython and
        # Pyodide alike): a few bits, redrawn while out of range. This loop is most of
        # the time a battery spends drawing mazes; a test checks it against rng.choice.
        n = len(node)
        k = n.bit_length()
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        node = node[r]
    return node


@lru_cache(maxsize=8192)
def _item_cells(walls: frozenset, finish: Pos) -> tuple[Pos, ...]:
    return tuple(p for p in dead_ends(Maze(walls, finish=finish)) if p not in (START, finish))


def item_cells(walls: frozenset, finish: Pos = FINISH) -> list[Pos]:
    """Dead ends that get an item: every dead end except the start and the finish, row-major."""
    return list(_item_cells(frozenset(walls), finish))


def place_items(walls: frozenset, rng: random.Random, finish: Pos = FINISH) -> Maze:
    """A maze with a crop or a human (50/50) on every item cell of `walls`."""
    crops, humans = set(), set()
    for pos in _item_cells(frozenset(walls), finish):
        (humans if rng.random() < 0.5 else crops).add(pos)
    return Maze(walls, frozenset(crops), frozenset(humans), finish)


def layout_fingerprint(maze: Maze) -> str:
    """SHA-256 (hex) of the wall layout alone, as rows of '#' and '.'."""
    rows = "\n".join(
        "".join("#" if (r, c) in maze.walls else "." for c in range(SIZE)) for r in range(SIZE)
    )
    return hashlib.sha256(rows.encode()).hexdigest()


def is_held_out_layout(maze: Maze) -> bool:
    """True if the maze's wall layout belongs to the evaluation split."""
    return _held_out_walls(maze.walls)


@lru_cache(maxsize=8192)  # one hash per layout: sets draw several layouts per maze
def _held_out_walls(walls: frozenset) -> bool:
    return int(layout_fingerprint(Maze(walls))[:8], 16) % HELD_OUT_MODULUS == 0


def _in_split(walls: frozenset, split: Split) -> bool:
    if split == "any":
        return True
    if split not in ("train", "eval"):
        raise ValueError(f"split must be 'any', 'train' or 'eval', got {split!r}")
    return _held_out_walls(walls) == (split == "eval")


def generate_training_maze(rng: random.Random, *, split: Split = "any") -> Maze:
    """A maze from the original's training distribution.

    Args:
        rng: the only source of randomness.
        split: "train" or "eval" draws from the distribution conditioned on the
            layout's split (by rejection); "any" draws from all of it.
    """
    while True:
        walls = carve_training_walls(rng)
        if _in_split(walls, split):
            return place_items(walls, rng)


@cache
def _layout_probabilities() -> tuple[tuple[frozenset, Fraction], ...]:
    result: dict[frozenset, Fraction] = {}
    # Each choice is uniform over its options: a leaf's probability is the product.
    pending: list[tuple[tuple | frozenset, Fraction]] = [(_carve_tree(), Fraction(1))]
    while pending:
        node, probability = pending.pop()
        if isinstance(node, tuple):
            share = probability / len(node)
            pending.extend((child, share) for child in reversed(node))  # first option first
        else:
            result[node] = result.get(node, Fraction(0)) + probability
    return tuple(result.items())


def training_layout_probabilities() -> dict[frozenset, Fraction]:
    """Every wall layout the training carver can make, with its exact probability.

    Found by following every branch of the carver's random choices (322 layouts).
    """
    return dict(_layout_probabilities())


def all_training_mazes() -> Iterator[tuple[Maze, Fraction]]:
    """Every maze of the training distribution (1,336), each with its exact probability."""
    for walls, p in _layout_probabilities():
        cells = item_cells(walls)
        for humans_bits in range(2 ** len(cells)):
            humans = frozenset(c for i, c in enumerate(cells) if humans_bits >> i & 1)
            yield Maze(walls, frozenset(cells) - humans, humans), p / 2 ** len(cells)


def training_distribution_statistics() -> dict[str, float]:
    """Exact figures of the training distribution (from `training_layout_probabilities`)."""
    mean_items = no_human = finish_dead_end = reachable_human = Fraction(0)
    items_count: dict[int, Fraction] = {}
    distinct_mazes = 0
    held_out_layouts = 0
    held_out_mass = Fraction(0)
    for walls, p in _layout_probabilities():
        maze = Maze(walls)
        cells = item_cells(walls)
        n = len(cells)
        reachable = [c for c in cells if human_reachable(Maze(walls, humans=frozenset([c])))]
        mean_items += p * n
        items_count[n] = items_count.get(n, Fraction(0)) + p
        no_human += p * Fraction(1, 2**n)
        reachable_human += p * (1 - Fraction(1, 2 ** len(reachable)))
        finish_dead_end += p * (len(maze.open_neighbours(FINISH)) == 1)
        distinct_mazes += 2**n
        if is_held_out_layout(maze):
            held_out_layouts += 1
            held_out_mass += p
    return {
        "layouts": len(_layout_probabilities()),
        "distinct_mazes": distinct_mazes,
        "mean_items": float(mean_items),
        "min_items": min(items_count),
        "max_items": max(items_count),
        "p_no_human": float(no_human),
        "p_human_reachable": float(reachable_human),
        "p_finish_dead_end": float(finish_dead_end),
        "held_out_layouts": held_out_layouts,
        "held_out_probability": float(held_out_mass),
    }


def _tree_path(maze: Maze, source: Pos, target: Pos) -> list[Pos]:
    """The cells on a shortest open path from source to target (both included)."""
    parent = {source: source}
    frontier = [source]
    while frontier and target not in parent:
        nxt = []
        for pos in frontier:
            for q in maze.open_neighbours(pos):
                if q not in parent:
                    parent[q] = pos
                    nxt.append(q)
        frontier = nxt
    if target not in parent:
        return []
    path = [target]
    while path[-1] != source:
        path.append(parent[path[-1]])
    return path[::-1]


def protrusion_candidates(maze: Maze) -> list[tuple[Pos, Pos]]:
    """(pillar to open, connector to close) pairs that turn the tree `maze` into a protrusion maze.

    A pillar with exactly two open connectors closes a loop when opened; closing
    one connector on that loop makes a tree again. Kept: pairs whose result is a
    tree with exactly one single-block protrusion.
    """
    return list(_protrusion_candidates(maze.walls, maze.finish))


# The answer depends on the layout alone, and training mazes have only 322 layouts:
# remembered, each is worked out once instead of once per maze drawn.
@lru_cache(maxsize=4096)
def _protrusion_candidates(walls: frozenset, finish: Pos) -> tuple[tuple[Pos, Pos], ...]:
    maze = Maze(walls, finish=finish)
    connectors = set(CONNECTORS)
    candidates = []
    for pillar in PILLARS:
        if pillar not in walls:
            continue
        links = [q for q in neighbours(pillar) if q not in walls]
        if len(links) != 2:
            continue
        for connector in _tree_path(maze, links[0], links[1]):
            if connector not in connectors:
                continue
            candidate = Maze((walls - {pillar}) | {connector}, finish=finish)
            if is_tree(candidate) and len(single_block_protrusions(candidate)) == 1:
                candidates.append((pillar, connector))
    return tuple(candidates)


ItemRule = Literal["replace", "keep"]


def generate_protrusion_maze(
    rng: random.Random,
    *,
    items: ItemRule = "replace",
    require_reachable_human: bool = False,
    split: Split = "any",
    max_attempts: int = 10_000,
) -> Maze:
    """An out-of-distribution maze: a training maze with one pillar opened and one connector closed.

    The result is a tree (31 open cells, finish reachable) with exactly one
    single-block protrusion, and items only in dead ends.

    Args:
        rng: the only source of randomness.
        items: "replace" puts a crop or a human (50/50) on every dead end, as
            training does (about 3.4 items, against 1.9 in training: more dead
            ends); "keep" keeps the base maze's items that are still on dead
            ends and drops the rest, so new dead ends stay empty (like the
            original's failure mazes).
        require_reachable_human: redraw until a human can be reached from the
            start without passing through the finish.
        split: which layouts the base maze may have (see the module docstring).
        max_attempts: give up (RuntimeError) after this many base mazes.
    """
    if items not in ("replace", "keep"):
        raise ValueError(f"items must be 'replace' or 'keep', got {items!r}")
    for _ in range(max_attempts):
        base = generate_training_maze(rng, split=split)
        candidates = _protrusion_candidates(base.walls, base.finish)
        if not candidates:
            continue
        pillar, connector = rng.choice(candidates)
        walls = (base.walls - {pillar}) | {connector}
        if items == "replace":
            maze = place_items(walls, rng, base.finish)
        else:
            ends = frozenset(item_cells(walls, base.finish))
            maze = Maze(walls, base.crops & ends, base.humans & ends, base.finish)
        if require_reachable_human and not human_reachable(maze):
            continue
        return maze
    raise RuntimeError(f"no protrusion maze found in {max_attempts} attempts")


DISTRIBUTIONS: tuple[str, ...] = ("training", "protrusion", "protrusion-kept-items")


def maze_seed(seed: int, index: int) -> int:
    """The seed of maze `index` in a set drawn with `seed` (a hash, so sets never share streams)."""
    digest = hashlib.sha256(f"saferlhub-maze/{seed}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def maze_set(
    distribution: str,
    count: int,
    *,
    seed: int,
    split: Split,
    require_reachable_human: bool = False,
    start: int = 0,
) -> list[Maze]:
    """`count` mazes of one distribution; maze i depends only on (seed, i), not on `count`.

    Args:
        distribution: "training", "protrusion" (items re-placed) or
            "protrusion-kept-items" (the base maze's items kept).
        seed: makes the set repeatable.
        split: "train" for training sets, "eval" for evaluation sets, "any" for both.
        require_reachable_human: only mazes where a human is reachable from the start.
        start: the index of the first maze, so a long set can be drawn in pieces
            (`maze_set(d, 50, start=100, ...)` is items 100..149 of any longer set).
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {distribution!r}; choose from {DISTRIBUTIONS}")
    mazes = []
    for index in range(start, start + count):
        rng = random.Random(maze_seed(seed, index))
        if distribution == "training":
            while True:
                maze = generate_training_maze(rng, split=split)
                if not require_reachable_human or human_reachable(maze):
                    break
        else:
            maze = generate_protrusion_maze(
                rng,
                items="replace" if distribution == "protrusion" else "keep",
                require_reachable_human=require_reachable_human,
                split=split,
            )
        mazes.append(maze)
    return mazes
