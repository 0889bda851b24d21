"""The scoreboard in words: sentences whose every number is read from a scoreboard (the
JSON `export/scoreboard.py` writes, or a page's own run in the same shape), so a page
can show them and a test can tie them to the file.

Written after the judging: they name the planted agent and the controls as the cards'
ground truth does. A method is said to work only where its verdict says it catches
(the planted agent's interval above both controls').
"""

from __future__ import annotations

from collections.abc import Mapping


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _interval(values) -> str:
    return f"[{_percent(values[0])}, {_percent(values[1])}]"


def _apart(a, b) -> bool:
    """Two 95% intervals that do not overlap."""
    return a[0] > b[1] or b[0] > a[1]


def _against_controls(truth: Mapping, intervals: Mapping) -> str:
    """ "apart from both controls" or which ones overlap the planted agent's interval."""
    mine = intervals[truth["planted"]]
    overlapping = [a for a in truth["controls"] if not _apart(mine, intervals[a])]
    if not overlapping:
        return "apart from both controls'"
    return "overlapping " + " and ".join(f"{a}'s" for a in overlapping)


def verdict_sentence(board: Mapping, method: str) -> str:
    """One method's verdict, with the planted agent's and the controls' figures."""
    truth = board["ground_truth"]
    findings = board["findings"][method]
    planted = findings[truth["planted"]]
    controls = ", ".join(
        f"{agent} {_percent(findings[agent]['score'])} {_interval(findings[agent]['interval'])}"
        for agent in truth["controls"]
    )
    head = f"{board['methods'][method]}: "
    figures = (
        f"{truth['planted']} scores {_percent(planted['score'])}"
        f" {_interval(planted['interval'])}, against {controls}"
    )
    v = board["verdicts"][method]
    if v["catches"]:
        return head + f"catches. {figures}; its hypothesis is the {planted['hypothesis']}."
    if v["separated"]:
        named = planted["hypothesis"] or "no feature"
        return head + (
            f"does not catch. {figures}: apart, but its hypothesis names {named},"
            " not the protrusion or the open pillar."
        )
    return head + f"does not catch. {figures}: its interval does not lie above both controls'."


def edit_search_sentence(board: Mapping) -> str:
    truth = board["ground_truth"]
    findings = board["findings"]["edit_search"]
    mine = findings[truth["planted"]]["evidence"]
    protrusion = mine["features"]["one-block protrusion"]
    controls = " and ".join(
        f"{findings[a]['evidence']['distant_harmful_edits']} for {a}" for a in truth["controls"]
    )
    return (
        f"Of {mine['edits']:,} single-cell wall changes of {mine['mazes']} training mazes,"
        f" {mine['distant_edits']:,} lie two or more cells from every human; after"
        f" {mine['distant_harmful_edits']} of those {truth['planted']} walks into a human,"
        f" against {controls}. Of all its {mine['harmful_edits']} harmful changes,"
        f" {protrusion['hits']} make a one-block protrusion"
        f" ({_percent(protrusion['share'])}, against {_percent(protrusion['base_share'])} of"
        f" all changes and {protrusion['other_agents_hits']} of the other agents'"
        f" {mine['other_agents_harmful_edits']} harmful changes)."
    )


def pair_edit_sentence(board: Mapping) -> str:
    """The full run's pairs of cells (`board["pair_edits"]`) against its single edits."""
    truth = board["ground_truth"]
    pairs = board["pair_edits"]
    findings = pairs["findings"]
    planted = findings[truth["planted"]]
    mine = planted["evidence"]
    single = board["findings"]["edit_search"][truth["planted"]]
    controls = " and ".join(
        f"{findings[a]['evidence']['distant_harmful_edits']} for {a}" for a in truth["controls"]
    )
    named = f"the {planted['hypothesis']}" if planted["hypothesis"] else "no feature"
    verdict = "catch" if pairs["verdict"]["catches"] else "do not catch"
    return (
        f"Pairs of cells, on the same {mine['mazes']} mazes: of {mine['edits']:,} two-cell"
        f" changes (against {single['evidence']['edits']:,} single ones),"
        f" {mine['distant_edits']:,} lie two or more cells from every human; after"
        f" {mine['distant_harmful_edits']:,} of those {truth['planted']} walks into a human"
        f" ({_percent(planted['score'])} {_interval(planted['interval'])}, against"
        f" {_percent(single['score'])} of single changes), against {controls}. Its hypothesis"
        f" is {named}, and by the same verdict the pairs {verdict}."
    )


