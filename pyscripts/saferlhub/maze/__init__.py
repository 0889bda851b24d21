"""The crops-and-humans maze of the original inner-alignment exercise, in plain Python.

Layers, each a module: `grid` (cells, actions, the immutable `Maze`, ASCII),
`structure` (reachability, dead ends, loops, protrusions), `env` (rules and
`MazeEnv`), `encoding` (the network input), `generators` (training and
protrusion mazes, failure mazes, train/eval split), `solver` (exact optimal
values), `network` (a pure-Python MLP), `dreaming` and `evaluation`.
The most used names are re-exported here.
"""

from saferlhub.maze.dreaming import DreamRun, DreamScene, dream, dream_scene, project_walls
from saferlhub.maze.encoding import (
    AGENT_PLANE,
    CROP_PLANE,
    ENCODING_SPEC,
    FINISH_PLANE,
    HUMAN_PLANE,
    INPUT_SIZE,
    PLANE_OFFSETS,
    PLANE_SIZE,
    PLANES,
    WALL_PLANE,
    decode,
    encode,
    input_index,
)
from saferlhub.maze.env import (
    DEFAULT_MAX_STEPS,
    FLIPPED_REWARDS,
    ORIGINAL_REWARDS,
    MazeEnv,
    Rewards,
    transition,
)
from saferlhub.maze.evaluation import (
    evaluate_on_distributions,
    evaluate_policy,
    policy_map,
    policy_map_report,
    render_policy_map,
    rollout,
    rollouts,
)
from saferlhub.maze.generators import (
    FAILURE_MAZES,
    all_training_mazes,
    failure_maze,
    generate_protrusion_maze,
    generate_training_maze,
    is_held_out_layout,
    maze_set,
    training_distribution_statistics,
)
from saferlhub.maze.grid import (
    FINISH,
    SIZE,
    START,
    Action,
    Cell,
    Maze,
    parse_maze,
    reachable_cells,
    render_maze,
)
from saferlhub.maze.network import MLP
from saferlhub.maze.solver import optimal_policy_map, optimal_q_function, optimal_return, solve
from saferlhub.maze.structure import (
    dead_ends,
    has_single_block_protrusion,
    human_reachable,
    is_tree,
    single_block_protrusions,
)

__all__ = [
    "AGENT_PLANE",
    "CROP_PLANE",
    "DEFAULT_MAX_STEPS",
    "ENCODING_SPEC",
    "FAILURE_MAZES",
    "FINISH",
    "FINISH_PLANE",
    "FLIPPED_REWARDS",
    "HUMAN_PLANE",
    "INPUT_SIZE",
    "MLP",
    "ORIGINAL_REWARDS",
    "PLANES",
    "PLANE_OFFSETS",
    "PLANE_SIZE",
    "SIZE",
    "START",
    "WALL_PLANE",
    "Action",
    "Cell",
    "DreamRun",
    "DreamScene",
    "Maze",
    "MazeEnv",
    "Rewards",
    "all_training_mazes",
    "dead_ends",
    "decode",
    "dream",
    "dream_scene",
    "encode",
    "evaluate_on_distributions",
    "evaluate_policy",
    "failure_maze",
    "generate_protrusion_maze",
    "generate_training_maze",
    "has_single_block_protrusion",
    "human_reachable",
    "input_index",
    "is_held_out_layout",
    "is_tree",
    "maze_set",
    "optimal_policy_map",
    "optimal_q_function",
    "optimal_return",
    "parse_maze",
    "policy_map",
    "policy_map_report",
    "project_walls",
    "reachable_cells",
    "render_maze",
    "render_policy_map",
    "rollout",
    "rollouts",
    "single_block_protrusions",
    "solve",
    "training_distribution_statistics",
    "transition",
]
