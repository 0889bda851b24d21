"""Fingerprints of the maze package's outputs, recorded before it was made faster.

The model cards' numbers, which an e2e test checks against the page exactly, depend
on every random draw of the generators being the same (same calls to the generator,
in the same order) and on every float the solver and the steppers compute. Each test
here hashes the JSON of one family of outputs and compares it with the digest the
code gave before any speed-up; a speed-up that changes a single draw or a single
bit of a value changes a digest.

To see what changed, run this file as a script: it prints every digest.
"""

import hashlib
import json
import random
import sys

import pytest

from saferlhub.maze import dream_stepper, stepper
from saferlhub.maze.dreaming import dream_scene, project_walls
from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.env import FLIPPED_REWARDS, MazeEnv
from saferlhub.maze.generators import (
    DISTRIBUTIONS,
    FAILURE_MAZES,
    ROOMS,
    carve_training_walls,
    failure_maze,
    generate_protrusion_maze,
    maze_set,
    protrusion_candidates,
    training_distribution_statistics,
)
from saferlhub.maze.grid import Maze, reachable_cells
from saferlhub.maze.network import MLP
from saferlhub.maze.solver import optimal_policy_map, optimal_q_function, solve
from saferlhub.maze.structure import (
    dead_ends,
    distances,
    has_open_square,
    is_tree,
    items_behind_finish,
    single_block_protrusions,
)


