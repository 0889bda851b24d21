"""How an exercise is defined and graded: the reader's code against a reference.

An `Exercise` names what the reader's code must define (`entry`): a function,
or for a numeric question a variable. Its `checks` run in order; each gets the
reader's object and a seeded `random.Random` and returns None (passed) or a
message for the reader. `compare` builds the usual check: call the reader's
function and the reference on the same inputs (deep copies of them), and on the
first difference say which input, what came back and what was expected. Known
wrong versions (`Mistake`) turn a bare "wrong" into an explanation of the bug.

Every call into the reader's code gets copies of its inputs, the expected
results are computed before it, and an input the function changes (where it
should not) fails the check with its name: a function cannot pass by rewriting
what the check reads afterwards. A wrong type or value (a float for an action
number, None) gets a sentence naming the input and what was expected, never a
traceback from the checks' own code (`CheckFailed`).

`grade` runs the reader's code in a fresh namespace with its output captured,
and stops any call into the reader's code that runs longer than its time limit
(a trace function raises `TimeLimitExceeded` in the reader's own frames), so an
infinite loop becomes a message, not a frozen page. Code that loops inside C
(say `sum(range(10**12))`) cannot be traced: the page's watchdog stops the
worker then (docs/js/exercise.js). `sys.exit()` in the reader's code is an error
like any other. Each Check gets freshly imported exercise modules and the shared
data put back as the source defines it (`saferlhub.exercises.grade`).
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import copy
import decimal
import inspect
import io
import math
import numbers
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
    """The reader's code raised; the message is its traceback, trimmed to their lines.

    `call` is the call it raised in (`show_call`), None for the code's top level."""

    def __init__(self, traceback_text: str, call: str | None = None):
        super().__init__(traceback_text)
        self.call = call

    def report(self) -> str:
        where = f" on {self.call}" if self.call else ""
        return f"Your code raised an error{where}:\n{self}"


class CheckFailed(Exception):
    """A check's verdict found on the way (a wrong type, a changed input): the message."""


# The reader's Check count on this exercise (1 for the first), set by `grade`: a
# numeric answer's message says which way it is off only for the first few tries.
attempt_number: contextvars.ContextVar[int] = contextvars.ContextVar("attempt", default=1)
TRIES_WITH_DIRECTION = 3


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
    """Call the reader's function; their exceptions become ReaderError (naming the call),
    loops TimeLimitExceeded. `sys.exit()` is their error too: nothing here is a program
    to end."""
    try:
        with time_limit(seconds):
            return function(*args)
    except TimeLimitExceeded:
        raise
    except (Exception, SystemExit) as error:  # noqa: BLE001 - any error in their code is reported
        call = show_call(getattr(function, "__name__", "?"), function, args) if args else None
        if isinstance(error, SystemExit):
            code = "" if error.code is None else f" ({show(error.code)})"
            text = (
                f"SystemExit{code}: your code called sys.exit() or raised SystemExit. There "
                "is no program to end here: "
                + ("return the result instead." if args else "let the code run to its end.")
            )
        else:
            text = format_error(error, FILENAME).rstrip()
        raise ReaderError(text, call) from None


def unchanged(before: Any, after: Any) -> bool:
    """Whether an input is as it was (generators and functions are the reader's to use)."""
    if isinstance(before, random.Random) or callable(before):
        return True
    try:
        return bool(before == after) and type(before) is type(after)
    except Exception:  # noqa: BLE001 - a value that cannot be compared is taken as changed
        return False


def call_on_copies(
    function: Callable, args: Sequence, *, entry: str, reference: Callable, changes=()
) -> Any:
    """Call the reader's function on deep copies of `args` and check that the inputs not
    listed in `changes` (their positions) are left as they were; CheckFailed if not.

    Random generators are passed as they are (the check may draw from them across calls).
    """
    copies = [a if isinstance(a, random.Random) else copy.deepcopy(a) for a in args]
    got = call_reader(function, *copies)
    _check_unchanged(args, copies, entry=entry, reference=reference, changes=changes)
    return got


