"""Maze exercises, after the original inner-alignment exercise: from the board to the
network's input, the DQN's Bellman target and loss, and one step of dreaming.

A maze is given as 7 strings of `#` wall, `.` empty, `C` crop, `H` human, `F`
finish (as `saferlhub.maze.render_maze` writes it). The checks draw boards from
the training generator and the original's failure mazes. The dreaming
exercises use a small random network in plain Python (`saferlhub.maze.MLP`)
as a stand-in for the agent's ONNX gradient model: grading runs inside the
Python worker, which cannot await onnxruntime-web.
"""

from __future__ import annotations

import random

from saferlhub.exercises.grading import Case, Exercise, Mistake, compare
from saferlhub.maze import (
    ENCODING_SPEC,
    FAILURE_MAZES,
    MLP,
    ORIGINAL_REWARDS,
    encode,
    generate_training_maze,
    parse_maze,
    render_maze,
)

LESSON = "maze/play.md"


def board_rows(maze) -> list[str]:
    return render_maze(maze).splitlines()


def _boards(rng: random.Random, count: int) -> list[list[str]]:
    boards = [
        [line.strip() for line in text.strip().splitlines()] for text in FAILURE_MAZES.values()
    ]
    boards += [board_rows(generate_training_maze(rng)) for _ in range(count)]
    return boards


def _board_cases(rng: random.Random, count: int = 30) -> list[Case]:
    return [
        Case((rows,), "a failure maze" if i < 3 else "a training maze")
        for i, rows in enumerate(_boards(rng, count))
    ]


# --- open cells ---------------------------------------------------------------


def open_cells(rows):
    """Every cell that is not a wall, as (row, col), row by row."""
    cells = []
    for r, row in enumerate(rows):
        for c, symbol in enumerate(row):
            if symbol != "#":
                cells.append((r, c))
    return cells


OPEN_CELLS = Exercise(
    id="maze-open-cells",
    title="List the open cells",
    topic="The maze",
    entry="open_cells",
    reference=open_cells,
    lesson=LESSON,
    checks=(
        compare(
            "matches the reference on 33 mazes",
            _board_cases,
            open_cells,
            entry="open_cells",
            mistakes=(
                Mistake(
                    lambda rows: [
                        (c, r) for r, row in enumerate(rows) for c, s in enumerate(row) if s != "#"
                    ],
                    "Give each cell as (row, col): the row first.",
                ),
                Mistake(
                    lambda rows: [
                        (r, c) for r, row in enumerate(rows) for c, s in enumerate(row) if s == "."
                    ],
                    "Crops, humans and the finish are open cells too: only '#' is a wall.",
                ),
            ),
        ),
    ),
    hints=(
        "Loop over the rows with enumerate(rows), then over each row's symbols.",
        "Keep (r, c) whenever the symbol is not '#'.",
    ),
)


# --- reward grid --------------------------------------------------------------


def reward_grid(rows):
    """The reward for entering each cell: a 7x7 list of lists."""
    reward_of = {
        "#": ORIGINAL_REWARDS.wall,  # a bump: the agent stays where it is
        ".": ORIGINAL_REWARDS.empty,
        "C": ORIGINAL_REWARDS.crop,
        "H": ORIGINAL_REWARDS.human,
        "F": ORIGINAL_REWARDS.finish,
    }
    return [[reward_of[symbol] for symbol in row] for row in rows]


def _walls_free(rows):
    return [[0.0 if v == ORIGINAL_REWARDS.wall else v for v in row] for row in reward_grid(rows)]


REWARD_GRID = Exercise(
    id="maze-reward-grid",
    title="Build the reward grid",
    topic="The maze",
    entry="reward_grid",
    reference=reward_grid,
    solution_imports="from saferlhub.maze import ORIGINAL_REWARDS",
    lesson=LESSON,
    checks=(
        compare(
            "matches the reference on 33 mazes",
            _board_cases,
            reward_grid,
            entry="reward_grid",
            mistakes=(
                Mistake(
                    _walls_free,
                    "Moving into a wall is not free: it costs ORIGINAL_REWARDS.wall and the "
                    "agent stays where it is.",
                ),
            ),
        ),
    ),
    hints=(
        "Make a dict from symbol to reward using the fields of ORIGINAL_REWARDS "
        "(empty, crop, human, finish, wall).",
        "Then one list per row: [reward_of[s] for s in row].",
    ),
)


