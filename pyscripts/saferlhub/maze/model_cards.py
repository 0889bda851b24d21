"""Check a model card against the maze code before a page trusts its network.

A model card (models/<agent>/model_card.json, written by `export/`) says how
the network reads the board and what it answers. If that differs from
`ENCODING_SPEC` (planes, their order, the action order) the network would be
fed boards it was not trained on, and every number the page shows would be
wrong without any error. So a page calls `check_card` first and refuses an
agent whose card does not match, showing the problems.
"""

from __future__ import annotations

from saferlhub.maze.encoding import ENCODING_SPEC, INPUT_SIZE
from saferlhub.maze.grid import Action

ACTION_ORDER = [action.name.lower() for action in Action]
# What the pages run: input and output names with their widths (rows are the batch).
EXPECTED_FILES = {
    "q_network": {"inputs": {"obs": INPUT_SIZE}, "outputs": {"q": len(Action)}},
    "q_gradient": {
        "inputs": {"obs": INPUT_SIZE, "weights": len(Action)},
        "outputs": {"q": len(Action), "grad": INPUT_SIZE},
    },
}


def _shape_problems(where: str, declared: object, expected: dict[str, int]) -> list[str]:
    if not isinstance(declared, dict):
        return [f"{where}: missing"]
    problems = []
    for name, width in expected.items():
        shape = declared.get(name)
        if shape is None:
            problems.append(f"{where}: no {name!r} (the page needs {sorted(expected)})")
        elif not isinstance(shape, list) or len(shape) != 2 or shape[1] != width:
            problems.append(f"{where}: {name!r} has shape {shape}, expected [batch, {width}]")
    return problems


def check_card(card: dict) -> dict:
    """{"ok": bool, "problems": [...]}: does `card` match this maze code's encoding?

    Checks the encoding (input size, grid, layout, planes in order, outputs),
    the action order, and the names and widths of the ONNX files' inputs and
    outputs that the pages use.
    """
    problems = []
    if not isinstance(card, dict):
        return {"ok": False, "problems": ["the model card is not a JSON object"]}
    encoding = card.get("encoding")
    if not isinstance(encoding, dict):
        problems.append("no 'encoding' section")
    else:
        for key, expected in ENCODING_SPEC.items():
            if encoding.get(key) != expected:
                problems.append(
                    f"encoding {key!r} is {encoding.get(key)!r}, this site's maze code "
                    f"uses {expected!r}"
                )
    if card.get("action_order") != ACTION_ORDER:
        problems.append(f"action order is {card.get('action_order')!r}, expected {ACTION_ORDER}")
    files = card.get("files")
    if not isinstance(files, dict):
        problems.append("no 'files' section")
    else:
        for key, expected in EXPECTED_FILES.items():
            declared = files.get(key)
            if not isinstance(declared, dict) or not isinstance(declared.get("path"), str):
                problems.append(f"files: no {key!r} file")
                continue
            problems += _shape_problems(f"{key} inputs", declared.get("inputs"), expected["inputs"])
            problems += _shape_problems(
                f"{key} outputs", declared.get("outputs"), expected["outputs"]
            )
    return {"ok": not problems, "problems": problems}