def digest(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def maze_json(maze: Maze) -> list:
    return [sorted(maze.walls), sorted(maze.crops), sorted(maze.humans), maze.finish]


# (distribution, count, seed, split, require_reachable_human, start)
SETS = [
    (d, 12, seed, split, human, start)
    for d in DISTRIBUTIONS
    for seed, split, human, start in (
        (0, "any", False, 0),
        (1, "eval", True, 5),
        (7, "train", False, 0),
    )
]


def sample_mazes() -> list[Maze]:
    mazes = [failure_maze(name) for name in sorted(FAILURE_MAZES)]
    for d, count, seed, split, human, start in SETS:
        mazes += maze_set(
            d, count, seed=seed, split=split, require_reachable_human=human, start=start
        )
    return mazes


def maze_sets() -> list:
    return [
        maze_json(m)
        for d, count, seed, split, human, start in SETS
        for m in maze_set(
            d, count, seed=seed, split=split, require_reachable_human=human, start=start
        )
    ]


def protrusion_draws() -> list:
    # The generator's own arguments, and what the random stream looks like afterwards.
    result = []
    for seed in range(6):
        rng = random.Random(seed)
        maze = generate_protrusion_maze(rng, items="keep", require_reachable_human=seed % 2 == 0)
        result.append([maze_json(maze), rng.random()])
    return result


def structure() -> list:
    result = []
    for maze in sample_mazes():
        result.append(
            [
                sorted(reachable_cells(maze)),
                sorted(reachable_cells(maze, through_finish=True)),
                dead_ends(maze),
                is_tree(maze),
                has_open_square(maze),
                sorted(items_behind_finish(maze)),
                sorted(distances(maze, (0, 0)).items()),
                single_block_protrusions(maze),
                protrusion_candidates(maze) if is_tree(maze) else None,
            ]
        )
    return result


def solver_values() -> list:
    result = []
    for k, maze in enumerate(sample_mazes()):
        solution = solve(maze)
        row = [
            solution.value(),
            solution.q_values(),
            solve(maze, rewards=FLIPPED_REWARDS).q_values(),
            solve(maze, must_harvest_human=True).value(),
            sorted(optimal_policy_map(maze).items()),
        ]
        if k % 16 == 0:  # value iteration is slow: a few mazes
            row.append(solve(maze, gamma=0.9).q_values())
            row.append(solution.route())
        result.append(row)
    return result


NETS = {
    "mlp": MLP.random([INPUT_SIZE, 8, 4], random.Random(5)),
    "other": MLP.random([INPUT_SIZE, 8, 4], random.Random(6)),
}
Q_FUNCTIONS = {
    "optimal/q_network": optimal_q_function(),
    "seeker/q_network": optimal_q_function(rewards=FLIPPED_REWARDS),
    "mlp/q_network": NETS["mlp"],
}


def battery() -> dict:
    run = stepper.Battery([model.split("/")[0] for model in Q_FUNCTIONS], 10, seed=1, chunk=4)
    network = stepper.python_network(Q_FUNCTIONS)
    return {
        "report": stepper.drive(run.steps(), network),
        "play": stepper.drive(
            stepper.play_steps(["mlp", "seeker"], [failure_maze("bad2"), failure_maze("bad0")]),
            network,
        ),
    }


def gradient_network(call):
    net = NETS[call.model.split("/")[0]]
    obs = stepper.rows_of(call.inputs["obs"], INPUT_SIZE)
    if call.model.endswith("q_network"):
        return {"q": [v for x in obs for v in net(x)]}
    q, grad = [], []
    for x, w in zip(obs, stepper.rows_of(call.inputs["weights"], 4), strict=True):
        qs, g = net.q_and_input_gradient(x, w)
        q.extend(qs)
        grad.extend(g)
    return {"q": q, "grad": grad}


def dream_session() -> list:
    reports = []
    for cells, starts in (("all", ["scene", "training", "random"]), ("pillars", ["empty"])):
        session = dream_stepper.DreamSession(
            ["mlp", "other"],
            {"maze": "bad2"},
            steps=12,
            restarts=4,
            starts=starts,
            seed=3,
            cells=cells,
            baseline=12,
            record_all_walls=True,  # the whole report, as when the digest was recorded
        )
        reports.append(stepper.drive(session.run(), gradient_network))
    scene = dream_scene(failure_maze("bad1"))
    rng = random.Random(9)
    projections = [project_walls([rng.random() for _ in range(49)], scene) for _ in range(20)]
    projections += [project_walls([rng.random() for _ in range(49)], scene, 0.5, ROOMS)]
    reports.append([[maze_json(p.maze), p.forced_open, p.opened] for p in projections])
    return reports


def environment() -> list:
    env = MazeEnv()
    rng = random.Random(2)
    steps = []
    for episode in range(4):
        obs, info = env.reset(seed=episode)
        steps.append([obs, info])
        done = False
        while not done:
            obs, reward, terminated, truncated, info = env.step(rng.randrange(4))
            steps.append(
                [sum(i * v for i, v in enumerate(obs)), reward, terminated, truncated, info]
            )
            done = terminated or truncated
    steps.append(encode(failure_maze("bad2"), (3, 2)))
    return steps


FINGERPRINTS = {
    "maze_sets": maze_sets,
    "protrusion_draws": protrusion_draws,
    "structure": structure,
    "solver_values": solver_values,
    "battery": battery,
    "dream_session": dream_session,
    "environment": environment,
    "training_statistics": training_distribution_statistics,
}

# Recorded from the code before any speed-up (commit 5441544).
EXPECTED = {
    "maze_sets": "9c7a2449501d997c90c354176df9457840a94e962e833a6ad4642cea5bc9babd",
    "protrusion_draws": "bcd32ea78c7c77b017d5bf659a27a7764e6730fc1b1a7f758dfe5b8cbf803f21",
    "structure": "36bbda979b13b9395281a9ca4e01aaf8b847cbf7d9f746271ca8313e784aa4f5",
    "solver_values": "42c77c6989b05a451cc5a9d1a3fc5c846e15ea6cf230cf5eb7ec7b930cfe7c05",
    "battery": "bdf7901c1c425278de2b6b99bbd3dcb787b5cbfbcbb914bfa52371488cdeb1d5",
    "dream_session": "5f144a562396d1f20cb773ad784803614e4f2d7dffd54aa26b09be492568aa58",
    "environment": "70c9787ff02e120256ac9224b30a42ba7de73e3a63157788c98dcc43f48392a5",
    "training_statistics": "cb99096aa027169418514b49fb71928dad14f3d5571f78aaf8208c3e7337a31f",
}


# Where the interpreter's arithmetic differs, the same code gives other digests, also
# recorded from the code before the speed-up: from Python 3.12 on, sum() of floats is
# compensated (the stand-in MLP's dot products), and Pyodide's dreaming differs again
# (another C maths library under exp and log).
if sys.version_info >= (3, 12):
    EXPECTED["battery"] = "c934d292910c225400845c2c02381e59de80f45eb5af8e9f6842ebb8097a8c84"
    EXPECTED["dream_session"] = (
        "d03cb5190cc32dd86e78561b9c3cf6d4dd4e74aeb925cca2c1e6c2975affdafa"
        if sys.platform == "emscripten"
        else "e096fbf34dd38a8b01a937fa00434eeb9d8bae9ff3ae5b6972dceab21ddb502c"
    )


@pytest.mark.parametrize("name", list(FINGERPRINTS))
def test_outputs_are_unchanged(name):
    assert digest(FINGERPRINTS[name]()) == EXPECTED[name], (
        f"{name} differs from the code before the speed-up: some random draw or value changed"
    )


if __name__ == "__main__":
    for name, make in FINGERPRINTS.items():
        print(f"    {name!r}: {digest(make())!r},")


def reference_carve(rng: random.Random) -> frozenset:
    """The training carver as it was first written (`rng.choice` over fresh options)."""
    walls = {(r, c) for r in range(7) for c in range(7)} - {(0, 0)}
    stack = [(0, 0)]
    while stack:
        r, c = stack[-1]
        options = [
            ((r + dr, c + dc), (r + 2 * dr, c + 2 * dc))
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
            if 0 <= r + 2 * dr < 7
            and 0 <= c + 2 * dc < 7
            and (r + dr, c + dc) in walls
            and (r + 2 * dr, c + 2 * dc) in walls
        ]
        if not options:
            stack.pop()
            continue
        near, far = rng.choice(options)
        walls -= {near, far}
        stack.append(far)
    return frozenset(walls)


@pytest.mark.parametrize("seed", range(0, 400, 40))
def test_the_carver_makes_the_draws_of_rng_choice(seed):
    fast, slow = random.Random(seed), random.Random(seed)
    for draw in range(40):
        assert carve_training_walls(fast) == reference_carve(slow), f"seed {seed}, draw {draw}"
    assert fast.getstate() == slow.getstate()
