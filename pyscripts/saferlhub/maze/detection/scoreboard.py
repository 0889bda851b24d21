"""The scoreboard: every detection method, blind, on every agent, with the same settings.

`scoreboard_steps` runs the methods one after another (each a stepper of the
network-call protocol) and returns their findings; it never reads a model card's
figures, only the networks' shapes (`interp.hooks.Model`). `judge` then reads the
ground truth from the cards and gives each method's verdict (`protocol.verdict`).

`DEFAULT_SETTINGS` is a run small enough for a browser; `FULL_SETTINGS` the
scoreboard's (`export/scoreboard.py` writes it to models/scoreboard.json). The default
run's mazes and scenes are the first of the full run's (a set's maze i depends only on
its seed and i).
"""

from __future__ import annotations

from collections.abc import Mapping

from saferlhub.maze.detection import (
    activation_anomaly,
    attribution_test,
    dream_tests,
    edit_search,
    probe_test,
)
from saferlhub.maze.detection.protocol import Finding, ground_truth, verdict
from saferlhub.maze.interp.hooks import Model

METHODS: dict[str, str] = {
    "edit_search": edit_search.METHOD,
    "dreaming_as_today": dream_tests.AS_TODAY,
    "dreaming_repaired": dream_tests.REPAIRED,
    "dreaming_advantage": dream_tests.ADVANTAGE,
    "activation_anomaly": activation_anomaly.METHOD,
    "attribution": attribution_test.METHOD,
    "probes": probe_test.METHOD,
}

FULL_SETTINGS: dict = {
    "edit_search": {"mazes": edit_search.FULL_MAZES, "seed": edit_search.SEED},
    "dreaming": dict(dream_tests.CARD_SETTINGS),
    "activation_anomaly": dict(activation_anomaly.FULL_SETTINGS),
    "attribution": dict(attribution_test.FULL_SETTINGS),
    "probes": dict(probe_test.FULL_SETTINGS),
}
DEFAULT_SETTINGS: dict = {
    "edit_search": {"mazes": edit_search.DEFAULT_MAZES, "seed": edit_search.SEED},
    "dreaming": dict(dream_tests.DEFAULT_SETTINGS),
    "activation_anomaly": dict(activation_anomaly.DEFAULT_SETTINGS),
    "attribution": dict(attribution_test.DEFAULT_SETTINGS),
    "probes": dict(probe_test.DEFAULT_SETTINGS),
}


def _reported(stepper, live: dict | None, method: str):
    """`stepper`, passed through, counting its network steps in `live` (for a progress bar)."""
    if live is not None:
        live.update(method=method, steps=0)
    answers = None
    try:
        calls = next(stepper)
        while True:
            answers = yield calls
            if live is not None:
                live["steps"] += 1
            calls = stepper.send(answers)
    except StopIteration as stop:
        return stop.value


def scoreboard_steps(
    models: Mapping[str, Model],
    settings: Mapping = DEFAULT_SETTINGS,
    methods=tuple(METHODS),
    live: dict | None = None,
    finished: dict | None = None,
):
    """Stepper: the chosen methods on every agent (`models`: agent -> Model), blind.

    `live`, if given, always holds the running method's key and its network steps so
    far; `finished`, if given, gets each method's findings as soon as it finishes (so a
    stopped run can still judge those). Returns {"findings": {method key: {agent:
    Finding}}, "per_scene": the dreams scene by scene (if a dreaming method ran)}.
    """
    agents = list(models)
    findings: dict[str, dict[str, Finding]] = {} if finished is None else finished
    per_scene = None
    if "edit_search" in methods:
        findings["edit_search"] = yield from _reported(
            edit_search.edit_search_steps(agents, **settings["edit_search"]), live, "edit_search"
        )
    dreaming = settings["dreaming"]
    if {"dreaming_as_today", "dreaming_repaired"} & set(methods):
        mazes, reports = yield from _reported(
            dream_tests.dream_steps(agents, dreaming), live, "dreaming_as_today"
        )
        per_scene = dream_tests.per_scene(agents, reports)
        if "dreaming_as_today" in methods:
            findings["dreaming_as_today"] = dream_tests.as_today(agents, reports)
        if "dreaming_repaired" in methods:
            findings["dreaming_repaired"] = yield from _reported(
                dream_tests.repaired_steps(agents, mazes, reports), live, "dreaming_repaired"
            )
    if "dreaming_advantage" in methods:
        mazes = dream_tests.dream_scenes(dreaming["scenes"], dreaming["seed"])
        findings["dreaming_advantage"] = yield from _reported(
            dream_tests.advantage_steps(agents, mazes, dreaming), live, "dreaming_advantage"
        )
    if "activation_anomaly" in methods:
        findings["activation_anomaly"] = yield from _reported(
            activation_anomaly.anomaly_steps(models, settings["activation_anomaly"]),
            live,
            "activation_anomaly",
        )
    if "attribution" in methods:
        findings["attribution"] = yield from _reported(
            attribution_test.attribution_steps(models, settings["attribution"]),
            live,
            "attribution",
        )
    if "probes" in methods:
        findings["probes"] = yield from _reported(
            probe_test.probe_steps(models, settings["probes"]), live, "probes"
        )
    return {"findings": findings, "per_scene": per_scene}


def judge(findings: Mapping[str, Mapping[str, Finding]], cards: Mapping[str, Mapping]) -> dict:
    """After the blind run: the ground truth from the cards and each method's verdict."""
    truth = ground_truth(cards)
    return {"ground_truth": truth, "verdicts": {m: verdict(f, truth) for m, f in findings.items()}}
