"""How an exercise is defined and graded: the reader's code against a reference.

An `Exercise` names what the reader's code must define (`entry`): a function,
or for a numeric question a variable. Its `checks` run in order; each gets the
reader's object and a seeded `random.Random` and returns None (passed) or a
message for the reader. `compare` builds the usual check: call the reader's
function and the reference on the same inputs (deep copies of them), and on the
first difference say which input, what came back and what was expected. Known
wrong versions (`Mistake`) turn a bare "wrong" into an explanation of the bug.

`grade` runs the reader's code in a fresh namespace with its output captured,
and stops any call into the reader's code that runs longer than its time limit
(a trace function raises `TimeLimitExceeded` in the reader's own frames), so an
infinite loop becomes a message, not a frozen page. Code that loops inside C
(say `sum(range(10**12))`) cannot be traced: the page's watchdog stops the
worker then (docs/js/exercise.js).
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from saferlhub.runtime import format_error, fresh_namespace

FILENAME = "<your code>"
CALL_SECONDS = 2.0  # one call into the reader's code (a check makes many)
MAX_OUTPUT = 4000  # characters of the reader's printed output sent back


class TimeLimitExceeded(Exception):
    """Raised inside the reader's code when it runs past its time limit."""


class ReaderError(Exception):
    """The reader's code raised; the message is its traceback, trimmed to their lines."""


# A check: (the reader's object, a seeded Random) -> None when passed, else a message.
CheckFunction = Callable[[Any, random.Random], "str | None"]


@dataclass(frozen=True)
class Check:
    name: str
    run: CheckFunction


@dataclass(frozen=True)
class Case:
    """One input to compare on: positional arguments and what it is about."""

    args: tuple
    note: str = ""  # shown when this case fails, e.g. "a terminal transition"


@dataclass(frozen=True)
class Mistake:
    """A known wrong version; when the reader's answer matches it, say what went wrong."""

    function: Callable
    message: str


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    topic: str
    entry: str  # the name the reader's code must define
    checks: tuple[Check, ...]
    hints: tuple[str, ...]
    reference: Callable | None = None  # function exercises: the solution shown
    solution_code: str = ""  # value exercises: code that sets `entry`
    solution_imports: str = ""  # lines shown above the reference's source
    kind: str = "function"  # "function" or "value"
    lesson: str = ""  # the page (docs-relative) that teaches what it practises
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in {"function", "value"}:
            raise ValueError(f"{self.id}: kind must be 'function' or 'value'")
        if self.kind == "function" and self.reference is None:
            raise ValueError(f"{self.id}: a function exercise needs a reference")
        if self.kind == "value" and not self.solution_code:
            raise ValueError(f"{self.id}: a value exercise needs solution_code")
        if not self.checks or not self.hints:
            raise ValueError(f"{self.id}: needs at least one check and one hint")

    def solution(self) -> str:
        """The solution as the reader sees it after asking for it."""
        if self.kind == "value":
            return self.solution_code.strip() + "\n"
        source = inspect.getsource(self.reference)
        head = self.solution_imports.strip()
        return (head + "\n\n\n" if head else "") + source

    def expected_value(self) -> Any:
        """A value exercise's answer, computed by its solution code (never typed in)."""
        return run_solution(self.solution_code, self.entry)


# --- time limit -------------------------------------------------------------


@contextlib.contextmanager
def time_limit(seconds: float, filename: str = FILENAME):
    """Raise TimeLimitExceeded in the reader's frames once `seconds` have passed."""
    deadline = time.monotonic() + seconds

    def local(frame, event, arg):
        if time.monotonic() > deadline:
            raise TimeLimitExceeded
        return local

    def calls(frame, event, arg):
        if frame.f_code.co_filename == filename:
            # Opcode events too: `while True: pass` on one line sends no line events.
            frame.f_trace_opcodes = True
            return local(frame, event, arg)
        return None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield
    finally:
        sys.settrace(previous)


def call_reader(function: Callable, *args: Any, seconds: float = CALL_SECONDS) -> Any:
    """Call the reader's function; their exceptions become ReaderError, loops TimeLimitExceeded."""
    try:
        with time_limit(seconds):
            return function(*args)
    except TimeLimitExceeded:
        raise
    except Exception as error:  # noqa: BLE001 - any error in their code is reported
        raise ReaderError(format_error(error, FILENAME).rstrip()) from None


