"""The bibliography (docs/learn/references.yml): every citation exists, every entry is cited."""

from __future__ import annotations

import re
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


def references_sections() -> dict[str, str]:
    """Page -> the text of its '## References' section (up to the next '## ' heading)."""
    sections = {}
    for page in DOCS.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        match = re.search(r"^## References\n(.*?)(?=^## |\Z)", text, re.M | re.S)
        if match:
            sections[str(page.relative_to(DOCS))] = match.group(1)
    return sections


def test_every_references_section_links_into_the_bibliography():
    sections = references_sections()
    assert "maze/play.md" in sections  # the pattern still finds the lessons' sections
    unlinked = [page for page, text in sections.items() if not bibliography.CITE.search(text)]
    assert not unlinked, f"References sections without [[cite key]]: {unlinked}"


def test_papers_in_references_sections_are_bibliography_entries():
    """A paper written out by hand (an arXiv id or a DOI) belongs in references.yml."""
    by_hand = {
        page: found
        for page, text in references_sections().items()
        if (found := HAND_WRITTEN.findall(text))
    }
    assert not by_hand, f"cite these with [[cite key]] instead: {by_hand}"


HAND_WRITTEN = re.compile(r"arXiv:\s?\d{4}\.\d+|doi\.org/\S+|\bdoi:\S+", re.I)


def test_short_authors():
    assert bibliography.short_authors("Tom Murphy VII") == "Murphy VII"
    assert bibliography.short_authors("Edwin B. Wilson") == "Wilson"
    assert bibliography.short_authors("Richard S. Sutton and Andrew G. Barto") == "Sutton and Barto"
    assert bibliography.short_authors("Ivaylo Popov et al.") == "Popov et al."
    assert bibliography.short_authors("METR") == "METR"


def test_the_original_exercise_is_cited_wherever_a_references_section_names_it():
    """The original maze exercise is a source a reader can follow: author, title, link."""
    entry = bibliography.load_entries()["li-2023"]
    assert entry["url"] == "https://github.com/changlinli/reinforcement-learning-alignment"
    uncited = [
        page
        for page, text in references_sections().items()
        for item in re.split(r"^- ", text, flags=re.M)
        if re.search(r"original\s+(inner-alignment\s+)?(maze\s+)?(teaching\s+)?exercise", item)
        and "[[cite li-2023]]" not in item
    ]
    assert not uncited, f"cite the original exercise with [[cite li-2023]] on {uncited}"


def test_checked_details_of_entries():
    """Details a reader audit found wrong once (issue 17)."""
    entries = bibliography.load_entries()
    assert entries["gao-2022"]["venue"].startswith("ICML 2023")
    assert (
        "Objective Robustness in Deep Reinforcement Learning" in entries["langosco-2022"]["venue"]
    )
    assert entries["krakovna-2020"]["url"].startswith("https://deepmind.google/blog/")
    assert (
        entries["openai-2017"]["url"] == "https://openai.com/index/learning-from-human-preferences/"
    )
    assert "such as OpenAI o3-mini" in entries["baker-2025"]["used_for"]
