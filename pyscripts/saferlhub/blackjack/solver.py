"""Exact Blackjack values by dynamic programming over the infinite deck.

Sutton and Barto (2nd ed., example 5.1) estimate Blackjack values by Monte Carlo;
with an infinite deck they can also be computed exactly. Cards are independent, so
the dealer's final total depends only on the up card (`dealer_outcome_probabilities`),
and a player's total only grows, except that a soft hand can turn hard, so one pass
over the player's states in a fixed order (`_STATE_ORDER`) gives every value.

`policy_value` scores ANY policy (a hit probability per state) exactly: the expected
return over the whole initial deal (the player's two cards, the dealer's up card and
hole card), with naturals handled as Gymnasium's Blackjack-v1 does. `optimal_policy`
finds the best hit/stick policy and its value. With Gymnasium's payoffs:
default rules -0.0466, sab=True -0.0431, natural=True -0.0257 (tests check these).

Values are undiscounted expected returns (the game's result, gamma = 1).
A policy sees only the observation (sum, dealer card, usable ace), so a natural and
a soft 21 reached by hitting share a state; `optimal_policy` takes that into account.
"""

from __future__ import annotations

from collections.abc import Sequence

from saferlhub.blackjack.env import (
    BUST,
    CARD_PROBABILITIES,
    DRAW,
    LOSS,
    MIN_SUM,
    N_STATES,
    NATURAL_WIN,
    OUTCOMES,
    WIN,
    outcome_rewards,
)

# Player "hand states" (sum, usable ace) in an order where hitting always leads to a
# state already computed: hard 21..11, then soft 21..12, then hard 10..4.
_STATE_ORDER = (
    [(total, 0) for total in range(21, 10, -1)]
    + [(total, 1) for total in range(21, 11, -1)]
    + [(total, 0) for total in range(10, MIN_SUM - 1, -1)]
)
_HAND_ID = {hand: i for i, hand in enumerate(_STATE_ORDER)}
_SOFT_21 = _HAND_ID[(21, 1)]


def _after_hit(total: int, usable: int, card: int) -> tuple[int, int] | None:
    """The (sum, usable ace) after drawing `card`, or None for a bust."""
    hard = total - 10 if usable else total
    has_ace = usable or card == 1  # an unusable ace (hard >= 12) stays unusable
    hard += card
    if hard > 21:
        return None
    if has_ace and hard + 10 <= 21:
        return hard + 10, 1
    return hard, 0


# For each hand state: the probability of busting and [(probability, next hand id)].
_HIT_TRANSITIONS = []
for _total, _usable in _STATE_ORDER:
    _bust, _next = 0.0, {}
    for _card, _p in CARD_PROBABILITIES:
        _after = _after_hit(_total, _usable, _card)
        if _after is None:
            _bust += _p
        else:
            _next[_HAND_ID[_after]] = _next.get(_HAND_ID[_after], 0.0) + _p
    _HIT_TRANSITIONS.append((_bust, sorted((p, i) for i, p in _next.items())))


def _opening_hands() -> list[tuple[float, int, bool]]:
    """(probability, hand id, is a natural) for the player's first two cards."""
    hands: dict[tuple[int, bool], float] = {}
    for first, p_first in CARD_PROBABILITIES:
        for second, p_second in CARD_PROBABILITIES:
            hard = first + second
            soft = 1 in (first, second) and hard <= 11
            key = (_HAND_ID[(hard + 10, 1) if soft else (hard, 0)], {first, second} == {1, 10})
            hands[key] = hands.get(key, 0.0) + p_first * p_second
    return [(p, hand, natural) for (hand, natural), p in sorted(hands.items())]


_OPENING_HANDS = _opening_hands()