# --- the network's input ------------------------------------------------------


def encode_input(rows, position):
    """The network's input for this board with the agent at `position`: 245 floats."""
    x = [0.0] * ENCODING_SPEC["input_size"]
    start = {plane["name"]: plane["start"] for plane in ENCODING_SPEC["planes"]}
    plane_of = {"#": "walls", "C": "crops", "H": "humans", "F": "finish"}
    width = ENCODING_SPEC["grid"][1]
    for r, row in enumerate(rows):
        for c, symbol in enumerate(row):
            if symbol in plane_of:
                x[start[plane_of[symbol]] + r * width + c] = 1.0
    row, col = position
    x[start["agent"] + row * width + col] = 1.0
    return x


def _column_major(rows, position):
    x = encode_input(rows, position)
    planes = [x[i : i + 49] for i in range(0, 245, 49)]
    return [plane[c * 7 + r] for plane in planes for r in range(7) for c in range(7)]


def _no_agent(rows, position):
    x = encode_input(rows, position)
    return x[:196] + [0.0] * 49


def _encoding_cases(rng: random.Random) -> list[Case]:
    cases = []
    for rows in _boards(rng, 30):
        maze = parse_maze("\n".join(rows))
        free = [p for p in maze.open_cells if p not in maze.items and p != maze.finish]
        cases.append(Case((rows, rng.choice(free)), "the agent on a random free cell"))
    return cases


ENCODE_INPUT = Exercise(
    id="maze-encode-input",
    title="Encode a maze and a position as the network's input",
    topic="The maze",
    entry="encode_input",
    reference=encode_input,
    solution_imports="from saferlhub.maze import ENCODING_SPEC",
    lesson=LESSON,
    checks=(
        compare(
            "matches saferlhub.maze.encode on 33 mazes",
            _encoding_cases,
            encode_input,
            entry="encode_input",
            mistakes=(
                Mistake(
                    _column_major,
                    "Each plane is row-major: the index inside a plane is "
                    "row * 7 + col, not col * 7 + row.",
                ),
                Mistake(_no_agent, "Mark the agent too: a 1.0 on the agent plane at `position`."),
            ),
        ),
    ),
    hints=(
        "Start from 245 zeros. ENCODING_SPEC['planes'] gives each plane's name and start.",
        "A cell (r, c) of plane p is at index start_of_p + r * 7 + c.",
        "Walls, crops, humans and the finish come from the symbols; the agent from `position`.",
    ),
)


# --- the Bellman target and the TD loss ---------------------------------------


def bellman_target(reward, next_q_values, terminated, gamma):
    """The DQN's regression target r + gamma * max_a' Q_target(s', a'); r alone at the end."""
    if terminated:
        return reward
    return reward + gamma * max(next_q_values)


def _random_qs(rng: random.Random) -> list[float]:
    return [round(rng.uniform(-12, 12), 3) for _ in range(4)]


def _target_cases(rng: random.Random) -> list[Case]:
    cases = [
        Case((10.0, [1.0, 2.0, 3.0, 4.0], True, 0.95), "entering the finish ends the episode"),
        Case((-0.25, [1.0, -2.0, 3.0, 0.5], False, 0.95), "an ordinary move"),
        Case((-5.0, [-1.0, -2.0, -3.0, -4.0], False, 0.95), "all next Q-values negative"),
    ]
    for _ in range(40):
        reward = rng.choice([-0.25, 2.0, -11.0, 10.0, -5.0])
        cases.append(
            Case(
                (reward, _random_qs(rng), reward == 10.0, rng.choice([0.9, 0.95, 1.0])),
                "a random transition",
            )
        )
    return cases


