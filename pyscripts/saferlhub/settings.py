"""Settings of a training run as a dataclass a page can render and a reader can mistype.

Every learner in `saferlhub` describes its settings the same way: a dataclass whose
fields are made with `setting(...)`, carrying a label and a description for a
reader, a range for numbers and a list of choices for text. From that one
declaration come

- `check_fields(settings)`: each value's type and range, refused with a
  `SettingError` that names the field and says why in words a reader follows;
- `range_text(spec)`: the range in words ("from 1 to 10,000,000");
- `schema(cls, choice_labels)`: the settings as JSON for the page's controls;
- `make(cls, presets, settings, changes)`: settings from a preset name, a dict or
  another settings object, with changes on top, unknown names refused.

The settings every tabular learner has (learning rate, discount, exploration and
their schedules) read the same in every lab: `learning_setting(name, default,
unit)` makes each from one label, description and range (LEARNING_SETTINGS),
taking only the default and the word for an episode ("hand", "episode"); `check_schedules`
checks the rules between them, `epsilon_at` and `alpha_at` give their values at
an episode. `check_resume`, `restore_rng` and `rng_state` carry a stopped run's
random generator through JSON.

A field's type is its default's type (bool, int, float or str), so a whole-number
default such as `episodes: int = setting(1000, ...)` makes a whole-number field and
`alpha: float = setting(0.1, ...)` a real-valued one.
"""

from __future__ import annotations

import random
from dataclasses import asdict, field, fields

from saferlhub.schedules import SCHEDULES, schedule

# The smallest value accepted where 0 must be refused (a learning rate of 0 never learns);
# its range reads "above 0 and at most ...".
TINY = 1e-6

# Every seed a page or a learner accepts: 0 to SEED_MAX (docs/js/number-field.js says the same).
SEED_MAX = 2**32 - 1

# A message repeats at most this much of what a reader typed (a 309-digit number is
# not worth echoing in full).
SHOWN_PREFIX = 12


def setting(default, label, description, low=None, high=None, choices=None):
    """A dataclass field with what a page needs to show it and `check_fields` to check it."""
    meta = {"label": label, "description": description, "min": low, "max": high}
    meta["choices"] = choices
    return field(default=default, metadata=meta)


class SettingError(ValueError):
    """A setting out of its range; `setting` names it, the message is for a reader."""

    def __init__(self, setting: str, message: str):
        super().__init__(message)
        self.setting = setting


def field_type(spec) -> type:
    """bool, int, float or str: the type of the field's default."""
    return type(spec.default)


def shown(value) -> str:
    """A value as a reader typed it: 5 rather than 5.0, quotes only around text, and
    no more than a short prefix of a long one ("123456789012…")."""
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    if len(text) > SHOWN_PREFIX + 2:
        text = text[:SHOWN_PREFIX] + "…"
    return repr(text) if isinstance(value, str) else text


def checked_seed(seed) -> int:
    """`seed` as an int if it is a whole number from 0 to SEED_MAX; else ValueError."""
    whole = isinstance(seed, int) or (isinstance(seed, float) and seed.is_integer())
    if isinstance(seed, bool) or not whole or not 0 <= seed <= SEED_MAX:
        raise ValueError(f"seed must be a whole number from 0 to {SEED_MAX:,}, got {shown(seed)}")
    return int(seed)


def number_text(x: float) -> str:
    """1,000,000 for whole numbers, 0.05 for the rest."""
    if isinstance(x, int) or float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:g}"


def range_text(spec) -> str:
    """The allowed range of a numeric field, in words: "from 1 to 10,000,000"."""
    low, high = spec.metadata["min"], spec.metadata["max"]
    if low == TINY:
        return f"above 0 and at most {number_text(high)}"
    return f"from {number_text(low)} to {number_text(high)}"


def check_fields(settings) -> None:
    """Check and normalise every field of `settings` (ints as int, reals as float).

    Raises SettingError naming the first field whose value has the wrong type or
    lies outside its range. Rules between fields are the caller's to add.
    """
    for spec in fields(settings):
        value, meta = getattr(settings, spec.name), spec.metadata
        kind, label = field_type(spec), meta["label"]

        def refuse(message, name=spec.name):
            raise SettingError(name, message)

        if kind is bool:
            if not isinstance(value, bool):
                refuse(f"{label} must be on or off (true or false).")
            continue
        if kind is str:
            if meta["choices"] is None:  # free text (a level's ASCII art): the class checks it
                if not isinstance(value, str):
                    refuse(f"{label} must be text.")
            elif value not in meta["choices"]:
                choices = ", ".join(meta["choices"])
                refuse(f"{label} must be one of {choices}; {shown(value)} is not.")
            continue
        if value is None or value == "":
            refuse(f"{label} is empty: enter a number {range_text(spec)}.")
        if isinstance(value, bool) or not isinstance(value, int | float):
            # A page sends the text of a number it cannot represent (1e999) as typed.
            said = f"; {shown(value)} is not" if isinstance(value, str) else ""
            refuse(f"{label} must be a number {range_text(spec)}{said}.")
        if value != value or value in (float("inf"), float("-inf")):  # NaN, infinite
            refuse(f"{label} must be a number {range_text(spec)}.")
        if kind is int:
            if isinstance(value, float) and not value.is_integer():
                refuse(f"{label} must be a whole number; {shown(value)} is not.")
            setattr(settings, spec.name, value := int(value))
        else:
            setattr(settings, spec.name, value := float(value))
        if not meta["min"] <= value <= meta["max"]:
            refuse(f"{label} must be {range_text(spec)}; {shown(value)} is out of range.")