# --- showing values ---------------------------------------------------------


def show(value: Any, limit: int = 8) -> str:
    """A short, readable repr: floats to 6 significant digits, long lists cut."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int | str):
        return repr(value)
    if isinstance(value, random.Random):
        return "rng"
    if isinstance(value, list | tuple):
        items = [show(v, limit) for v in value[:limit]]
        if len(value) > limit:
            items.append(f"... ({len(value)} items)")
        text = ", ".join(items)
        if isinstance(value, tuple):
            return f"({text},)" if len(value) == 1 else f"({text})"
        return f"[{text}]"
    if isinstance(value, dict):
        pairs = list(value.items())
        items = [f"{show(k)}: {show(v, limit)}" for k, v in pairs[:limit]]
        if len(pairs) > limit:
            items.append(f"... ({len(pairs)} items)")
        return "{" + ", ".join(items) + "}"
    if callable(value):
        return getattr(value, "__name__", "a function")
    return repr(value)


def show_call(name: str, reference: Callable, args: Sequence) -> str:
    try:
        params = list(inspect.signature(reference).parameters)
    except (TypeError, ValueError):
        params = []
    parts = [f"{p}={show(a)}" if p else show(a) for p, a in zip(params, args, strict=False)]
    return f"{name}({', '.join(parts)})"


def difference(got: Any, want: Any, tol: float = 1e-6, where: str = "") -> str | None:
    """None if `got` matches `want` (numbers within tol, lists/tuples alike), else why not."""
    at = f" at {where}" if where else ""
    if isinstance(want, bool):
        if got is want or (isinstance(got, int) and not isinstance(got, bool) and got == want):
            return None
        return f"got {show(got)}{at}, expected {show(want)}"
    if isinstance(want, int | float):
        if isinstance(got, bool) or not isinstance(got, int | float):
            return f"got {type(got).__name__} {show(got)}{at}, expected a number"
        if math.isnan(got) or not math.isclose(got, want, rel_tol=tol, abs_tol=tol):
            return f"got {show(got)}{at}, expected {show(want)}"
        return None
    if isinstance(want, list | tuple):
        if not isinstance(got, list | tuple):
            return f"got {type(got).__name__} {show(got)}{at}, expected a list"
        if len(got) != len(want):
            return f"got {len(got)} items{at}, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            problem = difference(g, w, tol, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"got {type(got).__name__}{at}, expected a dict"
        if set(got) != set(want):
            return f"keys {show(sorted(got))}{at}, expected {show(sorted(want))}"
        for key in want:
            problem = difference(got[key], want[key], tol, f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    return None if got == want else f"got {show(got)}{at}, expected {show(want)}"


# --- check builders ---------------------------------------------------------


def returned(function: Callable, args: tuple) -> Any:
    """The default outcome of a call: what it returns."""
    return function(*args)


def compare(
    name: str,
    cases: Callable[[random.Random], Iterable[Case]],
    reference: Callable,
    *,
    entry: str,
    tol: float = 1e-6,
    outcome: Callable[[Callable, tuple], Any] = returned,
    mistakes: Sequence[Mistake] = (),
    advice: str = "",
) -> Check:
    """A check that calls the reader's function and the reference on the same cases."""

    def run(reader: Callable, rng: random.Random) -> str | None:
        for case in cases(rng):
            want = outcome(reference, copy.deepcopy(case.args))
            try:
                got = outcome(lambda *a: call_reader(reader, *a), copy.deepcopy(case.args))
            except TimeLimitExceeded:
                call = show_call(entry, reference, case.args)
                raise TimeLimitExceeded(
                    f"{call} did not return within {CALL_SECONDS:g} s."
                ) from None
            problem = difference(got, want, tol)
            if problem is None:
                continue
            call = show_call(entry, reference, case.args)
            lines = [f"{call}: {problem}."]
            if case.note:
                lines.append(f"This case: {case.note}.")
            for mistake in mistakes:
                try:
                    wrong = outcome(mistake.function, copy.deepcopy(case.args))
                except Exception:  # noqa: BLE001 - a mistake that fails here cannot match
                    continue
                if difference(got, wrong, tol) is None:
                    lines.append(mistake.message)
                    break
            else:
                if advice:
                    lines.append(advice)
            return "\n".join(lines)
        return None

    return Check(name, run)


