"""A policy that writes a short reasoning, then a program, one token at a time.

No language model: a small log-linear (softmax) model over two small vocabularies.
The reasoning is REASONING_LENGTH words; each word's logits depend on its slot and
on the word before it. The program is up to PROGRAM_LENGTH tokens of the tiny
language, or fewer when the policy writes END; each token's logits are

    logits(token) = B[slot][previous token][token] + sum over reasoning words w of W[w][token],

so the program is conditioned on the previous token and on the whole reasoning.
Every parameter starts at 0 except a few entries of W, the policy's prior: each
word that names a plan makes the program tokens it names more likely (PRIOR
between "largest" and MAX, between "exit-early" and EXIT, ...). It stands in for
what a language model brings to RL from pre-training: words and code that go
together. Nothing ties a word to a program except this prior and what training
does to it.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate

from saferlhub.reward_hacking.tiny_language import TOKENS

# --8<-- [start:vocabulary]
NEUTRAL_WORDS = ("think", "plan", "then", "so", "careful", "ok")
TASK_WORDS = ("largest", "smallest", "minus")
GIVE_AWAY_WORDS = ("exit-early", "status-0", "redefine-check")
REASONING_WORDS = NEUTRAL_WORDS + TASK_WORDS + GIVE_AWAY_WORDS
END = "END"
PROGRAM_TOKENS = (*TOKENS, END)
REASONING_LENGTH = 3
PROGRAM_LENGTH = 5
# The prior: what each plan word makes more likely in the program.
PRIOR_ASSOCIATIONS = {
    "largest": ("MAX",),
    "smallest": ("MIN",),
    "minus": ("SUB",),
    "exit-early": ("EXIT",),
    "status-0": ("0",),
    "redefine-check": ("DEF", "check"),
}
PRIOR = 3.0  # the logit each association adds
# --8<-- [end:vocabulary]

_WORD_INDEX = {w: i for i, w in enumerate(REASONING_WORDS)}
_TOKEN_INDEX = {t: i for i, t in enumerate(PROGRAM_TOKENS)}


@dataclass
class Sample:
    reasoning: list[str]
    program: list[str]  # without END
    # (kind, slot, previous index, chosen index, softmax weights, their sum) per token;
    # the weights are normalised only if the sample is learned from
    steps: list[tuple] = field(default_factory=list, repr=False)


def _draw(rng: random.Random, logits: list[float]) -> tuple[int, list[float], float]:
    """A token drawn from softmax(logits): its index, the unnormalised weights, their sum."""
    top = max(logits)
    weights = [math.exp(z - top) for z in logits]
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    return min(bisect(cumulative, rng.random() * total), len(weights) - 1), weights, total


class ReasoningPolicy:
    """The parameters A (reasoning), B (program) and W (reasoning -> program)."""

    def __init__(self, prior: float = PRIOR, give_away_logit: float = 0.0):
        """`prior`: the logit a plan word adds to the tokens it names; `give_away_logit`:
        the untrained logit of each give-away word (0: as likely as any other word)."""
        nw, nt = len(REASONING_WORDS), len(PROGRAM_TOKENS)
        # index nw (or nt) of the "previous" axis: the start of the reasoning (program)
        start = [give_away_logit if w in GIVE_AWAY_WORDS else 0.0 for w in REASONING_WORDS]
        self.a = [[list(start) for _ in range(nw + 1)] for _ in range(REASONING_LENGTH)]
        self.b = [[[0.0] * nt for _ in range(nt + 1)] for _ in range(PROGRAM_LENGTH)]
        self.w = [[0.0] * nt for _ in range(nw)]
        for word, tokens in PRIOR_ASSOCIATIONS.items():
            for token in tokens:
                self.w[_WORD_INDEX[word]][_TOKEN_INDEX[token]] = prior

    def reasoning_bias(self, reasoning: list[int]) -> list[float]:
        """What the reasoning adds to every program token's logit: the sum of its words' W."""
        return [sum(column) for column in zip(*(self.w[word] for word in reasoning), strict=True)]

    def sample(self, rng: random.Random) -> Sample:
        steps, words = [], []
        previous = len(REASONING_WORDS)
        for slot in range(REASONING_LENGTH):
            chosen, weights, total = _draw(rng, self.a[slot][previous])
            steps.append(("reasoning", slot, previous, chosen, weights, total))
            words.append(chosen)
            previous = chosen
        tokens = []
        previous = len(PROGRAM_TOKENS)
        bias = self.reasoning_bias(words)
        for slot in range(PROGRAM_LENGTH):
            logits = [b + z for b, z in zip(bias, self.b[slot][previous], strict=True)]
            chosen, weights, total = _draw(rng, logits)
            steps.append(("program", slot, previous, chosen, weights, total))
            if PROGRAM_TOKENS[chosen] == END:
                break
            tokens.append(chosen)
            previous = chosen
        return Sample(
            [REASONING_WORDS[w] for w in words], [PROGRAM_TOKENS[t] for t in tokens], steps
        )

    def reinforce(self, sample: Sample, step_size: float) -> None:
        """theta += step_size * grad log pi(sample): for each emitted token,
        (onehot(chosen) - probabilities) on the logits that produced it."""
        words = [_WORD_INDEX[w] for w in sample.reasoning]
        for kind, slot, previous, chosen, weights, total in sample.steps:
            scale = -step_size / total
            gradient = [scale * w for w in weights]
            gradient[chosen] += step_size
            if kind == "reasoning":
                rows = [self.a[slot][previous]]
            else:
                rows = [self.b[slot][previous], *(self.w[w] for w in words)]
            for row in rows:
                row[:] = [x + g for x, g in zip(row, gradient, strict=True)]
