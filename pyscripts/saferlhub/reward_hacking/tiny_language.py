"""A tiny stack language whose programs really run, in a sandbox with hard limits.

A program is a list of tokens. It reads a list of integers, the input `xs`, through
tokens that push a number computed from it (MAX, MIN, SUM, LEN, FIRST), works on a
stack of integers, and answers with the number on top of the stack when it ends.
The language is designed for the learned reward-hacking lab
(`saferlhub.reward_hacking.learned_hacking`): small enough that a tabular policy
can write programs in it token by token, and general enough that the grader's
weak spots are reachable the way they are in a real test process:

- EXIT ends the whole process with the status it pops (as `sys.exit` does);
- DEF redefines a word for the rest of the process (the words `check` and
  `solve` included), as a program can overwrite a function its tests call;
- nothing stops a program from computing something that fits the visible tests
  only.

Every run is bounded (`Limits`): a step budget (a time limit that does not depend
on the machine), a cap on printed output, on call depth (a word that calls itself
cannot blow up the interpreter's stack: calls are counted, not nested in Python),
on the stack's size and on the size of numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

# --8<-- [start:tokens]
# What each token does. "pop b, a" means b was on top.
TOKENS = {
    "0": "push 0",
    "1": "push 1",
    "2": "push 2",
    "MAX": "push the largest number of the input",
    "MIN": "push the smallest number of the input",
    "SUM": "push the sum of the input",
    "LEN": "push the length of the input",
    "FIRST": "push the first number of the input",
    "ADD": "pop b, a; push a + b",
    "SUB": "pop b, a; push a - b",
    "DUP": "push a copy of the top",
    "SWAP": "swap the two top numbers",
    "EQ": "pop b, a; push 1 if a == b else 0",
    "IF": "pop c; when c is 0, skip the next token",
    "PRINT": "pop a number and print it",
    "AGAIN": "jump back to the start of the current word (a loop)",
    "EXIT": "pop s; end the whole process with exit status s",
    "DEF": "DEF name ...: the rest of the word becomes the new body of `name`",
    "check": "call the word `check` (the tests' comparison; at first: EQ)",
    "solve": "call the word `solve` (the program itself)",
}
# --8<-- [end:tokens]
WORD_NAMES = ("check", "solve")


@dataclass(frozen=True)
class Limits:
    steps: int = 2_000  # tokens executed per run
    output: int = 200  # characters printed per run
    depth: int = 16  # nested word calls
    stack: int = 64  # numbers on the stack
    magnitude: int = 10**9  # largest absolute value of a number


class ProgramError(Exception):
    """The program did something the language forbids (an empty stack, an unknown
    token, a DEF without a name): an error, as an exception is in a test run."""


class LimitReached(Exception):
    """A run used up one of its limits (`what`: "steps", "output", "depth")."""

    def __init__(self, what: str):
        super().__init__(f"stopped by the {what} limit")
        self.what = what


class ProcessExit(Exception):  # noqa: N818 (named for what it is: a request to end the process)
    """EXIT: the program ends the whole process with `status`."""

    def __init__(self, status: int):
        super().__init__(f"EXIT with status {status}")
        self.status = status


class Machine:
    """One process: the words (shared by every run in it, so a DEF lasts), the step
    budget and the output, both counted over the whole process."""

    def __init__(self, words: dict[str, list[str]], limits: Limits | None = None):
        self.words = {name: list(body) for name, body in words.items()}
        self.limits = limits or Limits()
        self.steps = 0
        self.output: list[str] = []
        self.printed = 0
        self.redefined: set[str] = set()

    def run(self, word: str, xs: list[int], stack: list[int] | None = None) -> list[int]:
        """Run `word` on input `xs` from `stack` (empty by default); return the stack."""
        stack = [] if stack is None else stack
        # Calls are frames on a list, not Python recursion: `solve` calling itself
        # meets the depth limit, never Python's.
        frames = [[word, 0]]
        while frames:
            frame = frames[-1]
            body = self.words[frame[0]]
            if frame[1] >= len(body):
                frames.pop()
                continue
            token = body[frame[1]]
            frame[1] += 1
            self.steps += 1
            if self.steps > self.limits.steps:
                raise LimitReached("steps")
            if token == "DEF":
                name = body[frame[1]] if frame[1] < len(body) else None
                if name not in WORD_NAMES:
                    raise ProgramError("DEF must be followed by a word's name")
                self.words[name] = body[frame[1] + 1 :]
                self.redefined.add(name)
                frames.pop()  # the rest of the word was the definition
            elif token in WORD_NAMES:
                if len(frames) >= self.limits.depth:
                    raise LimitReached("depth")
                frames.append([token, 0])
            elif token == "AGAIN":
                frame[1] = 0
            elif token == "IF":
                if self._pop(stack) == 0:
                    frame[1] += 1
            else:
                self._step(token, xs, stack)
        return stack

    def _pop(self, stack: list[int]) -> int:
        if not stack:
            raise ProgramError("the stack is empty")
        return stack.pop()

    def _push(self, stack: list[int], value: int) -> None:
        if abs(value) > self.limits.magnitude:
            raise ProgramError("a number grew too large")
        if len(stack) >= self.limits.stack:
            raise ProgramError("the stack is full")
        stack.append(value)

    def _step(self, token: str, xs: list[int], stack: list[int]) -> None:
        if token in ("0", "1", "2"):
            self._push(stack, int(token))
        elif token in ("MAX", "MIN", "SUM", "LEN", "FIRST"):
            if not xs:
                raise ProgramError("the input is empty")
            value = {"MAX": max, "MIN": min, "SUM": sum, "LEN": len, "FIRST": lambda v: v[0]}
            self._push(stack, value[token](xs))
        elif token in ("ADD", "SUB", "EQ"):
            b, a = self._pop(stack), self._pop(stack)
            self._push(stack, a + b if token == "ADD" else a - b if token == "SUB" else int(a == b))
        elif token == "DUP":
            a = self._pop(stack)
            self._push(stack, a)
            self._push(stack, a)
        elif token == "SWAP":
            b, a = self._pop(stack), self._pop(stack)
            stack.extend((b, a))
        elif token == "PRINT":
            text = f"{self._pop(stack)}\n"
            self.printed += len(text)
            if self.printed > self.limits.output:
                raise LimitReached("output")
            self.output.append(text)
        elif token == "EXIT":
            raise ProcessExit(self._pop(stack))
        else:
            raise ProgramError(f"unknown token {token!r}")


def answer(program: list[str], xs: list[int], limits: Limits | None = None) -> int:
    """Run `program` on `xs` in a fresh process; its answer is the top of the stack."""
    stack = Machine({"solve": program, "check": ["EQ"]}, limits).run("solve", xs)
    if not stack:
        raise ProgramError("the program left no answer")
    return stack[-1]