def dealer_outcome_probabilities(up_card: int) -> list[float]:
    """Probabilities of the dealer finishing on 17, 18, 19, 20, 21 and bust, given the up card."""
    if not 1 <= up_card <= 10:
        raise ValueError(f"up_card must be in [1, 10], got {up_card}")
    memo: dict[tuple[int, bool], list[float]] = {}

    def finish(hard: int, ace: bool) -> list[float]:
        if (hard, ace) not in memo:
            total = hard + 10 if ace and hard + 10 <= 21 else hard
            if total >= 17:  # stands, including on a soft 17
                result = [0.0] * 6
                result[5 if total > 21 else total - 17] = 1.0
            else:
                result = [0.0] * 6
                for card, p in CARD_PROBABILITIES:
                    for i, q in enumerate(finish(hard + card, ace or card == 1)):
                        result[i] += p * q
            memo[hard, ace] = result
        return memo[hard, ace]

    # The hole card is just the dealer's first draw: one card never reaches 17.
    return finish(up_card, up_card == 1)


_DEALER = [dealer_outcome_probabilities(up) for up in range(1, 11)]
# The chance that the dealer's two cards are a natural, given the up card.
_DEALER_NATURAL = [4 / 13 if up == 1 else 1 / 13 if up == 10 else 0.0 for up in range(1, 11)]


class PolicyEvaluator:
    """Exact expected returns under one rule set and one set of payoffs.

    Build it once (the stick values are precomputed) and call `value(policy)` as often
    as needed: a call costs about a millisecond, so learners can score their greedy
    policy exactly at every checkpoint.

    Args:
        natural, sab: Gymnasium's rule switches.
        payoffs: any of "win", "draw", "loss", "bust", "natural_win" (see
            `outcome_rewards`); or pass `rewards`, a list indexed by outcome (LOSS..BUST).
    """

    def __init__(
        self,
        natural: bool = False,
        sab: bool = False,
        payoffs: dict | None = None,
        rewards: Sequence[float] | None = None,
    ):
        self.natural, self.sab = natural, sab
        r = list(rewards) if rewards is not None else outcome_rewards(natural, sab, payoffs)
        self.rewards = r
        self.bust = r[BUST]
        # stick[dealer - 1][hand id]: expected payoff of sticking (not a natural).
        self.stick = []
        # natural_stick[dealer - 1]: expected payoff of sticking on a natural.
        self.natural_stick = []
        for up in range(1, 11):
            finals = _DEALER[up - 1]
            bust = finals[5]
            row = []
            for total, _ in _STATE_ORDER:
                below = bust + sum(finals[i] for i in range(5) if 17 + i < total)
                same = finals[total - 17] if total >= 17 else 0.0
                row.append(below * r[WIN] + same * r[DRAW] + (1.0 - below - same) * r[LOSS])
            self.stick.append(row)
            if sab:
                dealer_natural = _DEALER_NATURAL[up - 1]
                self.natural_stick.append(
                    (1.0 - dealer_natural) * r[NATURAL_WIN] + dealer_natural * r[DRAW]
                )
            else:  # a natural is a 21 that is paid as a natural when it wins
                self.natural_stick.append((1.0 - finals[4]) * r[NATURAL_WIN] + finals[4] * r[DRAW])

    def _hand_values(self, hit_probability: Sequence[float], up: int):
        """Values of every hand state against up card `up`, and the value of hitting soft 21."""
        values = [0.0] * len(_STATE_ORDER)
        stick = self.stick[up - 1]
        bust_payoff = self.bust
        soft_21_hit = 0.0
        for hand, (total, usable) in enumerate(_STATE_ORDER):
            p_hit = hit_probability[((total - MIN_SUM) * 10 + up - 1) * 2 + usable]
            bust, transitions = _HIT_TRANSITIONS[hand]
            hit = bust * bust_payoff
            for p, after in transitions:
                hit += p * values[after]
            if hand == _SOFT_21:
                soft_21_hit = hit
            values[hand] = p_hit * hit + (1.0 - p_hit) * stick[hand]
        return values, soft_21_hit

    def value(self, policy: Sequence[float]) -> float:
        """The exact expected return of `policy` over the initial deal.

        `policy[state]` is the action (0 stick, 1 hit) or the probability of hitting in
        each state (see `state_index`); the 80 unreachable states are ignored.
        """
        if len(policy) != N_STATES:
            raise ValueError(f"a policy needs one entry per state ({N_STATES}), got {len(policy)}")
        total = 0.0
        for up, p_up in CARD_PROBABILITIES:
            values, soft_21_hit = self._hand_values(policy, up)
            p_hit_21 = policy[((21 - MIN_SUM) * 10 + up - 1) * 2 + 1]
            natural = p_hit_21 * soft_21_hit + (1.0 - p_hit_21) * self.natural_stick[up - 1]
            for p, hand, is_nat in _OPENING_HANDS:
                total += p_up * p * (natural if is_nat else values[hand])
        return total