BELLMAN_MISTAKES = (
    Mistake(
        lambda r, q, t, g: r + g * max(q),
        "Entering the finish ends the episode "
        "(terminated): nothing follows, so the target is the reward alone.",
    ),
    Mistake(
        lambda r, q, t, g: r if t else r + g * min(q),
        "The target bootstraps from the best next action, max(next_q_values), not the worst "
        "(min): it is what acting well from the next state is worth.",
    ),
    Mistake(
        lambda r, q, t, g: 0.0 if t else r + g * max(q),
        "When the episode ends (terminated) the target is the reward itself, not 0: "
        "entering the finish still pays its reward; only gamma * max(next_q_values) goes.",
    ),
    Mistake(
        lambda r, q, t, g: r if t else r + g * sum(q) / len(q),
        "Q-learning bootstraps from the best next action, max(next_q_values), not their mean.",
    ),
)

BELLMAN_TARGET = Exercise(
    id="maze-bellman-target",
    title="The Bellman target",
    topic="The maze",
    entry="bellman_target",
    reference=bellman_target,
    lesson=LESSON,
    checks=(
        compare(
            "matches the reference on 43 transitions",
            _target_cases,
            bellman_target,
            entry="bellman_target",
            mistakes=BELLMAN_MISTAKES,
        ),
    ),
    hints=(
        "If terminated, return the reward.",
        "Otherwise reward + gamma * max(next_q_values).",
    ),
)


def td_loss(batch, q_network, target_network, gamma):
    """Mean squared TD error over a batch of (x, action, reward, next_x, terminated)."""
    total = 0.0
    for x, action, reward, next_x, terminated in batch:
        target = reward if terminated else reward + gamma * max(target_network(next_x))
        total += (q_network(x)[action] - target) ** 2
    return total / len(batch)


def _online_target(batch, q_network, target_network, gamma):
    return td_loss(batch, q_network, q_network, gamma)


def _summed(batch, q_network, target_network, gamma):
    return td_loss(batch, q_network, target_network, gamma) * len(batch)


def _no_terminal(batch, q_network, target_network, gamma):
    return td_loss(
        [(x, a, r, nx, False) for x, a, r, nx, _ in batch], q_network, target_network, gamma
    )


def _td_loss_with_target(target_of):
    def loss(batch, q_network, target_network, gamma):
        total = 0.0
        for x, action, reward, next_x, terminated in batch:
            target = target_of(reward, target_network(next_x), terminated, gamma)
            total += (q_network(x)[action] - target) ** 2
        return total / len(batch)

    return loss


def _loss_cases(rng: random.Random) -> list[Case]:
    size = 6  # tiny stand-in inputs: the loss does not care what x encodes
    online = MLP.random([size, 8, 4], random.Random(rng.random()))
    frozen = MLP.random([size, 8, 4], random.Random(rng.random()))

    def q_network(x):
        return online(x)

    def target_network(x):
        return frozen(x)

    cases = []
    for n in [1, 2, 5, 8] + [rng.randint(1, 16) for _ in range(16)]:
        batch = []
        for _ in range(n):
            reward = rng.choice([-0.25, 2.0, -11.0, 10.0, -5.0])
            batch.append(
                (
                    [rng.choice([0.0, 1.0]) for _ in range(size)],
                    rng.randrange(4),
                    reward,
                    [rng.choice([0.0, 1.0]) for _ in range(size)],
                    reward == 10.0,
                )
            )
        cases.append(Case((batch, q_network, target_network, 0.95), f"a batch of {n}"))
    return cases