def _check_unchanged(args, copies, *, entry, reference, changes=()) -> None:
    params = _parameters(reference)
    for i, (before, after) in enumerate(zip(args, copies, strict=True)):
        if i in changes or unchanged(before, after):
            continue
        name = params[i] if i < len(params) else f"argument {i + 1}"
        raise CheckFailed(
            f"{show_call(entry, reference, args)} changed its input `{name}` to {show(after)}. "
            "Leave the inputs as they were (the caller still needs them): work on a copy, "
            f"for example sorted({name}) or list({name}), if you need to change one."
        )


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


def _parameters(function: Callable) -> list[str]:
    """The names of a function's positional parameters ([] where *args hides them)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
        return []
    return [p.name for p in parameters]


def show_call(name: str, reference: Callable, args: Sequence) -> str:
    params = _parameters(reference)
    params += [""] * (len(args) - len(params))  # unnamed (*args): the value alone
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
    changes: tuple[int, ...] = (),
) -> Check:
    """A check that calls the reader's function and the reference on the same cases.

    The reference's results are all computed before the reader's code runs, each
    call gets copies of the inputs, and an input the reader changes (other than the
    positions in `changes`, which the function is meant to update in place) fails
    the check. A known mistake is named only when the reader's results agree with
    it on every case they returned, so one coincidence cannot misname a bug.
    """

    def run(reader: Callable, rng: random.Random) -> str | None:
        all_cases = list(cases(rng))
        wants = [outcome(reference, copy.deepcopy(case.args)) for case in all_cases]

        def reader_outcome(case: Case) -> Any:
            copies = copy.deepcopy(case.args)
            got = outcome(lambda *a: call_reader(reader, *a), copies)
            _check_unchanged(case.args, copies, entry=entry, reference=reference, changes=changes)
            return got

        gots = []
        for case, want in zip(all_cases, wants, strict=True):
            try:
                got = reader_outcome(case)
            except TimeLimitExceeded:
                call = show_call(entry, reference, case.args)
                raise TimeLimitExceeded(
                    f"{call} did not return within {CALL_SECONDS:g} s."
                ) from None
            gots.append(got)
            problem = difference(got, want, tol)
            if problem is None:
                continue
            call = show_call(entry, reference, case.args)
            lines = [f"{call}: {problem}."]
            if case.note:
                lines.append(f"This case: {case.note}.")
            explanation = _matching_mistake(mistakes, all_cases, gots, reader_outcome, outcome, tol)
            lines.append(explanation or advice)
            return "\n".join(line for line in lines if line)
        return None

    return Check(name, run)


def _matching_mistake(mistakes, all_cases, gots, reader_outcome, outcome, tol) -> str | None:
    """The message of the first mistake that gives what the reader's code gives on every
    case: the cases so far, and the rest as far as the reader's code returns."""
    if not mistakes:
        return None
    for case in all_cases[len(gots) :]:
        try:
            gots.append(reader_outcome(case))
        except (ReaderError, TimeLimitExceeded, CheckFailed):
            break
    for mistake in mistakes:
        for case, got in zip(all_cases, gots, strict=False):
            try:
                wrong = outcome(mistake.function, copy.deepcopy(case.args))
            except Exception:  # noqa: BLE001 - a mistake that fails here cannot match
                break
            if difference(got, wrong, tol) is not None:
                break
        else:
            return mistake.message
    return None