def policy_value(
    policy: Sequence[float], natural: bool = False, sab: bool = False, payoffs: dict | None = None
) -> float:
    """The exact expected return of `policy` (one action or hit probability per state)."""
    return PolicyEvaluator(natural, sab, payoffs).value(policy)


def outcome_probabilities(
    policy: Sequence[float], natural: bool = False, sab: bool = False
) -> dict[str, float]:
    """The exact probability of each outcome ("loss", "draw", "win", "natural_win", "bust")."""
    probabilities = {}
    for outcome, name in enumerate(OUTCOMES):
        indicator = [0.0] * len(OUTCOMES)
        indicator[outcome] = 1.0
        probabilities[name] = PolicyEvaluator(natural, sab, rewards=indicator).value(policy)
    return probabilities


def optimal_policy(natural: bool = False, sab: bool = False, payoffs: dict | None = None) -> dict:
    """The best hit/stick policy and its exact value, by dynamic programming.

    Returns {"policy": [action per state], "q": [[Q(stick), Q(hit)] per state],
    "value": expected return}. Ties go to stick. Q-values are those of a hand that is
    not a natural; the unreachable states (a usable ace below 12) copy the hard hand
    of the same sum. The one state a natural shares with other hands, (21, dealer
    card, usable ace), gets the action that is best over both.
    """
    evaluator = PolicyEvaluator(natural, sab, payoffs)
    policy = [0] * N_STATES
    q = [[0.0, 0.0] for _ in range(N_STATES)]
    for up in range(1, 11):
        best = None
        for soft_21_action in (0, 1):  # try both for the state a natural shares
            values = [0.0] * len(_STATE_ORDER)
            actions = [0] * len(_STATE_ORDER)
            stick = evaluator.stick[up - 1]
            rows = []
            for hand in range(len(_STATE_ORDER)):
                bust, transitions = _HIT_TRANSITIONS[hand]
                hit = bust * evaluator.bust + sum(p * values[after] for p, after in transitions)
                act = soft_21_action if hand == _SOFT_21 else int(hit > stick[hand])
                if hand == _SOFT_21:
                    soft_21_hit = hit
                actions[hand] = act
                values[hand] = hit if act else stick[hand]
                rows.append((stick[hand], hit))
            natural_value = soft_21_hit if soft_21_action else evaluator.natural_stick[up - 1]
            expected = sum(
                p * (natural_value if is_nat else values[hand])
                for p, hand, is_nat in _OPENING_HANDS
            )
            if best is None or expected > best[0] + 1e-12:
                best = (expected, actions, rows)
        _, actions, rows = best
        for hand, (total, usable) in enumerate(_STATE_ORDER):
            state = ((total - MIN_SUM) * 10 + up - 1) * 2 + usable
            policy[state] = actions[hand]
            q[state] = list(rows[hand])
    # The unreachable states (a usable ace below 12) copy the hard hand of the same sum.
    for state in range(N_STATES):
        if state % 2 == 1 and state // 20 + MIN_SUM < 12:
            q[state] = list(q[state - 1])
            policy[state] = policy[state - 1]
    return {"policy": policy, "q": q, "value": evaluator.value(policy)}


def optimal_value(natural: bool = False, sab: bool = False, payoffs: dict | None = None) -> float:
    """The expected return of the best hit/stick policy."""
    return optimal_policy(natural, sab, payoffs)["value"]


def always_stick_policy() -> list[int]:
    return [0] * N_STATES


def random_policy() -> list[float]:
    """Hit with probability 1/2 at every decision (including on 21)."""
    return [0.5] * N_STATES


def threshold_policy(stick_at: int = 20) -> list[int]:
    """Hit below `stick_at`, stick from it on (Sutton and Barto's example sticks on 20 and 21)."""
    return [int((state // 20) + MIN_SUM < stick_at) for state in range(N_STATES)]