TD_LOSS = Exercise(
    id="maze-td-loss",
    title="The TD loss over a batch",
    topic="The maze",
    entry="td_loss",
    reference=td_loss,
    lesson=LESSON,
    checks=(
        compare(
            "matches the reference on 20 batches",
            _loss_cases,
            td_loss,
            entry="td_loss",
            mistakes=(
                Mistake(
                    _online_target,
                    "The target comes from target_network, the frozen "
                    "copy, not from q_network: that is what keeps the target still while "
                    "the network learns.",
                ),
                Mistake(
                    _summed,
                    "Average over the batch (divide by len(batch)): the mean "
                    "squared error, not the sum.",
                ),
                Mistake(_no_terminal, "At a terminal transition the target is the reward alone."),
                Mistake(
                    _td_loss_with_target(BELLMAN_MISTAKES[1].function),
                    "The target uses the best next action, max(target_network(next_x)), not "
                    "the worst (min).",
                ),
                Mistake(
                    _td_loss_with_target(BELLMAN_MISTAKES[2].function),
                    "At a terminal transition the target is the reward itself, not 0: only "
                    "the bootstrap term goes.",
                ),
            ),
        ),
    ),
    hints=(
        "For each transition: the target as in the Bellman-target exercise, using "
        "target_network(next_x).",
        "The prediction is q_network(x)[action]; add (prediction - target) ** 2.",
        "Return the total divided by len(batch).",
    ),
)


# --- dreaming -----------------------------------------------------------------


def mask_wall_gradient(gradient):
    """Keep the gradient on the wall plane; zero everywhere else."""
    walls = next(p for p in ENCODING_SPEC["planes"] if p["name"] == "walls")
    return [g if walls["start"] <= i < walls["stop"] else 0.0 for i, g in enumerate(gradient)]


def _gradient_cases(rng: random.Random) -> list[Case]:
    cases = [Case(([1.0] * 245,), "a gradient of ones: 49 stay, 196 become 0")]
    cases += [
        Case(([round(rng.gauss(0, 1), 4) for _ in range(245)],), "a random gradient")
        for _ in range(20)
    ]
    return cases


MASK_WALL_GRADIENT = Exercise(
    id="maze-mask-gradient",
    title="Mask a gradient to the wall plane",
    topic="Dreaming",
    entry="mask_wall_gradient",
    reference=mask_wall_gradient,
    solution_imports="from saferlhub.maze import ENCODING_SPEC",
    lesson="maze/dreaming.md",
    checks=(
        compare(
            "matches the reference on 21 gradients",
            _gradient_cases,
            mask_wall_gradient,
            entry="mask_wall_gradient",
            advice="Only the walls may change when dreaming: keep the entries of the wall "
            "plane (ENCODING_SPEC's plane named 'walls') and set every other entry to 0.0.",
        ),
    ),
    hints=(
        "Find the wall plane's start and stop in ENCODING_SPEC['planes'].",
        "Return a new list of 245 floats: g where start <= i < stop, else 0.0.",
    ),
)


def dream_objective(q_values, action):
    """Q of the move onto the human minus the mean of the other three Q-values."""
    others = [q for a, q in enumerate(q_values) if a != action]
    return q_values[action] - sum(others) / len(others)


def _objective_cases(rng: random.Random) -> list[Case]:
    cases = [
        Case(([1.0, 2.0, 3.0, 4.0], 3), "moving right onto the human"),
        Case(([5.0, 5.0, 5.0, 5.0], 0), "all equal: the objective is 0"),
    ]
    cases += [Case((_random_qs(rng), rng.randrange(4)), "random Q-values") for _ in range(40)]
    return cases


DREAM_OBJECTIVE = Exercise(
    id="maze-dream-objective",
    title="The dreaming objective",
    topic="Dreaming",
    entry="dream_objective",
    reference=dream_objective,
    lesson="maze/dreaming.md",
    checks=(
        compare(
            "matches the reference on 42 cases",
            _objective_cases,
            dream_objective,
            entry="dream_objective",
            mistakes=(
                Mistake(
                    lambda q, a: (sum(q) - q[a]) / (len(q) - 1) - q[a],
                    "The sign is flipped: the objective is Q(action) minus the mean of the "
                    "others, and yours is the mean minus Q(action). Ascending it would make "
                    "the move onto the human look worse, not better.",
                ),
                Mistake(
                    lambda q, a: q[a] - (sum(q) - q[a]),
                    "Subtract the mean of the other three Q-values, not their sum.",
                ),
                Mistake(
                    lambda q, a: q[a] - sum(q) / len(q),
                    "The mean of the *other* three: leave Q(action) itself out.",
                ),
            ),
        ),
    ),
    hints=(
        "others = the Q-values of every action except `action`.",
        "Return q_values[action] - sum(others) / len(others).",
    ),
)


