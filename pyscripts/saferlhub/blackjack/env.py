"""Blackjack as in Sutton and Barto (2nd ed., example 5.1) and Gymnasium's Blackjack-v1.

The rules are small module-level functions (`draw_card`, `sum_hand`, `usable_ace`,
`is_bust`, `score`, `is_natural`) with the same names and meaning as in Gymnasium's
`gymnasium/envs/toy_text/blackjack.py`; `BlackjackEnv` is a thin class around them
with Gymnasium's `reset(seed) -> (obs, info)` and
`step(action) -> (obs, reward, terminated, truncated, info)`. Tests feed the same
cards to this environment and to Gymnasium's and compare every step.

This module also holds the lookup tables shared by the learners and the solver:
the outcome names and the numbering of states (`state_index`).

References:
    R. S. Sutton and A. G. Barto, Reinforcement Learning: An Introduction,
    2nd ed., 2018, example 5.1 (Blackjack).
    Gymnasium, Blackjack-v1: https://gymnasium.farama.org/environments/toy_text/blackjack/
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

# 1 = ace, 2-9, and ten four times over (10, jack, queen, king): an infinite deck.
CARDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10)
# (card, probability) for the exact solver.
CARD_PROBABILITIES = tuple((card, CARDS.count(card) / len(CARDS)) for card in range(1, 11))

STICK = 0
HIT = 1
ACTION_NAMES = ("stick", "hit")

# How a hand ends, as small ints (used as list indices in the hot loop) and names.
LOSS, DRAW, WIN, NATURAL_WIN, BUST = range(5)
OUTCOMES = ("loss", "draw", "win", "natural_win", "bust")

# Gymnasium's payoffs. `natural_win` is paid only when natural=True (and sab=False).
GAME_PAYOFFS = {"win": 1.0, "draw": 0.0, "loss": -1.0, "bust": -1.0, "natural_win": 1.5}

# States where the player decides: sums 4-21, dealer's card 1-10, usable ace 0/1.
# state = ((player_sum - 4) * 10 + (dealer_card - 1)) * 2 + usable_ace
MIN_SUM = 4
N_STATES = 18 * 10 * 2  # 360; the 80 with a usable ace and a sum below 12 never occur


def state_index(player_sum: int, dealer_card: int, usable: int | bool) -> int:
    """The state number (0-359) of a decision point, as used to index Q-tables and policies."""
    if not (MIN_SUM <= player_sum <= 21 and 1 <= dealer_card <= 10):
        raise ValueError(
            f"no decision state for player sum {player_sum} and dealer card {dealer_card}: "
            "player sum must be in [4, 21] and dealer card in [1, 10]"
        )
    return ((player_sum - MIN_SUM) * 10 + dealer_card - 1) * 2 + int(bool(usable))


def state_from_index(state: int) -> tuple[int, int, int]:
    """The observation (player sum, dealer card, usable ace) of state number `state`."""
    if not 0 <= state < N_STATES:
        raise ValueError(f"state must be in [0, {N_STATES - 1}], got {state}")
    rest, usable = divmod(state, 2)
    player_offset, dealer_offset = divmod(rest, 10)
    return player_offset + MIN_SUM, dealer_offset + 1, usable


def is_reachable(state: int) -> bool:
    """False for the states that never occur: a usable ace with a sum below 12."""
    player_sum, _, usable = state_from_index(state)
    return not (usable and player_sum < 12)


def outcome_rewards(natural: bool = False, sab: bool = False, payoffs: dict | None = None):
    """The reward of each outcome (indexed LOSS..BUST) under the given rules and payoffs.

    `payoffs` may set any of "win", "draw", "loss", "bust" and "natural_win"; the rest
    keep Gymnasium's values (GAME_PAYOFFS). A winning natural is paid "natural_win" only
    when natural=True and sab=False, as in Gymnasium; otherwise it is paid as a win.
    """
    paid = dict(GAME_PAYOFFS)
    for name, value in (payoffs or {}).items():
        if name not in GAME_PAYOFFS:
            raise ValueError(f"unknown payoff {name!r}: expected one of {sorted(GAME_PAYOFFS)}")
        paid[name] = float(value)
    natural_pays = paid["natural_win"] if natural and not sab else paid["win"]
    return [paid["loss"], paid["draw"], paid["win"], natural_pays, paid["bust"]]


def draw_card(rng: random.Random) -> int:
    """One card from an infinite deck: 1 (ace) to 10, with 10 four times as likely."""
    return CARDS[int(rng.random() * 13)]


def draw_hand(rng: random.Random) -> list[int]:
    return [draw_card(rng), draw_card(rng)]


def usable_ace(hand: Sequence[int]) -> int:
    """1 if the hand holds an ace that can count as 11 without busting, else 0."""
    return int(1 in hand and sum(hand) + 10 <= 21)


def sum_hand(hand: Sequence[int]) -> int:
    """The hand's total, counting a usable ace as 11."""
    return sum(hand) + 10 if usable_ace(hand) else sum(hand)


def is_bust(hand: Sequence[int]) -> bool:
    return sum_hand(hand) > 21


