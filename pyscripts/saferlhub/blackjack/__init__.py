"""Blackjack, the first lesson: Gymnasium's Blackjack-v1, tabular learners, exact values.

- `env`: the rules as small functions and `BlackjackEnv` (Gymnasium's API and rules).
- `learners`: Q-learning, SARSA and Monte Carlo control (`train`, `play_hand`).
- `solver`: exact values of any policy and the optimal policy, by dynamic programming.

References: R. S. Sutton and A. G. Barto, Reinforcement Learning: An Introduction,
2nd ed., 2018, example 5.1; Gymnasium, Blackjack-v1.
"""

from saferlhub.blackjack.env import (
    ACTION_NAMES,
    GAME_PAYOFFS,
    N_STATES,
    OUTCOMES,
    BlackjackEnv,
    is_reachable,
    outcome_rewards,
    state_from_index,
    state_index,
)
from saferlhub.blackjack.learners import (
    PRESETS,
    REWARD_PRESETS,
    UPDATE_RULES,
    SettingError,
    TrainingSettings,
    UpdateRuleError,
    greedy_policy,
    make_settings,
    monte_carlo_update,
    play_hand,
    q_learning_update,
    sarsa_update,
    settings_schema,
    train,
)
from saferlhub.blackjack.solver import (
    PolicyEvaluator,
    always_stick_policy,
    dealer_outcome_probabilities,
    optimal_policy,
    optimal_value,
    outcome_probabilities,
    policy_value,
    random_policy,
    threshold_policy,
)

__all__ = [
    "ACTION_NAMES",
    "GAME_PAYOFFS",
    "N_STATES",
    "OUTCOMES",
    "PRESETS",
    "REWARD_PRESETS",
    "UPDATE_RULES",
    "BlackjackEnv",
    "PolicyEvaluator",
    "SettingError",
    "TrainingSettings",
    "UpdateRuleError",
    "always_stick_policy",
    "dealer_outcome_probabilities",
    "greedy_policy",
    "is_reachable",
    "make_settings",
    "monte_carlo_update",
    "optimal_policy",
    "optimal_value",
    "outcome_probabilities",
    "outcome_rewards",
    "play_hand",
    "policy_value",
    "q_learning_update",
    "random_policy",
    "sarsa_update",
    "settings_schema",
    "state_from_index",
    "state_index",
    "threshold_policy",
    "train",
]