def value_checks(
    entry: str, expected: float, tol: float, mistakes: Sequence[tuple[str, str]] = ()
) -> tuple[Check, ...]:
    """Checks for a numeric answer: it is a number, and it is right (without revealing it)."""

    def is_number(answer: Any, rng: random.Random) -> str | None:
        if answer is Ellipsis:
            return f"Replace the ... after `{entry} =` with your answer."
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            return f"`{entry}` should be a number, not {type(answer).__name__}."
        return None

    def is_right(answer: Any, rng: random.Random) -> str | None:
        if is_number(answer, rng):
            return "Give a number first."
        if math.isclose(answer, expected, rel_tol=tol, abs_tol=tol):
            return None
        lines = [f"{entry} = {show(answer)} is not right (off by more than {tol:g})."]
        for code, message in mistakes:
            if math.isclose(answer, run_solution(code, entry), rel_tol=tol, abs_tol=tol):
                lines.append(message)
                break
        else:
            lines.append("Too high." if answer > expected else "Too low.")
        return "\n".join(lines)

    return (Check("a number", is_number), Check("the right value", is_right))


def run_solution(code: str, entry: str) -> Any:
    """The value our own code (a solution or a known mistake) gives `entry`."""
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - our own code, not the reader's
    return namespace[entry]


def value_exercise(
    *,
    solution_code: str,
    entry: str = "answer",
    tol: float = 1e-3,
    mistakes: Sequence[tuple[str, str]] = (),
    **fields: Any,
) -> Exercise:
    """A numeric question: the reader sets `entry`; the answer is computed by solution_code."""
    expected = run_solution(solution_code, entry)
    checks = value_checks(entry, expected, tol, mistakes)
    return Exercise(kind="value", entry=entry, solution_code=solution_code, checks=checks, **fields)


# --- grading ----------------------------------------------------------------


def _result(ok: bool, checks: list[dict], output: str, error: str | None = None) -> dict:
    return {"ok": ok, "checks": checks, "output": output[:MAX_OUTPUT], "error": error}


def _too_slow(seconds: float, detail: str = "") -> str:
    return (
        (detail + " " if detail else "")
        + f"Your code ran for more than {seconds:g} s and was stopped. Is there a loop that "
        "never ends (a `while` whose condition never becomes false)?"
    )


def grade(exercise: Exercise, code: str, seed: int = 0) -> dict:
    """Run the reader's code and every check; a JSON-ready report.

    {"ok": all passed, "checks": [{"name", "passed", "message"}], "output": what the
    code printed, "error": why nothing could be checked (syntax error, missing name)}.
    """
    stdout = io.StringIO()
    namespace = fresh_namespace()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
        try:
            compiled = compile(code, FILENAME, "exec", dont_inherit=True)
        except SyntaxError as error:
            return _result(False, [], "", format_error(error, FILENAME).rstrip())
        try:
            call_reader(lambda: exec(compiled, namespace), seconds=5 * CALL_SECONDS)  # noqa: S102
        except ReaderError as error:
            return _result(False, [], stdout.getvalue(), f"Your code raised an error:\n{error}")
        except TimeLimitExceeded:
            return _result(False, [], stdout.getvalue(), _too_slow(5 * CALL_SECONDS))
        if exercise.entry not in namespace:
            what = "function" if exercise.kind == "function" else "variable"
            return _result(
                False,
                [],
                stdout.getvalue(),
                f"Your code does not define the {what} `{exercise.entry}`.",
            )
        reader = namespace[exercise.entry]
        if exercise.kind == "function" and not callable(reader):
            return _result(False, [], stdout.getvalue(), f"`{exercise.entry}` is not a function.")
        checks = []
        timed_out = False
        for index, check in enumerate(exercise.checks):
            rng = random.Random(f"{exercise.id}:{seed}:{index}")
            if timed_out:
                message = "Not run: an earlier check ran out of time."
            else:
                try:
                    message = check.run(reader, rng)
                except ReaderError as error:
                    message = f"Your code raised an error:\n{error}"
                except TimeLimitExceeded as error:
                    message, timed_out = _too_slow(CALL_SECONDS, str(error)), True
            checks.append({"name": check.name, "passed": message is None, "message": message})
    return _result(all(c["passed"] for c in checks), checks, stdout.getvalue())