def ascent_step(x, action, network, learning_rate):
    """One gradient-ascent step on the wall plane of input x, walls kept in [0, 1].

    network(x, weights) returns (q_values, gradient of sum(weights[a] * q[a]) w.r.t. x).
    """
    weights = [1.0 if a == action else -1.0 / 3.0 for a in range(4)]  # the objective's
    _, gradient = network(x, weights)
    walls = next(p for p in ENCODING_SPEC["planes"] if p["name"] == "walls")
    stepped = list(x)
    for i in range(walls["start"], walls["stop"]):
        stepped[i] = min(1.0, max(0.0, x[i] + learning_rate * gradient[i]))
    return stepped


def _descends(x, action, network, learning_rate):
    return ascent_step(x, action, network, -learning_rate)


def _unclamped(x, action, network, learning_rate):
    weights = [1.0 if a == action else -1.0 / 3.0 for a in range(4)]
    _, gradient = network(x, weights)
    return [
        v + learning_rate * g if i < 49 else v
        for i, (v, g) in enumerate(zip(x, gradient, strict=True))
    ]


def _every_plane(x, action, network, learning_rate):
    weights = [1.0 if a == action else -1.0 / 3.0 for a in range(4)]
    _, gradient = network(x, weights)
    return [min(1.0, max(0.0, v + learning_rate * g)) for v, g in zip(x, gradient, strict=True)]


def _ascent_cases(rng: random.Random) -> list[Case]:
    mlp = MLP.random([245, 16, 4], random.Random(rng.random()))

    def network(x, weights):
        return mlp.q_and_input_gradient(x, weights)

    cases = []
    for i, rows in enumerate(_boards(rng, 12)):
        maze = parse_maze("\n".join(rows))
        free = [p for p in maze.open_cells if p not in maze.items and p != maze.finish]
        x = encode(maze, rng.choice(free))
        learning_rate = [0.001, 0.1, 2.0][i % 3]
        note = "a large step: clamp the walls to [0, 1]" if learning_rate > 1 else "a small step"
        cases.append(Case((x, rng.randrange(4), network, learning_rate), note))
    return cases


ASCENT_STEP = Exercise(
    id="maze-ascent-step",
    title="One step of dreaming",
    topic="Dreaming",
    entry="ascent_step",
    reference=ascent_step,
    solution_imports="from saferlhub.maze import ENCODING_SPEC",
    lesson="maze/dreaming.md",
    checks=(
        compare(
            "matches the reference on 15 boards",
            _ascent_cases,
            ascent_step,
            entry="ascent_step",
            mistakes=(
                Mistake(
                    _descends,
                    "That is a descent step: to make the objective grow, add "
                    "learning_rate * gradient.",
                ),
                Mistake(_unclamped, "Clamp each wall value to [0, 1]: min(1.0, max(0.0, v))."),
                Mistake(
                    _every_plane,
                    "Change the wall plane only: crops, humans, the finish "
                    "and the agent stay as they are.",
                ),
            ),
        ),
    ),
    hints=(
        "The objective Q(action) - mean of the others is the weighted sum of the Q-values "
        "with weight 1 for `action` and -1/3 for each other: pass those weights to network.",
        "network(x, weights) returns (q_values, gradient); you need the gradient.",
        "Copy x; for each index of the wall plane set min(1.0, max(0.0, x[i] + "
        "learning_rate * gradient[i])).",
    ),
)


EXERCISES = (
    OPEN_CELLS,
    REWARD_GRID,
    ENCODE_INPUT,
    BELLMAN_TARGET,
    TD_LOSS,
    MASK_WALL_GRADIENT,
    DREAM_OBJECTIVE,
    ASCENT_STEP,
)