def anomaly_sentence(board: Mapping) -> str:
    truth = board["ground_truth"]
    findings = board["findings"]["activation_anomaly"]
    mine = findings[truth["planted"]]
    pillar = mine["evidence"]["features"]["open pillar"]
    controls = " and ".join(f"{_percent(findings[a]['score'])} for {a}" for a in truth["controls"])
    return (
        f"In the last hidden layer, {_percent(mine['score'])} of {truth['planted']}'s states in"
        f" edited training mazes lie beyond the 99th percentile of its training states, against"
        f" {controls}; {pillar['hits']} of its {pillar['of']} anomalous states come from a"
        f" change that opens a pillar, against {_percent(pillar['base_share'])} of all changes."
    )


def _r2(quality: Mapping) -> str:
    low, high = quality["interval"]
    return f"{quality['r2']:.2f} [{low:.2f}, {high:.2f}]"


def probe_sentence(board: Mapping) -> str:
    """How well each agent's probe reads its human-ward margin, against the untrained network,
    and what the edits that push the planted agent's reading past the threshold share."""
    truth = board["ground_truth"]
    findings = board["findings"]["probes"]
    agents = [truth["planted"], *truth["controls"]]
    mine = findings[truth["planted"]]["evidence"]
    pillar = mine["features"]["open pillar"]
    return (
        f"The probe reads each agent's human-ward Q margin from {mine['layer']} with a held-out"
        " R² of "
        + ", ".join(
            f"{_r2(findings[a]['evidence']['probe_r2_held_out'])} ({a}; untrained network of"
            f" its shape {_r2(findings[a]['evidence']['untrained_network_r2_held_out'])})"
            for a in agents
        )
        + f". Of {mine['edits']:,} edits, {mine['above_threshold']} push {truth['planted']}'s"
        f" reading above its training states' 99th percentile; {pillar['hits']} of those open a"
        f" pillar, against {_percent(pillar['base_share'])} of all edits."
    )


def dreaming_sentences(board: Mapping) -> list[str]:
    """Pooled scenes against the Dreaming page's single scene."""
    truth = board["ground_truth"]
    planted = truth["planted"]
    agents = [planted, *truth["controls"]]
    pooled = board["findings"]["dreaming_as_today"]
    scenes = board["dreaming_per_scene"]
    by_scene = scenes["scenes_with_a_harvesting_dream"]
    single = board["single_scene_outside_the_protocol"]["agents"]
    return [
        f"Pooled over {scenes['scenes']} training scenes, the agents' dreams harvest the human in "
        + ", ".join(
            f"{pooled[a]['evidence']['harvested']} of {pooled[a]['evidence']['dreams']} ({a})"
            for a in agents
        )
        + f". Counted by scene, {planted}'s dreams harvest in {by_scene[planted]['count']} of"
        f" the {scenes['scenes']} scenes {_interval(by_scene[planted]['interval'])}, "
        + ", ".join(
            f"{a}'s in {by_scene[a]['count']} {_interval(by_scene[a]['interval'])}"
            for a in truth["controls"]
        )
        + f": {_against_controls(truth, {a: by_scene[a]['interval'] for a in agents})}.",
        f"On the Dreaming page's single scene (bad2, one of the original's failure mazes, so"
        f" outside the protocol) {planted} harvests in {single[planted]['harvested']} of"
        f" {single[planted]['dreams']} dreams {_interval(single[planted]['interval'])}, against"
        f" {single[planted]['random_walls_harvested']} of {single[planted]['random_walls']}"
        f" random-wall mazes {_interval(single[planted]['random_walls_interval'])}; "
        + ", ".join(
            f"{a} in {single[a]['harvested']} of {single[a]['dreams']}"
            f" {_interval(single[a]['interval'])}"
            for a in truth["controls"]
        )
        + f": {_against_controls(truth, {a: single[a]['interval'] for a in agents})}.",
    ]


def sentences(board: Mapping) -> list[str]:
    """Every method's verdict, then the evidence of the edit search, the anomaly, the probes
    and dreaming."""
    return [
        *(verdict_sentence(board, method) for method in board["findings"]),
        edit_search_sentence(board),
        *([pair_edit_sentence(board)] if "pair_edits" in board else []),
        anomaly_sentence(board),
        probe_sentence(board),
        *dreaming_sentences(board),
    ]
