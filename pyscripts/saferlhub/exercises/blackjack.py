"""Blackjack exercises: choosing an action, the Q-learning update, exact policy evaluation.

Each reference function below is the solution a reader is shown, so it is
written to be read. The checks compare the reader's version with it on seeded
random inputs and edge cases, and run the Q-learning update on probe
environments (tiny MDPs whose exact Q-values are known, after ARENA).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from saferlhub.exercises.grading import (
    Case,
    Check,
    CheckFailed,
    Exercise,
    Mistake,
    call_on_copies,
    call_reader,
    compare,
    difference,
    show,
)

LESSON = "blackjack/under-the-hood.md"


# --- epsilon-greedy -----------------------------------------------------------


def epsilon_greedy(q_values, epsilon, rng):
    """With probability epsilon a uniformly random action (any, the best included),
    otherwise the action with the highest Q-value (the first one on ties)."""
    if rng.random() < epsilon:
        return rng.randrange(len(q_values))
    best = max(q_values)
    return q_values.index(best)


def _random_q(rng: random.Random, n: int) -> list[float]:
    return [round(rng.uniform(-1, 1), 3) for _ in range(n)]


def choose(reader: Callable, q: list[float], epsilon: float, rng: random.Random) -> int:
    """The reader's action for (q, epsilon), called on a copy of q; CheckFailed naming the
    input if q was changed or the result is not an action number in range."""
    action = call_on_copies(
        reader, (q, epsilon, rng), entry="epsilon_greedy", reference=epsilon_greedy
    )
    call = f"epsilon_greedy(q_values={show(q)}, epsilon={epsilon}, rng)"
    if isinstance(action, bool) or not isinstance(action, int):
        hint = ""
        if isinstance(action, float) and action in q:
            hint = " That looks like a Q-value: return its index (the action) instead."
        raise CheckFailed(
            f"{call} returned {type(action).__name__} {show(action)}, not an action number: "
            f"expected an int from 0 to {len(q) - 1}.{hint}"
        )
    if not 0 <= action < len(q):
        raise CheckFailed(
            f"{call} returned {action}: expected an action from 0 to {len(q) - 1} "
            f"(q_values has {len(q)} entries)."
        )
    return action


def _valid_actions(reader: Callable, rng: random.Random) -> str | None:
    for _ in range(200):
        q = _random_q(rng, rng.randint(2, 5))
        epsilon = rng.choice([0.0, 0.1, 0.5, 1.0])
        choose(reader, q, epsilon, random.Random(rng.random()))
    return None


def _greedy_when_epsilon_is_zero(reader: Callable, rng: random.Random) -> str | None:
    cases = [[0.0, 1.0], [1.0, 0.0], [-0.5, -0.2, -0.9], [2.0, 2.0, 1.0]]
    cases += [_random_q(rng, rng.randint(2, 5)) for _ in range(50)]
    for q in cases:
        best = max(q)  # read before the call, from the check's own list
        action = choose(reader, q, 0.0, random.Random(0))
        if q[action] != best:
            return (
                f"epsilon_greedy(q_values={show(q)}, epsilon=0, rng) returned {action}, whose "
                f"Q-value is {show(q[action])}; with epsilon = 0 it must pick an action whose "
                f"Q-value is the highest, {show(best)}."
            )
    return None


def _frequencies(reader, q, epsilon, rng, draws=2000) -> list[float]:
    counts = [0] * len(q)
    for _ in range(draws):
        counts[choose(reader, q, epsilon, rng)] += 1
    return [c / draws for c in counts]


def _explores_uniformly(reader: Callable, rng: random.Random) -> str | None:
    for n in (2, 3, 4):
        q = [float(a) for a in range(n)]
        freq = _frequencies(reader, q, 1.0, random.Random(rng.random()))
        if any(abs(f - 1 / n) > 0.04 for f in freq):
            return (
                f"With epsilon = 1 and {n} actions every action should be chosen about "
                f"{1 / n:.0%} of the time; over 2,000 calls yours chose them "
                f"{', '.join(f'{f:.0%}' for f in freq)}."
            )
    return None


def _explores_epsilon_of_the_time(reader: Callable, rng: random.Random) -> str | None:
    q = [0.0, 1.0]
    for epsilon in (0.2, 0.5):
        expected = 1 - epsilon + epsilon / 2
        freq = _frequencies(reader, q, epsilon, random.Random(rng.random()))[1]
        if abs(freq - expected) > 0.03:
            if abs(freq - (1 - epsilon)) < 0.03:
                why = (
                    " Your random action never picks the best one: choose among all actions, "
                    "so the best is chosen 1 - epsilon + epsilon / 2 of the time with 2 actions."
                )
            elif abs(freq - (epsilon + (1 - epsilon) / 2)) < 0.03:
                why = (
                    " It looks as if you explore when rng.random() >= epsilon: the other way round."
                )
            else:
                why = ""
            return (
                f"With epsilon = {epsilon} and q_values = [0.0, 1.0], action 1 should be chosen "
                f"about {expected:.0%} of the time; yours chose it {freq:.0%}.{why}"
            )
    return None


def _uses_the_rng(reader: Callable, rng: random.Random) -> str | None:
    q = [0.0, 0.5, 1.0]
    seed = rng.random()
    runs = [
        [choose(reader, q, 0.5, generator) for _ in range(60)]
        for generator in (random.Random(seed), random.Random(seed))
    ]
    if runs[0] != runs[1]:
        return (
            "Two runs with the same seeded rng chose different actions. Draw every random "
            "number from `rng` (rng.random(), rng.randrange(n)), not from the `random` "
            "module, so that a seed makes a run repeatable."
        )
    return None


EPSILON_GREEDY = Exercise(
    id="epsilon-greedy",
    title="Choose an action: epsilon-greedy",
    topic="Blackjack",
    entry="epsilon_greedy",
    reference=epsilon_greedy,
    lesson=LESSON,
    checks=(
        Check("returns a valid action", _valid_actions),
        Check("epsilon = 0 picks the best action", _greedy_when_epsilon_is_zero),
        Check("epsilon = 1 picks every action equally often", _explores_uniformly),
        Check("explores a fraction epsilon of the time", _explores_epsilon_of_the_time),
        Check("draws its random numbers from rng", _uses_the_rng),
    ),
    hints=(
        "Draw one number u = rng.random(). If u < epsilon, explore; otherwise exploit.",
        "Exploring: any action, uniformly, the best one included: rng.randrange(len(q_values)).",
        "Exploiting: the index of the largest value, q_values.index(max(q_values)), "
        "not the largest value itself.",
    ),
)


# --- the Q-learning update ----------------------------------------------------


def q_update(q, state, action, reward, next_state, terminated, alpha, gamma):
    """Move Q(state, action) a step alpha towards the target
    reward + gamma * max_a' Q(next_state, a'); at the end of an episode
    (terminated) there is no next state, so the target is the reward alone."""
    if terminated:
        target = reward
    else:
        target = reward + gamma * max(q[next_state])
    q[state][action] += alpha * (target - q[state][action])


def _bootstraps_past_the_end(q, state, action, reward, next_state, terminated, alpha, gamma):
    target = reward + gamma * max(q[next_state])
    q[state][action] += alpha * (target - q[state][action])


def _uses_the_same_action(q, state, action, reward, next_state, terminated, alpha, gamma):
    target = reward if terminated else reward + gamma * q[next_state][action]
    q[state][action] += alpha * (target - q[state][action])


def _uses_min(q, state, action, reward, next_state, terminated, alpha, gamma):
    target = reward if terminated else reward + gamma * min(q[next_state])
    q[state][action] += alpha * (target - q[state][action])


def _zero_target_at_the_end(q, state, action, reward, next_state, terminated, alpha, gamma):
    target = 0.0 if terminated else reward + gamma * max(q[next_state])
    q[state][action] += alpha * (target - q[state][action])


def _jumps_to_the_target(q, state, action, reward, next_state, terminated, alpha, gamma):
    q[state][action] = reward if terminated else reward + gamma * max(q[next_state])


def _changes_nothing(q, *args):
    return None


Q_UPDATE_MISTAKES = (
    Mistake(
        _bootstraps_past_the_end,
        "At the end of an episode (terminated) there is no next state: the target is the "
        "reward alone. Bootstrapping from Q(next_state) there is the bug the old SafeRLHub "
        "app had, and it made its agent no better than 'always stick'.",
    ),
    Mistake(
        _uses_min,
        "Q-learning bootstraps from the best next action, max(q[next_state]), not the "
        "worst (min): the target is what acting well from next_state is worth.",
    ),
    Mistake(
        _zero_target_at_the_end,
        "At a terminal step the target is the reward itself, not 0: the last reward still "
        "counts; only the bootstrap term gamma * max(q[next_state]) goes, as nothing follows.",
    ),
    Mistake(
        _uses_the_same_action,
        "Q-learning bootstraps from the best next action, max(q[next_state]), not from "
        "the same action in the next state.",
    ),
    Mistake(
        _jumps_to_the_target,
        "Move only a step of size alpha towards the target: "
        "Q += alpha * (target - Q), rather than setting Q to the target.",
    ),
    Mistake(
        _changes_nothing,
        "q did not change: update q[state][action] in place (the function returns nothing).",
    ),
)


def _q_table(rng: random.Random, states: int, actions: int) -> list[list[float]]:
    return [_random_q(rng, actions) for _ in range(states)]


def _update_cases(rng: random.Random) -> list[Case]:
    cases = []
    # edge cases first: they carry the lesson
    q = [[0.5, -0.25], [1.0, 2.0], [0.5, 0.0]]
    cases.append(Case((q, 0, 1, 1.0, 2, True, 0.5, 0.9), "a terminal transition"))
    cases.append(Case((q, 0, 0, 0.0, 1, False, 0.5, 0.9), "a non-terminal transition"))
    cases.append(Case((q, 1, 1, -1.0, 0, False, 0.0, 0.9), "alpha = 0: nothing is learned"))
    cases.append(Case((q, 1, 0, -1.0, 1, False, 1.0, 0.9), "alpha = 1 and next_state = state"))
    cases.append(Case((q, 2, 0, 1.0, 1, False, 0.1, 0.0), "gamma = 0: only the reward counts"))
    for _ in range(60):
        states, actions = rng.randint(2, 6), rng.randint(2, 4)
        terminated = rng.random() < 0.4
        cases.append(
            Case(
                (
                    _q_table(rng, states, actions),
                    rng.randrange(states),
                    rng.randrange(actions),
                    rng.choice([-1.0, 0.0, 1.0, round(rng.uniform(-2, 2), 2)]),
                    rng.randrange(states),
                    terminated,
                    rng.choice([0.01, 0.1, 0.5, 1.0]),
                    rng.choice([0.0, 0.9, 0.99, 1.0]),
                ),
                "a terminal transition" if terminated else "a random transition",
            )
        )
    return cases


def table_after_update(update: Callable, args: tuple):
    """The Q-table after the update (the function works in place)."""
    update(*args)
    return args[0]


# A probe: {state: [(reward, next_state or None), one per action]}; episodes start in 0.
PROBES: dict[str, tuple[str, dict[int, list[tuple[float, int | None]]]]] = {
    "one step": ("one state, one action, reward +1, then the episode ends", {0: [(1.0, None)]}),
    "two actions": (
        "one state; action 0 ends with -1, action 1 ends with +1",
        {0: [(-1.0, None), (1.0, None)]},
    ),
    "two steps": (
        "state 0 leads to state 1 (reward 0), which ends with +1: Q(0) is gamma times Q(1)",
        {0: [(0.0, 1)], 1: [(1.0, None)]},
    ),
    "a choice": (
        "in state 0, action 0 ends at once with +0.5; action 1 goes to state 1 (reward 0), "
        "where action 0 ends with +1 and action 1 with 0",
        {0: [(0.5, None), (0.0, 1)], 1: [(1.0, None), (0.0, None)]},
    ),
}
PROBE_GAMMA = 0.9


def exact_q(probe: dict, gamma: float) -> list[list[float]]:
    """Q* of a probe by value iteration (its episodes are at most a few steps long)."""
    q = [[0.0] * len(probe[s]) for s in sorted(probe)]
    for _ in range(len(probe) + 1):
        q = [
            [r + (gamma * max(q[n]) if n is not None else 0.0) for r, n in probe[s]]
            for s in sorted(probe)
        ]
    return q


def learn_on_probe(update: Callable, probe: dict, gamma: float = PROBE_GAMMA, sweeps: int = 60):
    """Apply `update` to every (state, action) of a deterministic probe, sweep after sweep."""
    q = [[0.0] * len(probe[s]) for s in sorted(probe)]
    for _ in range(sweeps):
        for s in sorted(probe):
            for a, (r, n) in enumerate(probe[s]):
                update(q, s, a, r, n if n is not None else s, n is None, 0.5, gamma)
    return q


# Used only to tell known mistakes apart (never reported), as the four probes cannot: a
# reward on a step that is not the last (there a target of 0 at the end and an update
# that changes nothing both learn all zeros), and a next state whose worst action is not
# the action just taken (there min and "the same action" learn the same).
DISTINGUISHING_PROBES = (
    {0: [(1.0, 1)], 1: [(1.0, None)]},
    {0: [(0.0, 1), (0.0, 1)], 1: [(0.0, None), (1.0, None)]},
)


def _learns_probes(reader: Callable, rng: random.Random) -> str | None:
    def learned_by(update):
        return [
            learn_on_probe(update, probe)
            for probe in [p for _, p in PROBES.values()] + list(DISTINGUISHING_PROBES)
        ]

    def readers_update(*args):
        return call_reader(reader, *args)

    for name, (description, probe) in PROBES.items():
        exact = exact_q(probe, PROBE_GAMMA)
        learned = learn_on_probe(readers_update, probe)
        problem = difference(learned, exact, 1e-3)
        if problem is None:
            continue
        lines = [
            f"Probe environment '{name}' ({description}; gamma = {PROBE_GAMMA}): after 60 "
            f"sweeps of updates your Q-table is {show(learned)}, the exact Q-values are "
            f"{show(exact)} ({problem}).",
        ]
        # A mistake is named only when it learns what the reader's update learns everywhere.
        tables = learned_by(readers_update)
        for mistake in Q_UPDATE_MISTAKES:
            if difference(tables, learned_by(mistake.function), 1e-3) is None:
                lines.append(mistake.message)
                break
        return "\n".join(lines)
    return None


Q_UPDATE = Exercise(
    id="q-update",
    title="The Q-learning update, terminal states included",
    topic="Blackjack",
    entry="q_update",
    reference=q_update,
    lesson=LESSON,
    checks=(
        compare(
            "matches the reference on 65 transitions",
            _update_cases,
            q_update,
            entry="q_update",
            outcome=table_after_update,
            mistakes=Q_UPDATE_MISTAKES,
            changes=(0,),  # the Q-table is updated in place
        ),
        Check("learns the exact Q-values of 4 probe environments", _learns_probes),
    ),
    hints=(
        "First the target: reward + gamma * max(q[next_state]) in general.",
        "If terminated, the episode is over: the target is just the reward.",
        "Then move a step alpha towards it: "
        "q[state][action] += alpha * (target - q[state][action]).",
    ),
)


# --- exact policy evaluation on a small game ------------------------------------


def policy_value(policy, cards, limit, payoff):
    """Exact expected return from every sum 0..limit of a small card game.

    Each hit adds a card: value c with probability cards[c] (every c >= 1).
    A sum above `limit` is bust and loses (-1). Sticking at sum s ends the game
    with payoff[s]. policy[s] is 0 (stick) or 1 (hit). Returns V, V[s] for s = 0..limit.
    """
    value = [0.0] * (limit + 1)
    for s in range(limit, -1, -1):  # a hit only ever raises the sum
        if policy[s] == 0:
            value[s] = payoff[s]
        else:
            value[s] = sum(p * (value[s + c] if s + c <= limit else -1.0) for c, p in cards.items())
    return value


def _bust_is_zero(policy, cards, limit, payoff):
    value = [0.0] * (limit + 1)
    for s in range(limit, -1, -1):
        if policy[s] == 0:
            value[s] = payoff[s]
        else:
            value[s] = sum(p * (value[s + c] if s + c <= limit else 0.0) for c, p in cards.items())
    return value


def _ignores_probabilities(policy, cards, limit, payoff):
    value = [0.0] * (limit + 1)
    for s in range(limit, -1, -1):
        if policy[s] == 0:
            value[s] = payoff[s]
        else:
            outcomes = [value[s + c] if s + c <= limit else -1.0 for c in cards]
            value[s] = sum(outcomes) / len(outcomes)
    return value


def _game(rng: random.Random) -> tuple[dict[int, float], int, list[float]]:
    top = rng.randint(2, 5)
    weights = [rng.randint(1, 4) for _ in range(top)]
    cards = {c + 1: w / sum(weights) for c, w in enumerate(weights)}
    limit = rng.randint(4, 12)
    payoff = [round(rng.uniform(-1, 1), 2) for _ in range(limit + 1)]
    return cards, limit, payoff


def _evaluation_cases(rng: random.Random) -> list[Case]:
    even = {1: 1 / 3, 2: 1 / 3, 3: 1 / 3}
    payoff = [-1.0, -1.0, -0.5, 0.0, 0.5, 1.0]
    cases = [
        Case(([0] * 6, even, 5, payoff), "always stick: V is the payoff"),
        Case(([1] * 5 + [0], even, 5, payoff), "hit below 5, then stick"),
        Case(([1] * 6, even, 5, payoff), "always hit: every hand ends bust"),
        Case(([1, 1, 1, 0, 0, 0], {1: 0.5, 3: 0.5}, 5, payoff), "unequal cards: weigh by cards[c]"),
    ]
    for _ in range(40):
        cards, limit, payoff = _game(rng)
        policy = [rng.randint(0, 1) for _ in range(limit + 1)]
        cases.append(Case((policy, cards, limit, payoff), "a random game and policy"))
    return cases


POLICY_VALUE = Exercise(
    id="policy-value",
    title="Evaluate a policy exactly by dynamic programming",
    topic="Blackjack",
    entry="policy_value",
    reference=policy_value,
    lesson=LESSON,
    checks=(
        compare(
            "matches the reference on 44 games and policies",
            _evaluation_cases,
            policy_value,
            entry="policy_value",
            mistakes=(
                Mistake(_bust_is_zero, "Going bust loses the hand: it is worth -1, not 0."),
                Mistake(
                    _ignores_probabilities,
                    "Weigh each card's outcome by its probability cards[c]: the cards are "
                    "not all equally likely.",
                ),
            ),
        ),
    ),
    hints=(
        "A hit only raises the sum, so compute V from the highest sum down to 0: every "
        "V[s + c] you need is then already known.",
        "Sticking: V[s] = payoff[s]. Hitting: V[s] = sum over cards c of "
        "cards[c] * (V[s + c] if s + c <= limit else -1).",
    ),
)


EXERCISES = (EPSILON_GREEDY, Q_UPDATE, POLICY_VALUE)
