"""Tabular learners for Blackjack: Q-learning, SARSA and Monte Carlo control.

Sutton and Barto (2nd ed.) evaluate Blackjack policies by Monte Carlo in example
5.1 and solve it by Monte Carlo control with exploring starts in example 5.3. The
Monte Carlo control here is the on-policy, epsilon-greedy kind (section 5.4) with a
step size alpha instead of a sample average (constant-alpha Monte Carlo, section
6.1); Q-learning (section 6.5) and SARSA (section 6.4) learn from each step instead
of each episode. The game is Gymnasium's Blackjack-v1 (see `env`).

Layout, in reading order: the update rules (what a page shows, and what a reader
may replace), the settings with their ranges and presets, small schedule helpers,
then `train`. The game is played inline in `train`'s loop, with states as small
ints (`state_index`) and the Q-table as a list of [Q(stick), Q(hit)] pairs, so that
100,000 hands take about a second in CPython; with a custom `update` the same loop
calls it at every step instead of the inline copy of the rule. Every checkpoint
scores the greedy policy exactly with the dynamic-programming solver, under the
game's true payoffs whatever rewards the agent is trained on.

References:
    R. S. Sutton and A. G. Barto, Reinforcement Learning: An Introduction, 2nd ed.,
    2018, examples 5.1 and 5.3, sections 5.4, 6.1, 6.4 and 6.5.
    Gymnasium, Blackjack-v1 and its "Solving Blackjack with Q-Learning" tutorial:
    https://gymnasium.farama.org/environments/toy_text/blackjack/
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from saferlhub import settings as shared
from saferlhub.blackjack.env import (
    ACTION_NAMES,
    BUST,
    CARDS,
    DRAW,
    LOSS,
    N_STATES,
    NATURAL_WIN,
    OUTCOMES,
    WIN,
    BlackjackEnv,
    outcome_rewards,
    state_index,
)
from saferlhub.blackjack.solver import PolicyEvaluator, optimal_value
from saferlhub.schedules import schedule
from saferlhub.settings import SettingError as SettingError  # saferlhub.blackjack exports it
from saferlhub.settings import check_fields, check_schedules, learning_setting, make, schema
from saferlhub.settings import range_text as _range_text
from saferlhub.settings import setting as _setting

# A Q-table: q[state] == [Q(state, stick), Q(state, hit)], with state = state_index(...).
QTable = list[list[float]]


# --8<-- [start:q_learning_update]
def q_learning_update(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    """Q(s, a) += alpha * (r + gamma * max_a' Q(s', a') - Q(s, a)).

    At the end of a hand there is no next state: the target is the reward alone.
    """
    if terminated:
        target = reward
    else:
        target = reward + gamma * max(q[next_state])
    q[state][action] += alpha * (target - q[state][action])


# --8<-- [end:q_learning_update]


# --8<-- [start:sarsa_update]
def sarsa_update(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    """Q(s, a) += alpha * (r + gamma * Q(s', a') - Q(s, a)), a' being the action taken next."""
    if terminated:
        target = reward
    else:
        target = reward + gamma * q[next_state][next_action]
    q[state][action] += alpha * (target - q[state][action])


# --8<-- [end:sarsa_update]


# --8<-- [start:monte_carlo_update]
def monte_carlo_update(q, episode, alpha, gamma):
    """After a hand, move each Q(s, a) it visited towards the return G that followed.

    `episode` is the hand's [(state, action, reward), ...]. A Blackjack hand never
    visits a state twice, so first-visit and every-visit Monte Carlo agree.
    """
    ret = 0.0
    for state, action, reward in reversed(episode):
        ret = reward + gamma * ret
        q[state][action] += alpha * (ret - q[state][action])


# --8<-- [end:monte_carlo_update]

UPDATE_RULES = {
    "q_learning": q_learning_update,
    "sarsa": sarsa_update,
    "monte_carlo": monte_carlo_update,
}

# Rewards the agent can be trained on. The game's are the true measure; the others
# are proxies that sound sensible and teach the wrong thing.
REWARD_PRESETS = {
    "game": {"win": 1.0, "draw": 0.0, "loss": -1.0, "bust": -1.0, "natural_win": 1.5},
    # "Don't bust": +1 for any hand finished without busting. The agent learns to stick.
    "avoid busting": {"win": 1.0, "draw": 1.0, "loss": 1.0, "bust": -1.0, "natural_win": 1.0},
    # Losing to the dealer "is bad luck", only a bust is "your fault": too timid.
    "blame only busts": {"win": 1.0, "draw": 0.0, "loss": 0.0, "bust": -1.0, "natural_win": 1.5},
}


# How the page names each choice.
CHOICE_LABELS = {
    "q_learning": "Q-learning",
    "sarsa": "SARSA",
    "monte_carlo": "Monte Carlo control",
    "constant": "constant",
    "linear": "linear decay",
    "exponential": "exponential decay",
}


@dataclass
class TrainingSettings:
    """Everything a Blackjack training run depends on. `settings_schema()` lists it for a page."""

    episodes: int = _setting(100_000, "Hands to play", "Training hands (episodes).", 1, 10_000_000)
    method: str = _setting(
        "q_learning",
        "Learning method",
        "Learning rule: Q-learning, SARSA, or Monte Carlo control.",
        choices=list(UPDATE_RULES),
    )
    # 0.03 decaying to 0.003: within 0.0075 of the optimum after 100,000 hands for seeds
    # 0-5, where the tutorial's constant 0.01 (default rules, gamma 1) stays 0.009-0.012 short.
    alpha: float = learning_setting("alpha", 0.03)
    alpha_schedule: str = learning_setting("alpha_schedule", "linear", "hand")
    alpha_min: float = learning_setting("alpha_min", 0.003)
    gamma: float = learning_setting("gamma", 1.0)
    epsilon_start: float = learning_setting("epsilon_start", 1.0)
    epsilon_min: float = learning_setting("epsilon_min", 0.1)
    epsilon_schedule: str = learning_setting("epsilon_schedule", "linear")
    epsilon_decay_fraction: float = learning_setting("epsilon_decay_fraction", 0.5, "hand")
    initial_q: float = _setting(
        0.0,
        "Initial Q-value",
        "Starting estimate of every Q(s, a). Above the true values it makes a greedy "
        "agent explore; below them it can stop it exploring.",
        -2.0,
        2.0,
    )
    natural: bool = _setting(
        False, "Natural pays extra", "A winning natural (ace and ten) pays the natural reward."
    )
    sab: bool = _setting(
        False,
        "Sutton and Barto's rules",
        "A player's natural wins unless the dealer also has one (overrides natural pays).",
    )
    reward_win: float = _setting(
        1.0, "Reward for a win", "What the agent is paid for a win.", -10.0, 10.0
    )
    reward_draw: float = _setting(
        0.0, "Reward for a draw", "What the agent is paid for a draw.", -10.0, 10.0
    )
    reward_loss: float = _setting(
        -1.0, "Reward for a loss", "Paid for losing to the dealer's hand.", -10.0, 10.0
    )
    reward_bust: float = _setting(-1.0, "Reward for a bust", "Paid for going over 21.", -10.0, 10.0)
    reward_natural: float = _setting(
        1.5,
        "Reward for a natural",
        "Paid for a winning natural when natural pays extra is on.",
        -10.0,
        10.0,
    )
    checkpoints: int = _setting(
        50, "Progress reports", "How many times the run reports progress.", 1, 1000
    )
    seed: int = _setting(
        0, "Random seed", "Seed of the cards and of exploration: same seed, same run.", 0, 2**32 - 1
    )

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise SettingError (a ValueError) naming the first setting out of its range."""
        check_fields(self)
        check_schedules(self)

    def payoffs(self) -> dict[str, float]:
        """The rewards the agent is trained on, as payoffs for `outcome_rewards`."""
        return {
            "win": self.reward_win,
            "draw": self.reward_draw,
            "loss": self.reward_loss,
            "bust": self.reward_bust,
            "natural_win": self.reward_natural,
        }


def range_text(name: str) -> str:
    """The allowed range of a numeric setting, in words: "from 1 to 10,000,000"."""
    return _range_text(_FIELDS[name])


_FIELDS = {spec.name: spec for spec in fields(TrainingSettings)}


def _rewards_preset(name: str) -> dict:
    payoffs = REWARD_PRESETS[name]
    return {
        "reward_win": payoffs["win"],
        "reward_draw": payoffs["draw"],
        "reward_loss": payoffs["loss"],
        "reward_bust": payoffs["bust"],
        "reward_natural": payoffs["natural_win"],
    }


# Named starting points for the page; each is a set of changes to the defaults.
PRESETS = {
    "quick look": {"episodes": 10_000},
    # Epsilon 1.0 -> 0.1 over half the hands (as in Gymnasium's tutorial), gamma 1 (a hand
    # always ends, so nothing needs discounting), the default rules, and a decaying
    # learning rate (see TrainingSettings.alpha).
    "default": {},
    # Gymnasium's "Solving Blackjack with Q-Learning" tutorial as written: Sutton and
    # Barto's rules (sab=True), a constant learning rate 0.01 and discount 0.95.
    "Gymnasium tutorial": {
        "alpha": 0.01,
        "alpha_schedule": "constant",
        "gamma": 0.95,
        "sab": True,
    },
    # A learning rate decaying 20x: measured within 0.001 of the optimum for seeds 0-9
    # (a constant 0.001 over 1M hands stays 0.002-0.004 short).
    "converge to optimal": {
        "episodes": 2_000_000,
        "alpha": 0.01,
        "alpha_schedule": "linear",
        "alpha_min": 0.0005,
    },
    "avoid busting (proxy reward)": _rewards_preset("avoid busting"),
    "blame only busts (proxy reward)": _rewards_preset("blame only busts"),
}


def make_settings(settings: TrainingSettings | dict | str | None = None, **changes):
    """TrainingSettings from a preset name, a dict or settings, with `changes` on top."""
    return make(TrainingSettings, PRESETS, settings, changes)


def settings_schema() -> list[dict]:
    """The settings as JSON for a page's controls.

    Each: name, label (for a reader), type, default, description, range (in words),
    min, max, choices and choice_labels.
    """
    return schema(TrainingSettings, CHOICE_LABELS)


def greedy_policy(q: QTable) -> list[int]:
    """The action with the higher Q-value in each state; ties go to stick."""
    return [1 if row[1] > row[0] else 0 for row in q]


_RESUME_KEYS = ("q", "visits", "episodes_done", "curve", "rng_state")


class UpdateRuleError(TypeError):
    """A reader's update rule was called with the wrong idea of its arguments."""


_TD_SHAPES = (
    "train calls it as update(q, state, action, reward, next_state, next_action, "
    "terminated, alpha, gamma): q is the Q-table, one [Q(stick), Q(hit)] pair per state, "
    "so q[s] is a list of two numbers and q[s][a] one number; state and action are ints "
    "(action 0 = stick, 1 = hit); reward, alpha and gamma are numbers; next_state and "
    "next_action are ints, or None when terminated is True. It must set q[state][action] "
    "to a number."
)
_MC_SHAPES = (
    "train calls it as update(q, episode, alpha, gamma) after each hand: q is the Q-table, "
    "one [Q(stick), Q(hit)] pair per state; episode is the hand's list of (state, action, "
    "reward) tuples of ints and numbers. It must set each visited q[state][action] to a "
    "number."
)


def _is_number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _checked_update(update: Callable, method: str) -> Callable:
    """`update`, failing with a message that says what it is given and must leave behind."""
    shapes = _MC_SHAPES if method == "monte_carlo" else _TD_SHAPES

    def explain(problem):
        return UpdateRuleError(f"your update rule {problem}. {shapes}")

    if method == "monte_carlo":

        def checked(q, episode, alpha, gamma):
            try:
                update(q, episode, alpha, gamma)
            except (TypeError, ValueError, IndexError, KeyError, AttributeError) as error:
                raise explain(f"failed with {type(error).__name__}: {error}") from error
            for state, action, _ in episode:
                if not _is_number(q[state][action]):
                    raise explain(f"left q[{state}][{action}] = {q[state][action]!r}")

        return checked

    def checked(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
        try:
            update(q, state, action, reward, next_state, next_action, terminated, alpha, gamma)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError) as error:
            raise explain(f"failed with {type(error).__name__}: {error}") from error
        if not _is_number(q[state][action]):
            raise explain(f"left q[{state}][{action}] = {q[state][action]!r}")

    return checked


# --8<-- [start:train]
def train(
    settings: TrainingSettings | dict | str | None = None,
    *,
    progress: Callable[[dict], object] | None = None,
    update: Callable | None = None,
    resume: dict | None = None,
    **changes,
) -> dict:
    """Learn to play Blackjack; the greedy policy is scored exactly at every checkpoint.

    Args:
        settings: TrainingSettings, a dict of settings, or a preset name (PRESETS);
            keyword `changes` are applied on top, e.g. train("default", seed=3).
        progress: called at each of `settings.checkpoints` checkpoints (evenly spaced,
            and at the end) with an event dict (keys listed in `_checkpoint`). If it
            returns a true value, training stops there and the partial result is
            returned; pass that result as `resume` to continue.
        update: replaces the learning rule, with the signature of `q_learning_update`
            (or of `monte_carlo_update` for method "monte_carlo"). Without it the
            rule of `settings.method` runs inlined, with the same arithmetic. A rule
            that raises a TypeError (or ValueError, IndexError, KeyError, AttributeError) or
            leaves a Q-value that is not a number raises UpdateRuleError, whose
            message says what the rule is given and must do.
        resume: a result of `train` to continue from (its Q-table, visit counts,
            random generator and curve). Continuing a stopped run with the same
            settings gives exactly the result of an uninterrupted run.

    Returns:
        {"settings", "episodes_done", "finished", "q" ([[Q(stick), Q(hit)]] per
        state), "visits" (updates per state and action, same layout), "policy"
        (greedy action per state), "curve" (the checkpoint events), "greedy_value"
        (exact expected return of the greedy policy under the game's true payoffs),
        "optimal_value", "gap" (optimal_value - greedy_value), "rng_state"}.
        The states are numbered by `state_index`.
    """
    s = make_settings(settings, **changes)
    if update is not None:
        update = _checked_update(update, s.method)
    if resume is not None:
        shared.check_resume(resume, _RESUME_KEYS)
        q = [list(map(float, row)) for row in resume["q"]]
        visits = [list(map(int, row)) for row in resume["visits"]]
        episode = int(resume["episodes_done"])
        curve = list(resume["curve"])
        rng = shared.restore_rng(resume["rng_state"])
    else:
        q = [[float(s.initial_q), float(s.initial_q)] for _ in range(N_STATES)]
        visits = [[0, 0] for _ in range(N_STATES)]
        episode, curve, rng = 0, [], random.Random(s.seed)
    true_rewards = outcome_rewards(s.natural, s.sab)
    evaluator = PolicyEvaluator(s.natural, s.sab, rewards=true_rewards)
    best = optimal_value(s.natural, s.sab)
    every = max(1, s.episodes // s.checkpoints)
    stopped = False
    while episode < s.episodes and not stopped:
        stop = min(s.episodes, (episode // every + 1) * every)
        counts = _play(s, q, visits, rng, episode, stop, update)
        episode = stop
        event = _checkpoint(s, q, counts, episode, evaluator, true_rewards, best)
        curve.append(event)
        stopped = bool(progress(event)) if progress is not None else False
    value = evaluator.value(greedy_policy(q))
    return {
        "settings": asdict(s),
        "episodes_done": episode,
        "finished": episode >= s.episodes,
        "q": q,
        "visits": visits,
        "policy": greedy_policy(q),
        "curve": curve,
        "greedy_value": value,
        "optimal_value": best,
        "gap": best - value,
        "rng_state": shared.rng_state(rng),
    }


# --8<-- [end:train]


def _checkpoint(s, q, counts, episodes_done, evaluator, true_rewards, best) -> dict:
    """The progress event: how the hands since the last checkpoint went, and exact values.

    Keys: episodes_done, episodes, window (hands since the last checkpoint),
    mean_reward (training reward over the window), mean_true_reward (the game's
    payoffs), win_rate, draw_rate, loss_rate (busts included), bust_rate, epsilon
    and alpha (now), greedy_value (exact expected return of the greedy policy under
    the game's payoffs), optimal_value, gap (optimal_value - greedy_value).
    """
    hands = sum(counts)
    train_rewards = outcome_rewards(s.natural, s.sab, s.payoffs())
    value = evaluator.value(greedy_policy(q))
    return {
        "episodes_done": episodes_done,
        "episodes": s.episodes,
        "window": hands,
        "mean_reward": sum(n * r for n, r in zip(counts, train_rewards, strict=True)) / hands,
        "mean_true_reward": sum(n * r for n, r in zip(counts, true_rewards, strict=True)) / hands,
        "win_rate": (counts[WIN] + counts[NATURAL_WIN]) / hands,
        "draw_rate": counts[DRAW] / hands,
        "loss_rate": (counts[LOSS] + counts[BUST]) / hands,
        "bust_rate": counts[BUST] / hands,
        "epsilon": shared.epsilon_at(s, episodes_done),
        "alpha": shared.alpha_at(s, episodes_done),
        "greedy_value": value,
        "optimal_value": best,
        "gap": best - value,
    }


def _play(s, q, visits, rng, start, stop, update):
    """Play and learn from hands number start..stop-1; return the count of each outcome.

    The game is Gymnasium's Blackjack-v1 written out inline (the same rules as
    `env.BlackjackEnv`): the dealer's two cards, then the player's, each drawn as
    `env.draw_card` does; the dealer draws below 17 and stands on soft 17.
    States are numbered as in `state_index`: total * 20 + dealer_card * 2 - 82 + usable.
    """
    rand = rng.random
    cards = CARDS
    rewards = outcome_rewards(s.natural, s.sab, s.payoffs())
    sab, gamma = s.sab, s.gamma
    td = s.method != "monte_carlo"
    sarsa = s.method == "sarsa"
    custom = update is not None
    eps_kind, eps_start, eps_end = s.epsilon_schedule, s.epsilon_start, s.epsilon_min
    eps_decay = s.epsilon_decay_fraction * s.episodes
    alpha_kind, alpha_start, alpha_end = s.alpha_schedule, s.alpha, s.alpha_min
    counts = [0] * len(OUTCOMES)
    trajectory = []  # (state, action) pairs of the hand, for Monte Carlo
    for episode in range(start, stop):
        eps = schedule(eps_kind, eps_start, eps_end, episode, eps_decay)
        alpha = schedule(alpha_kind, alpha_start, alpha_end, episode, s.episodes)
        up = cards[int(rand() * 13)]
        hole = cards[int(rand() * 13)]
        first = cards[int(rand() * 13)]
        second = cards[int(rand() * 13)]
        hard = first + second
        ace = first == 1 or second == 1
        natural = ace and hard == 11
        offset = up * 2 - 82
        state = (hard + 10) * 20 + offset + 1 if ace and hard <= 11 else hard * 20 + offset
        row = q[state]
        if rand() < eps:
            action = 1 if rand() < 0.5 else 0
        else:
            action = 1 if row[1] > row[0] else 0
        if not td:
            trajectory.clear()
        while True:
            visits[state][action] += 1
            if not td:
                trajectory.append((state, action))
            if action == 0:  # stick: the dealer plays
                dealer = up + hole
                dealer_ace = up == 1 or hole == 1
                while True:
                    dealer_total = dealer + 10 if dealer_ace and dealer <= 11 else dealer
                    if dealer_total >= 17:
                        break
                    card = cards[int(rand() * 13)]
                    dealer += card
                    if card == 1:
                        dealer_ace = True
                total = hard + 10 if ace and hard <= 11 else hard
                if sab and natural and not (dealer_ace and up + hole == 11):
                    outcome = NATURAL_WIN
                elif dealer_total > 21 or total > dealer_total:
                    outcome = NATURAL_WIN if natural else WIN
                elif total == dealer_total:
                    outcome = DRAW
                else:
                    outcome = LOSS
                break
            card = cards[int(rand() * 13)]  # hit
            hard += card
            if hard > 21:
                outcome = BUST
                break
            if card == 1:
                ace = True
            natural = False
            next_state = (hard + 10) * 20 + offset + 1 if ace and hard <= 11 else hard * 20 + offset
            next_row = q[next_state]
            if rand() < eps:
                next_action = 1 if rand() < 0.5 else 0
            else:
                next_action = 1 if next_row[1] > next_row[0] else 0
            if td:
                if custom:
                    update(q, state, action, 0.0, next_state, next_action, False, alpha, gamma)
                elif sarsa:
                    row[action] += alpha * (0.0 + gamma * next_row[next_action] - row[action])
                else:
                    best = next_row[1] if next_row[1] > next_row[0] else next_row[0]
                    row[action] += alpha * (0.0 + gamma * best - row[action])
            state, row, action = next_state, next_row, next_action
        reward = rewards[outcome]
        counts[outcome] += 1
        if td:
            if custom:
                update(q, state, action, reward, None, None, True, alpha, gamma)
            else:
                row[action] += alpha * (reward - row[action])
        elif custom:
            steps = [(st, act, 0.0) for st, act in trajectory]
            steps[-1] = (state, action, reward)
            update(q, steps, alpha, gamma)
        else:
            ret = reward
            for st, act in reversed(trajectory):
                mc_row = q[st]
                mc_row[act] += alpha * (ret - mc_row[act])
                ret = 0.0 + gamma * ret
    return counts


def play_hand(
    q: QTable,
    seed: int = 0,
    natural: bool = False,
    sab: bool = False,
    epsilon: float = 0.0,
    payoffs: dict | None = None,
) -> dict:
    """Play one hand with a Q-table, step by step, for a "replay a hand" view.

    The agent acts greedily (ties: stick), or at random with probability `epsilon`.
    Returns {"seed", "dealer_up", "dealer_cards" (all, as dealt and drawn),
    "player_cards", "steps": [{"observation": [sum, dealer card, usable ace],
    "state", "player_cards" (before acting), "q": [Q(stick), Q(hit)], "action",
    "action_name", "explored", "card" (drawn by a hit, else None), "reward",
    "terminated"}], "outcome", "reward"}.
    """
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon!r}")
    env = BlackjackEnv(natural=natural, sab=sab, payoffs=payoffs)
    explore = random.Random(seed ^ 0x5EED)
    observation, _ = env.reset(seed=seed)
    steps, terminated, reward, info = [], False, 0.0, {}
    while not terminated:
        state = state_index(*observation)
        row = q[state]
        explored = explore.random() < epsilon
        action = explore.randrange(2) if explored else int(row[1] > row[0])
        cards_before = list(env.player)
        observation_before = list(observation)
        observation, reward, terminated, _, info = env.step(action)
        steps.append(
            {
                "observation": observation_before,
                "state": state,
                "player_cards": cards_before,
                "q": [float(row[0]), float(row[1])],
                "action": action,
                "action_name": ACTION_NAMES[action],
                "explored": explored,
                "card": env.player[-1] if action else None,
                "reward": reward,
                "terminated": terminated,
            }
        )
    return {
        "seed": seed,
        "dealer_up": env.dealer[0],
        "dealer_cards": list(env.dealer),
        "player_cards": list(env.player),
        "steps": steps,
        "outcome": info["outcome"],
        "reward": reward,
    }
