"""Offline DQN pieces: the transition table, the TD targets, the scramble, the settings CLI."""

from __future__ import annotations

import random

import pytest
import torch

from export import dqn
from export.transitions import build_transition_table
from saferlhub.maze.encoding import INPUT_SIZE
from saferlhub.maze.env import ORIGINAL_REWARDS
from saferlhub.maze.generators import failure_maze, maze_set
from saferlhub.maze.solver import optimal_q_function

GAMMA = 0.95


class Lookup(torch.nn.Module):
    """A 'network' that returns the exact optimal Q-values of each observation."""

    def __init__(self, q_function) -> None:
        super().__init__()
        self.q_function = q_function

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tensor([self.q_function(row) for row in obs.tolist()], dtype=torch.float32)


@pytest.fixture(scope="module")
def small_table():
    mazes = [*maze_set("training", 3, seed=7, split="train"), failure_maze("bad2")]
    return mazes, dqn.Tables.from_table(build_transition_table(mazes, ORIGINAL_REWARDS))


def test_optimal_q_is_the_fixed_point_of_the_td_targets(small_table):
    """Q* = r + gamma max Q*(s'): the targets the network regresses on are Bellman's."""
    _, data = small_table
    q_star = Lookup(optimal_q_function(gamma=GAMMA))
    targets = dqn.td_targets(q_star, data, GAMMA)
    assert targets.shape == (len(data), 4)
    assert torch.allclose(targets, q_star(data.observations), atol=1e-4)


def test_moves_into_the_finish_end_the_episode(small_table):
    _, data = small_table
    zero = Lookup(lambda x: [100.0] * 4)
    targets = dqn.td_targets(zero, data, GAMMA)
    terminal = data.next_state < 0
    assert terminal.any()
    assert torch.equal(targets[terminal], data.reward[terminal])
    assert torch.allclose(targets[~terminal], data.reward[~terminal] + GAMMA * 100.0)


def test_network_shapes_and_activation_names():
    network = dqn.QNetwork((8, 6, 5))
    q, activations = network.forward_with_activations(torch.zeros(3, INPUT_SIZE))
    assert q.shape == (3, 4)
    assert [a.shape[1] for a in activations] == [8, 6, 5]
    assert network.activation_names == ["hidden.0", "hidden.1", "hidden.2"]


def test_scramble_steps_have_the_set_length():
    torch.manual_seed(0)
    network = dqn.QNetwork((8,))
    network(torch.rand(5, INPUT_SIZE)).pow(2).sum().backward()
    dqn.scale_to_unit_norm(network.parameters())
    norm = torch.sqrt(sum(p.grad.pow(2).sum() for p in network.parameters()))
    assert norm.item() == pytest.approx(1.0, abs=1e-6)


def test_cosine_schedule_and_checkpoint_steps():
    assert dqn.learning_rate_factor("cosine", 0, 100) == 1.0
    assert dqn.learning_rate_factor("cosine", 50, 100) == pytest.approx(0.5)
    assert dqn.learning_rate_factor("cosine", 100, 100) == pytest.approx(0.0)
    assert dqn.learning_rate_factor("constant", 70, 100) == 1.0
    assert dqn.checkpoint_steps(1000, 10) == list(range(100, 1001, 100))
    assert dqn.checkpoint_steps(7, 10)[-1] == 7


def test_training_is_repeatable_and_learns(tmp_path):
    settings = dqn.Settings(
        training_mazes=20,
        hidden_sizes=(32,),
        train_steps=400,
        batch_size=256,
        target_network_frequency=20,
        checkpoints=2,
        monitor_every=0,
        run_dir=str(tmp_path),
        progress=False,
    )
    first, second = dqn.train(settings), dqn.train(settings)
    for a, b in zip(first.network.parameters(), second.network.parameters(), strict=True):
        assert torch.equal(a, b)
    # The first Bellman backups teach the one-step lessons: never bump into a wall
    # (-5), and step into the finish (+10) when it is next to you.
    data = dqn.Tables.from_table(build_transition_table(dqn.training_mazes(settings)))
    torch.manual_seed(settings.seed)
    initial = dqn.make_network(settings)

    def one_step_lessons(network) -> tuple[float, float]:
        with torch.no_grad():
            action = network(data.observations).argmax(dim=1, keepdim=True)
        reward = data.reward.gather(1, action).squeeze(1)
        next_to_finish = (data.reward == 10.0).any(dim=1)
        return (reward == -5.0).float().mean().item(), (reward == 10.0)[
            next_to_finish
        ].float().mean().item()

    bumps_before, finish_before = one_step_lessons(initial)
    bumps_after, finish_after = one_step_lessons(first.network)
    assert bumps_after < bumps_before / 3  # 0.50 -> 0.14 at 400 steps
    assert finish_after > 0.9 > finish_before
    run = tmp_path / settings.run_name
    assert (run / "final.pt").exists() and (run / "log.jsonl").exists()
    assert len(list((run / "checkpoints").glob("*.pt"))) == 2


def test_command_line_help_comes_from_the_field_docstrings(capsys):
    with pytest.raises(SystemExit):
        dqn.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "discount factor (the original's 0.95) (default: 0.95)" in text
    settings = dqn.parse_settings(dqn.Settings, ["--agent", "planted", "--hidden-sizes", "4", "5"])
    assert settings.agent == "planted" and settings.hidden_sizes == (4, 5)
    with pytest.raises(SystemExit):
        dqn.parse_settings(dqn.Settings, ["--agent", "clever"])


def test_random_maze_transitions_follow_the_rules():
    rng = random.Random(3)
    mazes = maze_set("training", 2, seed=rng.randrange(100), split="train")
    table = build_transition_table(mazes)
    assert table.n_transitions == 4 * table.n_states
    assert set(table.reward.tolist()) <= {-0.25, 2.0, -11.0, 10.0, -5.0}
