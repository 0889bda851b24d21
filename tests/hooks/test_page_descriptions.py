"""Every page has its own meta description (front matter), not the site's default."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from mkdocs.utils.meta import get_data

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "js" not in p.relative_to(DOCS).parts)


def site_description() -> str:
    # mkdocs.yml has !!python/name tags elsewhere in some projects; read only this key.
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return config["site_description"]


def description(page: Path) -> str | None:
    _, meta = get_data(page.read_text(encoding="utf-8"))
    return meta.get("description")


def test_there_are_pages():
    assert len(PAGES) > 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_page_describes_itself(page):
    text = description(page)
    assert text, f"{page.relative_to(DOCS)}: add `description:` to its front matter"
    assert text.strip() != site_description().strip()
    # Search engines show about 160 characters; a description is one or two sentences.
    assert 50 <= len(text) <= 200, f"{len(text)} characters"


def test_no_two_pages_share_a_description():
    seen: dict[str, Path] = {}
    for page in PAGES:
        text = description(page)
        assert text not in seen, f"{page} repeats {seen.get(text)}'s description"
        seen[text] = page
