"""The microscope pages' analyses, as steppers with JSON arguments and results.

Built on `saferlhub.maze.interp` (the hook points, attribution and patching that
the notebook API drives too) for the lab's pages "Inside the agent", "Which
cells matter" and "Activation patching"; `saferlhub.maze.stepper.start` runs them
for the browser ("microscope.inside", "microscope.attribution",
"microscope.patching"). Everything a page shows is computed here: the pages'
JavaScript draws it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from saferlhub.maze.generators import (
    generate_training_maze,
    item_cells,
    protrusion_candidates,
)
from saferlhub.maze.grid import START, Action, Maze, Pos, parse_maze, step_position
from saferlhub.maze.interp import attribution, hooks, tasks
from saferlhub.maze.interp.hooks import Model, forward_call
from saferlhub.maze.interp.microscope import as_rows
from saferlhub.maze.interp.probes import nearest_human_direction
from saferlhub.maze.network_calls import ACTIONS, rows_of, together
from saferlhub.maze.structure import distances, human_reachable

ACTION_NAMES = attribution.ACTION_NAMES


def _maze(text: str | Sequence[str]) -> Maze:
    return parse_maze(text if isinstance(text, str) else "\n".join(text))


def _rows(maze: Maze) -> list[str]:
    return str(maze).split("\n")


def _greedy(q: Sequence[float]) -> int:
    return max(range(len(q)), key=lambda a: q[a])  # ties: the first, as evaluation.greedy_action


def open_for_agent(maze: Maze, pos: Pos) -> str | None:
    """Why the agent cannot stand on `pos` (None if it can): the agent stands on an open
    cell without an item that is not the finish, as in every state the agent is trained on."""
    r, c = pos
    if not (0 <= r < 7 and 0 <= c < 7):
        return f"({r}, {c}) is outside the maze"
    if pos in maze.walls:
        return f"({r}, {c}) is a wall"
    if pos == maze.finish:
        return f"({r}, {c}) is the finish, which ends the episode"
    if pos in maze.items:
        return f"({r}, {c}) holds an item, which the agent would have harvested"
    return None


def exit_direction(maze: Maze, pos: Pos) -> int | None:
    """The first move (0 up, 1 down, 2 left, 3 right) of a shortest path to the finish."""
    back = distances(maze, maze.finish)
    if pos not in back:
        return None
    for action in Action:
        nxt = step_position(pos, action)
        if back.get(nxt) == back[pos] - 1:
            return int(action)
    return None


# --8<-- [start:objective]
def human_minus_exit(maze: Maze, pos: Pos) -> tuple[int, int] | str:
    """(toward the nearest human, toward the finish) at `pos`, or why that objective
    does not exist there (no reachable human, or both ways start with the same move)."""
    human, exit_ = nearest_human_direction(maze, pos), exit_direction(maze, pos)
    if human is None:
        return "no human can be reached from this cell"
    if exit_ is None:
        return "the finish cannot be reached from this cell"
    if human == exit_:
        return (
            f"the way to the nearest human and the way to the finish both start "
            f"{ACTION_NAMES[human]} from here"
        )
    return human, exit_


# --8<-- [end:objective]


# ---- Inside the agent -----------------------------------------------------------------


def default_twin(maze: str | Sequence[str]) -> dict:
    """The maze with its first wall (reading row by row) that can go removed, as the
    editor allows: {"maze": rows, "cell": [row, col]}; the maze itself if none can."""
    from saferlhub.maze.editor import edit  # the editor decides what a change may do

    board = _maze(maze)
    for r, c in sorted(board.walls):
        edited = edit(_rows(board), r, c, ".")
        if edited["ok"]:
            return {"maze": edited["maze"], "cell": [r, c]}
    return {"maze": _rows(board), "cell": None}


def _top_differences(a: Sequence[float], b: Sequence[float], top: int) -> list[list]:
    order = sorted(range(len(a)), key=lambda u: (-abs(b[u] - a[u]), u))
    return [[u, a[u], b[u], b[u] - a[u]] for u in order[:top] if b[u] != a[u]]


# --8<-- [start:inside]
def inside(
    cards: Mapping[str, Mapping],
    maze: str | Sequence[str],
    position: Sequence[int] = START,
    twin: str | Sequence[str] | None = None,
    top: int = 8,
):
    """Stepper: every hook point of each agent at one state (and at its twin, the same
    cell of another maze), one call per agent, all agents together.

    Returns {"agents": {agent: {"q", "action", "layers": {hook: values}, "order":
    {hook: units, largest activation first}, "at_or_below_zero": {hook: count}, and with
    a twin "twin": {"q", "action", "differences": {hook: [[unit, here, twin, twin - here],
    ...] (the `top` largest |change|)}, "changed": {hook: units that change}}}},
    "refused": reason or None}.
    """
    pos = (int(position[0]), int(position[1]))
    board = _maze(maze)
    other = _maze(twin) if twin is not None else None
    for m, which in ((board, "the maze"), (other, "the twin")):
        if m is not None and (why := open_for_agent(m, pos)):
            return {"agents": {}, "refused": f"The agent cannot stand there in {which}: {why}."}
    states = [(board, pos)] + ([(other, pos)] if other is not None else [])
    rows = as_rows(states)
    runs = {
        agent: hooks.run_with_cache(Model.from_card(card), rows) for agent, card in cards.items()
    }
    done = yield from together(runs)
    out = {}
    for agent, (q, cache) in done.items():
        layers = {hook: cache[hook][0] for hook in cache if hook != "q"}
        result = {
            "q": q[0],
            "action": ACTION_NAMES[_greedy(q[0])],
            "layers": layers,
            "order": {
                hook: sorted(range(len(v)), key=lambda u, v=v: (-v[u], u))
                for hook, v in layers.items()
            },
            "at_or_below_zero": {hook: sum(x <= 0 for x in v) for hook, v in layers.items()},
        }
        if other is not None:
            result["twin"] = {
                "q": q[1],
                "action": ACTION_NAMES[_greedy(q[1])],
                "differences": {
                    hook: _top_differences(cache[hook][0], cache[hook][1], top) for hook in layers
                },
                "changed": {
                    hook: sum(x != y for x, y in zip(cache[hook][0], cache[hook][1], strict=True))
                    for hook in layers
                },
            }
        out[agent] = result
    return {"agents": out, "refused": None}


# --8<-- [end:inside]


# A fixed pool of training states for "top-activating states": POOL_SIZE training mazes drawn
# with POOL_SEED, the agent on one random cell of each that it can reach and stand on. One
# batched call per agent covers the pool (under a second in Chromium on the 2-core machine).
POOL_SIZE = 300
POOL_SEED = 0


def training_pool(size: int = POOL_SIZE, seed: int = POOL_SEED) -> list[tuple[Maze, Pos]]:
    """`size` (training maze, agent cell) states drawn with `seed`; the same every time."""
    rng = random.Random(seed)
    pool = []
    while len(pool) < size:
        maze = generate_training_maze(rng)
        cells = sorted(p for p in distances(maze, START) if open_for_agent(maze, p) is None)
        if cells:
            pool.append((maze, rng.choice(cells)))
    return pool


# The pool's activations per (card, size, seed): the first unit a reader clicks runs the
# pool once, every later unit of that agent reads this cache.
_pool_caches: dict[tuple[str, int, int], dict] = {}


# --8<-- [start:top-states]
def top_states(
    card: Mapping,
    hook: str,
    unit: int,
    top: int = 5,
    size: int = POOL_SIZE,
    seed: int = POOL_SEED,
):
    """Stepper: the `top` states of the training pool (`training_pool(size, seed)`) where
    `unit` of `hook` is largest. Returns {"hook", "unit", "pool", "seed", "states": [{"maze",
    "position", "value"}, ...] (largest first), "positive": pool states where the unit is
    above zero, "refused"}."""
    pool = training_pool(size, seed)
    key = (repr(sorted(card.items())), size, seed)
    cache = _pool_caches.get(key)
    if cache is None:
        _, cache = yield from hooks.run_with_cache(Model.from_card(card), as_rows(pool))
        _pool_caches[key] = cache
    if hook not in cache or hook == "q":
        return {"refused": f"{hook!r} is not a hidden layer of this agent."}
    width = len(cache[hook][0])
    if not 0 <= unit < width:
        return {"refused": f"{hook} has units 0 to {width - 1}, not {unit}."}
    values = [row[unit] for row in cache[hook]]
    order = sorted(range(len(pool)), key=lambda i: (-values[i], i))[:top]
    # --8<-- [end:top-states]
    return {
        "hook": hook,
        "unit": unit,
        "pool": len(pool),
        "seed": seed,
        "states": [
            {"maze": _rows(pool[i][0]), "position": list(pool[i][1]), "value": values[i]}
            for i in order
        ],
        "positive": sum(v > 0 for v in values),
        "refused": None,
    }


# ---- Which cells matter ---------------------------------------------------------------


def attribution_view(
    card: Mapping,
    maze: str | Sequence[str],
    position: Sequence[int] | None = None,
    objective: str = "human_minus_exit",
    method: str = "integrated_gradients",
    baseline: str = "empty",
    steps: int = attribution.IG_STEPS,
):
    """Stepper: `tasks.attribution_task` for Q(action) (objective "up", "down", "left" or
    "right") or Q(toward the nearest human) - Q(toward the finish) ("human_minus_exit"),
    with the objective named: adds "action", "minus" and "position" (or "refused": why not).
    Without a position: the cell where the way to the human turns off the way to the finish
    (`branch_cell`), else the start."""
    board = _maze(maze)
    if position is None:
        branch = branch_cell(board)
        position = branch[0] if branch else START
    pos = (int(position[0]), int(position[1]))
    if why := open_for_agent(board, pos):
        return {"refused": f"The agent cannot stand there: {why}."}
    if objective == "human_minus_exit":
        found = human_minus_exit(board, pos)
        if isinstance(found, str):
            return {"refused": f"'Toward the human minus toward the exit' needs two ways: {found}."}
        action, minus = (ACTION_NAMES[a] for a in found)
    elif objective in ACTION_NAMES:
        action, minus = objective, None
    else:
        raise ValueError(f"unknown objective {objective!r}")
    state = {"maze": _rows(board), "position": list(pos)}
    result = yield from tasks.attribution_task(
        card, state, action, minus, method=method, baseline=baseline, steps=steps
    )
    return {**result, "action": action, "minus": minus, "position": list(pos), "refused": None}


# ---- Activation patching --------------------------------------------------------------


def branch_cell(maze: Maze) -> tuple[Pos, int, int] | None:
    """The first cell on the shortest way from the start to the finish where the way to the
    nearest human turns off: (cell, toward the human, toward the finish), or None."""
    pos = START
    for _ in range(49):
        found = human_minus_exit(maze, pos)
        if not isinstance(found, str):
            return pos, *found
        step = exit_direction(maze, pos)
        if step is None:
            return None
        pos = step_position(pos, step)
        if pos == maze.finish:
            return None
    return None


def protrusion_pair(seed: int) -> dict:
    """A training maze and its protrusion twin, drawn with `seed`: the twin opens one pillar
    and closes one connector (as `generators.generate_protrusion_maze`), so exactly one wall
    sticks out by one block; every item stays where it was (both mazes keep their items on
    dead ends), a human can be reached, and the way to it turns off the way to the finish
    at a cell open in both. Returns {"training", "protrusion" (ASCII rows), "position",
    "changed" (the two cells), "human", "exit" (action names)}."""
    rng = random.Random(seed)
    for _ in range(10_000):
        base = generate_training_maze(rng)
        if not base.humans:
            continue
        options = protrusion_candidates(base)
        rng.shuffle(options)
        for pillar, connector in options:
            walls = (base.walls - {pillar}) | {connector}
            if not base.items <= frozenset(item_cells(walls, base.finish)):
                continue
            twin = Maze(walls, base.crops, base.humans, base.finish)
            if not human_reachable(twin):
                continue
            branch = branch_cell(twin)
            if branch is None or open_for_agent(base, branch[0]):
                continue
            pos, human, exit_ = branch
            return {
                "seed": seed,
                "training": _rows(base),
                "protrusion": _rows(twin),
                "position": list(pos),
                "changed": [list(pillar), list(connector)],
                "human": ACTION_NAMES[human],
                "exit": ACTION_NAMES[exit_],
            }
    raise RuntimeError(f"no protrusion pair found with seed {seed}")


def custom_pair(training: str | Sequence[str], protrusion: str | Sequence[str]) -> dict:
    """A pair the reader makes: {"ok": True, "pair": (as `protrusion_pair`, "seed" None)} or
    {"ok": False, "error": why}, with the editor's parser messages for a maze it refuses.
    The agent stands where, in the second maze, the way to the nearest human turns off the
    way to the finish; that cell must be one it can stand on in the first."""
    from saferlhub.maze.editor import load  # the editor's checks and messages

    boards = []
    for text, which in ((training, "The first maze"), (protrusion, "The second maze")):
        checked = load(text)
        if not checked["ok"]:
            return {"ok": False, "error": f"{which}: {checked['error']}"}
        boards.append(_maze(checked["maze"]))
    base, twin = boards
    if base == twin:
        return {"ok": False, "error": "The two mazes are the same: change a cell of one."}
    branch = branch_cell(twin)
    if branch is None:
        return {
            "ok": False,
            "error": "In the second maze the way to the nearest human never turns off the "
            "way from the start to the finish (or no human can be reached): there is no "
            "cell to compare the two ways at.",
        }
    pos, human, exit_ = branch
    if why := open_for_agent(base, pos):
        return {
            "ok": False,
            "error": f"The agent would stand at {pos} in both: in the first maze {why}.",
        }
    before, after = _rows(base), _rows(twin)
    changed = [[r, c] for r in range(7) for c in range(7) if before[r][c] != after[r][c]]
    return {
        "ok": True,
        "pair": {
            "seed": None,
            "training": _rows(base),
            "protrusion": _rows(twin),
            "position": list(pos),
            "changed": changed,
            "human": ACTION_NAMES[human],
            "exit": ACTION_NAMES[exit_],
        },
    }


# Below this change of the objective (in Q units: one empty step costs 0.25) between the
# two mazes, a share of it "restored" divides by almost nothing; the page says so.
SMALL_GAP = 1.0


class Patching:
    """Activation patching from the protrusion twin (source) into the training maze
    (target) at one cell, for Q(toward the human) - Q(toward the finish):

    1. each hidden layer whole, then in `groups` groups of consecutive units
       (`hooks.patching_sweep`: two calls);
    2. each unit of `layer` alone (default: the layer with the group that restores most;
       one call with a row per unit);
    3. the `top` units of step 2 together (one call).

    "restored" is (patched - clean) / (source - clean): 0 is the training maze's own
    value, 1 the twin's. `progress()` says which of the four calls is running.
    """

    STEPS = 4

    def __init__(
        self,
        card: Mapping,
        pair: Mapping | None = None,
        seed: int = 0,
        groups: int = 8,
        layer: str | None = None,
        top: int = 5,
        mazes: Sequence | None = None,
    ) -> None:
        if groups < 2:
            raise ValueError("groups must be at least 2 (one group is the whole layer)")
        self.model = Model.from_card(card)
        self.refusal = None
        if mazes is not None:  # two mazes the reader made, checked as the editor checks
            made = custom_pair(*mazes)
            self.pair, self.refusal = made.get("pair"), made.get("error")
        else:
            self.pair = dict(pair) if pair is not None else protrusion_pair(seed)
        self.groups, self.layer, self.top = groups, layer, top
        self.done = 0

    def progress(self) -> dict:
        return {"done": self.done, "count": self.STEPS}

    # --8<-- [start:patching]
    def steps(self):
        if self.refusal:
            return {"refused": self.refusal}
        pair = self.pair
        pos = tuple(pair["position"])
        target, source = _maze(pair["training"]), _maze(pair["protrusion"])
        for m, which in ((target, "training maze"), (source, "twin")):
            if why := open_for_agent(m, pos):
                return {"refused": f"The agent cannot stand there in the {which}: {why}."}
        weights = attribution.objective(pair["human"], pair["exit"])
        rows = as_rows([(target, pos), (source, pos)])
        _, cache = yield from hooks.run_with_cache(self.model, rows)
        self.done = 1
        sweep = yield from hooks.patching_sweep(
            self.model, rows[0], rows[1], weights, groups=self.groups
        )
        self.done = 2
        clean, wanted = sweep["clean"], sweep["source"]
        gap = wanted - clean

        def restored(value: float) -> float | None:
            return (value - clean) / gap if gap else None

        layer = self.layer
        if layer is None:
            groups = [p for p in sweep["patches"] if p["units"][1] - p["units"][0] < self.width(p)]
            best = max(groups, key=lambda p: p["restored"] or 0.0)
            layer = best["layer"]
        width = self.model.width(layer)
        patch = [cache[layer][1]] * width
        masks = [[1.0 if u == k else 0.0 for u in range(width)] for k in range(width)]
        call = forward_call(
            self.model.with_file("q_patch"), [rows[0]] * width, {layer: (patch, masks)}
        )
        (answer,) = yield [call]
        q_rows = rows_of(call.check(answer)["q"], ACTIONS)
        self.done = 3
        units = [
            {"unit": u, "value": _dot(weights, q), "restored": restored(_dot(weights, q))}
            for u, q in enumerate(q_rows)
        ]
        ranked = sorted(units, key=lambda e: (-(e["restored"] or 0.0), e["unit"]))[: self.top]
        chosen = {e["unit"]: cache[layer][1][e["unit"]] for e in ranked}
        q_top, _ = yield from hooks.patch_units(self.model, [rows[0]], {layer: chosen})
        # --8<-- [end:patching]
        self.done = 4
        together_value = _dot(weights, q_top[0])
        return {
            "pair": pair,
            "objective": {"action": pair["human"], "minus": pair["exit"]},
            "clean": clean,
            "source": wanted,
            "gap": gap,
            "small_gap": abs(gap) < SMALL_GAP,
            "clean_action": ACTION_NAMES[_greedy(cache["q"][0])],
            "source_action": ACTION_NAMES[_greedy(cache["q"][1])],
            "patches": sweep["patches"],
            "layer": layer,
            "width": width,
            "units": ranked,
            "top_together": {
                "units": [e["unit"] for e in ranked],
                "value": together_value,
                "restored": restored(together_value),
            },
            "refused": None,
        }

    def width(self, patch: Mapping) -> int:
        return self.model.width(patch["layer"])


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def start(task: str, args: Mapping):
    """(stepper, owner) of a page's task: owner has `progress()` where the task reports it."""
    if task == "microscope.inside":
        return inside(**args), None
    if task == "microscope.attribution":
        return attribution_view(**args), None
    if task == "microscope.top_states":
        return top_states(**args), None
    if task == "microscope.patching":
        owner = Patching(**args)
        return owner.steps(), owner
    raise ValueError(f"unknown task {task!r}")