def score(hand: Sequence[int]) -> int:
    """The hand's total, or 0 if it is bust."""
    return 0 if is_bust(hand) else sum_hand(hand)


def is_natural(hand: Sequence[int]) -> bool:
    """An ace and a ten as the first two cards."""
    return sorted(hand) == [1, 10]


def cmp(a: int, b: int) -> float:
    return float(a > b) - float(a < b)


def hand_outcome(player: Sequence[int], dealer: Sequence[int], sab: bool = False) -> int:
    """How a finished hand ends (LOSS, DRAW, WIN, NATURAL_WIN or BUST), the dealer having played.

    With sab=True a natural wins unless the dealer also has one (Sutton and Barto);
    otherwise a natural is compared like any 21 (Gymnasium's default and natural=True).
    """
    if is_bust(player):
        return BUST
    if sab and is_natural(player) and not is_natural(dealer):
        return NATURAL_WIN
    result = cmp(score(player), score(dealer))
    if result > 0:
        return NATURAL_WIN if is_natural(player) else WIN
    return DRAW if result == 0 else LOSS


class BlackjackEnv:
    """Blackjack against a dealer who stands on 17, dealt from an infinite deck.

    ## Description
    The player starts with two face-up cards and the dealer with one face-up and one
    face-down card. The player hits (takes a card) until they stick or bust (go over
    21, an immediate loss). Then the dealer reveals the face-down card and draws while
    their total is below 17 (standing on a soft 17). A dealer bust is a win for the
    player; otherwise the total closer to 21 wins. Face cards count 10; an ace counts
    11 ("usable") unless that would bust the hand, then 1. Cards are drawn with
    replacement. This is example 5.1 of Sutton and Barto and Gymnasium's Blackjack-v1.

    ## Action Space
    0: stick, 1: hit.

    ## Observation Space
    A tuple (player's sum, dealer's showing card 1-10 where 1 is the ace, usable ace
    0 or 1). After a bust the sum is the busted total (up to 31).

    ## Starting State
    Player sum 4-21, dealer card 1-10, usable ace 0 or 1. The dealer's two cards are
    dealt first, then the player's, as in Gymnasium.

    ## Rewards
    Win +1, loss -1 (including a bust), draw 0; a winning natural (ace and ten) pays
    +1.5 if `natural=True`. `payoffs` can change any of these (for reward experiments).

    ## Episode End
    Termination when the player sticks or busts; never truncated.

    ## Information
    `info` is empty except at the end of a hand: {"outcome": one of OUTCOMES}.

    ## Arguments
    `natural=False`: pay `payoffs["natural_win"]` (1.5) for a winning natural.
    `sab=False`: Sutton and Barto's rule: a natural wins unless the dealer also has
    one; overrides `natural`. `payoffs=None`: a dict with any of "win", "draw",
    "loss", "bust", "natural_win". `draw_card`: the card source, called with the
    environment's generator (a test can feed scripted cards).

    ## References
    R. S. Sutton and A. G. Barto, Reinforcement Learning: An Introduction, 2nd ed.,
    2018, example 5.1. Gymnasium Blackjack-v1,
    https://gymnasium.farama.org/environments/toy_text/blackjack/
    """

    def __init__(
        self,
        natural: bool = False,
        sab: bool = False,
        payoffs: dict | None = None,
        draw_card: Callable[[random.Random], int] = draw_card,
    ):
        # Casino rule: a natural pays 1.5 (http://www.bicyclecards.com/how-to-play/blackjack/).
        self.natural = natural
        # Sutton and Barto (2018), example 5.1; overrides `natural`, as in Gymnasium.
        self.sab = sab
        self.rewards = outcome_rewards(natural, sab, payoffs)
        self.draw_card = draw_card
        self.rng = random.Random()
        self.player: list[int] = []
        self.dealer: list[int] = []
        self.done = True

    def observation(self) -> tuple[int, int, int]:
        return (sum_hand(self.player), self.dealer[0], usable_ace(self.player))

    def reset(self, seed: int | None = None, options: dict | None = None):
        """Deal a new hand: the dealer's two cards, then the player's. Returns (obs, info)."""
        if seed is not None:
            self.rng = random.Random(seed)
        self.dealer = [self.draw_card(self.rng), self.draw_card(self.rng)]
        self.player = [self.draw_card(self.rng), self.draw_card(self.rng)]
        self.done = False
        return self.observation(), {}

    def step(self, action: int):
        """Hit (1) or stick (0). Returns (obs, reward, terminated, truncated, info)."""
        if action not in (STICK, HIT):
            raise ValueError(f"action must be 0 (stick) or 1 (hit), got {action!r}")
        if self.done:
            raise RuntimeError("the hand is over: call reset() to deal a new one")
        if action == HIT:
            self.player.append(self.draw_card(self.rng))
            if not is_bust(self.player):
                return self.observation(), 0.0, False, False, {}
        else:
            while sum_hand(self.dealer) < 17:
                self.dealer.append(self.draw_card(self.rng))
        outcome = hand_outcome(self.player, self.dealer, self.sab)
        self.done = True
        return (
            self.observation(),
            self.rewards[outcome],
            True,
            False,
            {"outcome": OUTCOMES[outcome]},
        )
