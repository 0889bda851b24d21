"""The bibliography (docs/learn/references.yml): every citation exists, every entry is cited."""

from __future__ import annotations

from pathlib import Path

import bibliography
import pytest
from mkdocs.exceptions import PluginError

DOCS = Path(__file__).resolve().parents[2] / "docs"


def citations() -> dict[str, set[str]]:
    """Cited key -> the pages citing it."""
    found: dict[str, set[str]] = {}
    for page in DOCS.rglob("*.md"):
        for match in bibliography.CITE.finditer(page.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), set()).add(str(page.relative_to(DOCS)))
    return found


def test_every_citation_has_an_entry():
    unknown = {
        key: pages for key, pages in citations().items() if key not in bibliography.load_entries()
    }
    assert not unknown


def test_every_entry_is_cited_somewhere():
    uncited = set(bibliography.load_entries()) - set(citations())
    assert not uncited


def test_a_citation_links_to_its_entry_relative_to_the_page():
    assert bibliography.cite_markdown("sutton-barto-2018", "maze/play.md") == (
        "[Sutton and Barto 2018](../learn/references.md#ref-sutton-barto-2018)"
    )
    assert bibliography.cite_markdown("baker-2025", "learn/next-steps.md").startswith(
        "[Baker et al. 2025](references.md#ref-baker-2025)"
    )
    with pytest.raises(PluginError, match="not in references.yml"):
        bibliography.cite_markdown("nobody-1900", "index.md")


def test_the_bibliography_lists_every_entry_with_its_anchor():
    html = bibliography.bibliography_html()
    for key in bibliography.load_entries():
        assert f'id="ref-{key}"' in html