def as_number(answer: Any) -> float | None:
    """A numeric answer as a float: ints, floats, exact fractions (fractions.Fraction) and
    decimals count; booleans and everything else do not (None)."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, numbers.Real | decimal.Decimal):
        try:
            return float(answer)
        except (OverflowError, ValueError):
            return None
    return None


def value_checks(
    entry: str, expected: float, tol: float, mistakes: Sequence[tuple[str, str]] = ()
) -> tuple[Check, ...]:
    """Checks for a numeric answer: it is a number, and it is right (without revealing it).

    Right means within a relative tolerance `tol` of the answer. For the first
    TRIES_WITH_DIRECTION Checks a wrong answer is called too high or too low; after
    that the message says how far off it is, not which way, so the answer cannot
    be found by halving the interval.
    """
    percent = f"{tol:.1%}".replace(".0%", "%")

    def is_number(answer: Any, rng: random.Random) -> str | None:
        if answer is Ellipsis:
            return f"Replace the ... after `{entry} =` with your answer."
        value = as_number(answer)
        if value is None:
            return (
                f"`{entry}` should be a number (an int, a float or an exact Fraction), "
                f"not {type(answer).__name__} {show(answer)}."
            )
        if not math.isfinite(value):
            return f"`{entry}` = {show(answer)} is not a finite number."
        return None

    def is_right(answer: Any, rng: random.Random) -> str | None:
        if is_number(answer, rng):
            return "Give a number first."
        value = as_number(answer)
        if _close(value, expected, tol):
            return None
        lines = [
            f"{entry} = {show(answer)} is not right: it is not within {percent} of the "
            f"answer (a relative tolerance of {tol:g})."
        ]
        for code, message in mistakes:
            if _close(value, run_solution(code, entry), tol):
                lines.append(message)
                break
        else:
            if attempt_number.get() <= TRIES_WITH_DIRECTION:
                lines.append("Too high." if value > expected else "Too low.")
            else:
                lines.append(
                    f"It is off by about {_how_far(value, expected)} of the answer "
                    "(which way is for you to find: check each step of your working)."
                )
        return "\n".join(lines)

    return (Check("a number", is_number), Check("the right value", is_right))


def _close(value: float, expected: float, tol: float) -> bool:
    """Within relative tolerance tol (absolute tol only when the answer is 0)."""
    return math.isclose(value, expected, rel_tol=tol, abs_tol=tol if expected == 0 else 0.0)


def _how_far(value: float, expected: float) -> str:
    """The relative distance, to one significant figure, as a reader reads it."""
    if expected == 0:
        return f"{abs(value):.1g} (the answer's distance from 0)"
    off = abs(value - expected) / abs(expected)
    if off >= 10:
        return f"{off:.0f} times its size"
    return f"{float(f'{off:.1g}'):.0%}" if off >= 0.01 else "less than 1%"


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


# Where the reference solutions live: code that imports them passes nothing.
SOLUTIONS_PACKAGE = "saferlhub.exercises"


@dataclass(frozen=True)
class SharedData:
    """Data the checks (and the site's pages) read that the reader's code can reach and
    change in place: `live` is the object everyone uses, `pristine` a copy made from
    the source (see `saferlhub.exercises.isolation`)."""

    name: str
    live: Any
    pristine: Any


def restore_in_place(live: Any, pristine: Any) -> None:
    """Make `live` equal to `pristine` again without replacing it (other modules hold it)."""
    if isinstance(live, dict) and isinstance(pristine, dict):
        for key in [k for k in live if k not in pristine]:
            del live[key]
        for key, value in pristine.items():
            if key in live and type(live[key]) is type(value) and isinstance(value, dict | list):
                restore_in_place(live[key], value)
            else:
                live[key] = copy.deepcopy(value)
    elif isinstance(live, list) and isinstance(pristine, list):
        if len(live) == len(pristine):
            for i, value in enumerate(pristine):
                if type(live[i]) is type(value) and isinstance(value, dict | list):
                    restore_in_place(live[i], value)
                else:
                    live[i] = copy.deepcopy(value)
        else:
            live[:] = copy.deepcopy(pristine)


def _changed_shared(shared: Sequence[SharedData]) -> str | None:
    """A message naming the shared data the reader's code changed (put back), else None."""
    changed = [item.name for item in shared if item.live != item.pristine]
    for item in shared:
        restore_in_place(item.live, item.pristine)
    if not changed:
        return None
    return (
        f"Your code changed {' and '.join(changed)} in place. The checks and the site's "
        "pages read it, so it has been put back as it was. Work on a copy "
        "(copy.deepcopy) if you need a changed version."
    )


def _imported_solutions(tree: ast.AST) -> str | None:
    """The module of the reference solutions the reader's code imports, if any."""
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name == SOLUTIONS_PACKAGE or name.startswith(SOLUTIONS_PACKAGE + "."):
                return name
    return None


def _not_written_here(exercise: Exercise, reader: Any) -> str | None:
    """Why `reader` is not a function the reader's code defined, or None."""
    code = getattr(reader, "__code__", None)
    if code is not None and code.co_filename == FILENAME:
        return None
    origin = getattr(reader, "__module__", None) or type(reader).__name__
    return (
        f"`{exercise.entry}` is not defined by your code: it comes from {origin}. "
        f"Write the function yourself with `def {exercise.entry}(...):`."
    )


def grade(
    exercise: Exercise,
    code: str,
    seed: int = 0,
    attempt: int = 1,
    shared: Sequence[SharedData] = (),
) -> dict:
    """Run the reader's code and every check; a JSON-ready report.

    {"ok": all passed, "checks": [{"name", "passed", "message"}], "output": what the
    code printed, "error": why nothing could be checked (syntax error, missing name)}.
    `attempt`: the reader's Check count on this exercise (1 for the first).
    `shared`: data put back as it was before the reader's code runs and after it; a
    change the code makes to it is reported.
    """
    token = attempt_number.set(max(1, int(attempt)))
    for item in shared:
        restore_in_place(item.live, item.pristine)
    try:
        return _grade(exercise, code, seed, shared)
    finally:
        for item in shared:
            restore_in_place(item.live, item.pristine)
        attempt_number.reset(token)


def _grade(exercise: Exercise, code: str, seed: int, shared: Sequence[SharedData]) -> dict:
    stdout = io.StringIO()
    namespace = fresh_namespace()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
        try:
            compiled = compile(code, FILENAME, "exec", dont_inherit=True)
            tree = ast.parse(code, FILENAME)
        except SyntaxError as error:
            return _result(False, [], "", format_error(error, FILENAME).rstrip())
        imported = _imported_solutions(tree)
        if imported:
            return _result(
                False,
                [],
                "",
                f"Your code imports {imported}, where this site keeps the exercises' "
                "solutions: a check of it would check ours. Write it without that import.",
            )
        try:
            call_reader(lambda: exec(compiled, namespace), seconds=5 * CALL_SECONDS)  # noqa: S102
        except ReaderError as error:
            return _result(False, [], stdout.getvalue(), error.report())
        except TimeLimitExceeded:
            return _result(False, [], stdout.getvalue(), _too_slow(5 * CALL_SECONDS))
        changed = _changed_shared(shared)
        if changed:
            return _result(False, [], stdout.getvalue(), changed)
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
            return _result(
                False,
                [],
                stdout.getvalue(),
                f"`{exercise.entry}` is not a function: it is {type(reader).__name__} "
                f"{show(reader)}.",
            )
        if exercise.kind == "function":
            borrowed = _not_written_here(exercise, reader)
            if borrowed:
                return _result(False, [], stdout.getvalue(), borrowed)
        checks = []
        timed_out = False
        for index, check in enumerate(exercise.checks):
            rng = random.Random(f"{exercise.id}:{seed}:{index}")
            if timed_out:
                message = "Not run: an earlier check ran out of time."
            else:
                message = _run_check(check, reader, rng)
                if isinstance(message, TimeLimitExceeded):
                    message, timed_out = _too_slow(CALL_SECONDS, str(message)), True
            changed = _changed_shared(shared)
            if changed:
                message = changed if message is None else f"{message}\n{changed}"
            checks.append({"name": check.name, "passed": message is None, "message": message})
    return _result(all(c["passed"] for c in checks), checks, stdout.getvalue())


def _run_check(check: Check, reader: Any, rng: random.Random) -> str | None | TimeLimitExceeded:
    """The check's message (None: passed); a time-out comes back as the exception."""
    try:
        return check.run(reader, rng)
    except ReaderError as error:
        return error.report()
    except CheckFailed as failure:
        return str(failure)
    except TimeLimitExceeded as error:
        return error
    except Exception as error:  # noqa: BLE001 - never a traceback of the checks' own code
        # A value of a type the check did not foresee: say so rather than crash.
        return (
            f"This check could not use what your code gave it ({type(error).__name__}: "
            f"{error}). Check the type of what your function returns against the task "
            "(a number, a list, an action index)."
        )
