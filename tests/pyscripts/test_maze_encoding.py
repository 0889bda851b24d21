"""The network input: five 7x7 planes, 245 floats."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferlhub.maze.encoding import (
    AGENT_PLANE,
    CROP_PLANE,
    ENCODING_SPEC,
    FINISH_PLANE,
    HUMAN_PLANE,
    INPUT_SIZE,
    PLANE_OFFSETS,
    PLANES,
    WALL_PLANE,
    decode,
    encode,
    encode_with_walls,
    input_index,
)
from saferlhub.maze.generators import generate_protrusion_maze, generate_training_maze
from saferlhub.maze.grid import ALL_CELLS, FINISH, parse_maze

SETTINGS = settings(max_examples=60, derandomize=True, deadline=None)


def test_layout_constants():
    assert PLANES == ("walls", "crops", "humans", "finish", "agent")
    assert INPUT_SIZE == 245
    assert PLANE_OFFSETS == {"walls": 0, "crops": 49, "humans": 98, "finish": 147, "agent": 196}
    slices = [WALL_PLANE, CROP_PLANE, HUMAN_PLANE, FINISH_PLANE, AGENT_PLANE]
    assert [(s.start, s.stop) for s in slices] == [
        (0, 49),
        (49, 98),
        (98, 147),
        (147, 196),
        (196, 245),
    ]
    assert input_index("humans", (2, 3)) == 98 + 2 * 7 + 3
    assert json.loads(json.dumps(ENCODING_SPEC))["planes"][4] == {
        "name": "agent",
        "start": 196,
        "stop": 245,
    }


def test_one_board_by_hand():
    maze = parse_maze(".C#....\n.#.#.#.\nH#.....\n.#.###.\n.#...#.\n.###.#.\n.....#F")
    x = encode(maze, (0, 0))
    assert len(x) == INPUT_SIZE and set(x) == {0.0, 1.0}
    assert x[0 * 7 + 2] == 1.0  # wall at (0, 2)
    assert x[49 + 1] == 1.0  # crop at (0, 1)
    assert x[98 + 14] == 1.0  # human at (2, 0)
    assert x[147 + 48] == 1.0  # finish at (6, 6): encoded, unlike the original
    assert x[196] == 1.0  # agent at (0, 0)
    assert sum(x[WALL_PLANE]) == len(maze.walls)
    assert sum(x) == len(maze.walls) + 1 + 1 + 1 + 1


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), protrusion=st.booleans())
def test_encode_decode_round_trip(seed, protrusion):
    rng = random.Random(seed)
    maze = generate_protrusion_maze(rng) if protrusion else generate_training_maze(rng)
    position = rng.choice([p for p in maze.open_cells if p != FINISH])
    x = encode(maze, position)
    assert decode(x) == (maze, position)
    assert [p for i, p in enumerate(ALL_CELLS) if x[i]] == sorted(maze.walls)


def test_only_the_wall_plane_is_replaced():
    maze = generate_training_maze(random.Random(3))
    walls = [0.5] * 49
    x = encode_with_walls(maze, (0, 0), walls)
    assert x[WALL_PLANE] == walls and x[49:] == encode(maze, (0, 0))[49:]
    with pytest.raises(ValueError):
        encode_with_walls(maze, (0, 0), [0.0] * 48)


def test_decode_refuses_bad_vectors():
    x = encode(generate_training_maze(random.Random(1)), (0, 0))
    with pytest.raises(ValueError):
        decode(x[:-1])
    x[AGENT_PLANE.start + 5] = 1.0
    with pytest.raises(ValueError, match="one agent"):
        decode(x)