def schema(cls, choice_labels: dict[str, str] | None = None) -> list[dict]:
    """The fields of settings class `cls` as JSON for a page's controls.

    Each: name, label (for a reader), type, default, description, range (in words),
    min, max, choices and choice_labels (from `choice_labels`, else the choices).
    """
    labels = choice_labels or {}
    return [
        {
            "name": spec.name,
            "label": spec.metadata["label"],
            "type": field_type(spec).__name__,
            "default": spec.default,
            "description": spec.metadata["description"],
            "range": range_text(spec) if spec.metadata["min"] is not None else None,
            "min": spec.metadata["min"],
            "max": spec.metadata["max"],
            "choices": spec.metadata["choices"],
            "choice_labels": (
                [labels.get(c, c) for c in spec.metadata["choices"]]
                if spec.metadata["choices"]
                else None
            ),
        }
        for spec in fields(cls)
    ]


def make(cls, presets: dict[str, dict], settings=None, changes: dict | None = None):
    """Settings of class `cls` from a preset name, a dict or settings, `changes` on top."""
    if isinstance(settings, cls):
        values = asdict(settings)
    elif isinstance(settings, str):
        if settings not in presets:
            raise ValueError(f"preset must be one of {', '.join(presets)}; got {settings!r}")
        values = dict(presets[settings])
    else:
        values = dict(settings or {})
    values.update(changes or {})
    known = [spec.name for spec in fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}: expected one of {', '.join(known)}")
    return cls(**values)


# The learning settings of a tabular learner, the same in every lab but for the
# default and the word for an episode: name -> (label, description, min, max,
# choices); "{unit}" in a description becomes that word ("hand", "episode").
LEARNING_SETTINGS = {
    "alpha": (
        "Learning rate α",
        "How far each update moves Q towards its target.",
        TINY,
        1.0,
        None,
    ),
    "alpha_schedule": (
        "Learning-rate schedule",
        "Constant, or decaying to the final learning rate by the last {unit}.",
        None,
        None,
        SCHEDULES,
    ),
    "alpha_min": ("Final learning rate", "Where a decaying learning rate ends.", TINY, 1.0, None),
    "gamma": ("Discount γ", "Weight of the next state's value in the target.", 0.0, 1.0, None),
    "epsilon_start": (
        "Exploration at the start (ε)",
        "Chance of a random action at first.",
        0.0,
        1.0,
        None,
    ),
    "epsilon_min": (
        "Exploration at the end (ε)",
        "Chance of a random action after the decay.",
        0.0,
        1.0,
        None,
    ),
    "epsilon_schedule": (
        "Exploration schedule",
        "How exploration goes from its start to its end value.",
        None,
        None,
        SCHEDULES,
    ),
    "epsilon_decay_fraction": (
        "Exploration decays over",
        "Share of the {unit}s over which exploration decays (0.5 = the first half).",
        0.001,
        1.0,
        None,
    ),
}


def learning_setting(name: str, default, unit: str = "episode"):
    """The field for learning setting `name` (a key of LEARNING_SETTINGS) with this
    default; `unit` names an episode in its description."""
    label, description, low, high, choices = LEARNING_SETTINGS[name]
    choices = list(choices) if choices is not None else None
    return setting(default, label, description.format(unit=unit), low, high, choices)


def check_schedules(settings) -> None:
    """The rules between the learning settings (after `check_fields`): exploration
    does not rise, an exponential decay does not aim at 0, a decaying learning rate
    does not rise. Raises SettingError naming the setting to change."""
    s = settings
    if s.epsilon_min > s.epsilon_start:
        raise SettingError(
            "epsilon_min",
            f"Exploration at the end ({s.epsilon_min:g}) cannot be above exploration "
            f"at the start ({s.epsilon_start:g}).",
        )
    if s.epsilon_schedule == "exponential" and s.epsilon_min == 0.0:
        raise SettingError(
            "epsilon_min",
            "Exploration at the end must be above 0 for an exponential schedule "
            "(an exponential decay never reaches 0).",
        )
    if s.alpha_schedule != "constant" and s.alpha_min > s.alpha:
        raise SettingError(
            "alpha_min",
            f"The final learning rate ({s.alpha_min:g}) cannot be above the learning "
            f"rate α ({s.alpha:g}) for a decaying schedule.",
        )


def epsilon_at(s, episode: int) -> float:
    """The exploration rate of settings `s` at episode number `episode`."""
    decay = s.epsilon_decay_fraction * s.episodes
    return schedule(s.epsilon_schedule, s.epsilon_start, s.epsilon_min, episode, decay)


def alpha_at(s, episode: int) -> float:
    """The learning rate of settings `s` at episode number `episode`."""
    return schedule(s.alpha_schedule, s.alpha, s.alpha_min, episode, s.episodes)


# A stopped run, resumed: its result passes through JSON (the page keeps it), so the
# random generator's state travels as lists.


def check_resume(resume: dict, keys) -> None:
    """Refuse a `resume` that lacks any of `keys` (ValueError naming them)."""
    missing = [key for key in keys if key not in resume]
    if missing:
        raise ValueError(f"resume must be a result of train(); it lacks {', '.join(missing)}")


def rng_state(rng: random.Random) -> list:
    """The generator's state as JSON: [version, [internal...], gauss]."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def restore_rng(state) -> random.Random:
    """A generator in the state `rng_state` gave (after a trip through JSON)."""
    rng = random.Random()
    version, internal, gauss = state
    rng.setstate((version, tuple(internal), gauss))
    return rng
