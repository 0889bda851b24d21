"""docs/maze/microscope-python.md: its example is exactly what this test runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "maze" / "microscope-python.md"


def example_code() -> str:
    """The page's one ```python block (the section "The example")."""
    blocks = re.findall(r"^```python\n(.*?)^```$", PAGE.read_text(), flags=re.S | re.M)
    assert len(blocks) == 1, "the page should have exactly one Python example"
    return blocks[0]


def test_the_pages_example_runs_as_written(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the page says: run Python from the repository's root
    exec(compile(example_code(), str(PAGE), "exec"), {"__name__": "__main__"})
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == "{'hidden.0': 256, 'hidden.1': 256, 'hidden.2': 256, 'hidden.3': 256, 'q': 4}"
    )
    assert lines[2].startswith("completeness error") and lines[2].endswith("with 128 steps")
    assert [line.split()[0] for line in lines[3:7]] == [f"hidden.{k}" for k in range(4)]
    assert lines[-1].startswith("None final")  # the sweep ends with the final network
