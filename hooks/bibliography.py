"""MkDocs hook: one bibliography for the site (docs/learn/references.yml).

`[[cite key]]` anywhere in a page becomes a link, "(Authors year)", to the
entry on the references page; `[[bibliography]]` on that page becomes the list
of every entry (authors, year, title, venue, link, what the site uses it for),
each with the anchor `ref-<key>`. An unknown key, or an entry with a missing
or unknown field, fails the build. tests/hooks/test_bibliography.py checks that
every entry is cited somewhere.
"""

from __future__ import annotations

import html
import posixpath
import re
from functools import cache
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError

DATA = Path(__file__).resolve().parent.parent / "docs" / "learn" / "references.yml"
PAGE = "learn/references.md"
FIELDS = {"key", "authors", "year", "title", "venue", "url", "used_for"}
CITE = re.compile(r"\[\[cite ([a-z0-9-]+)\]\]")
MARKER = "[[bibliography]]"


@cache
def load_entries(path: Path = DATA) -> dict[str, dict]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = {}
    for number, entry in enumerate(entries, 1):
        where = f"{path.name}, entry {number} ({entry.get('key', 'no key')})"
        if missing := FIELDS - set(entry):
            raise PluginError(f"{where}: missing {sorted(missing)}")
        if extra := set(entry) - FIELDS:
            raise PluginError(f"{where}: unknown field(s) {sorted(extra)}")
        if entry["key"] in result:
            raise PluginError(f"{where}: the key is used twice")
        if not str(entry["url"]).startswith(("https://", "http://")):
            raise PluginError(f"{where}: url must be a web address")
        result[entry["key"]] = entry
    return result


def short_authors(authors: str) -> str:
    """'A B, C D and E F' -> 'B et al.'; 'A B and C D' -> 'B and D'; one author -> surname."""
    if "," not in authors and " et al." not in authors and " and " in authors:
        first, second = authors.split(" and ", 1)
        return f"{surname(first)} and {surname(second)}"
    name = authors.split(",")[0].split(" and ")[0].replace(" et al.", "")
    if "(" in name or len(name.split()) > 3:
        return name  # an organisation
    many = "," in authors or " et al." in authors
    return surname(name) + (" et al." if many else "")


SUFFIXES = {"Jr.", "Sr.", "II", "III", "IV", "VII"}


def surname(name: str) -> str:
    """'Tom Murphy VII' -> 'Murphy VII'; 'Edwin B. Wilson' -> 'Wilson'."""
    words = name.split()
    if len(words) > 2 and words[-1] in SUFFIXES:
        return " ".join(words[-2:])
    return words[-1]


def cite_markdown(key: str, page_path: str) -> str:
    entries = load_entries()
    if key not in entries:
        raise PluginError(f"{page_path}: [[cite {key}]] is not in {DATA.name}")
    entry = entries[key]
    link = posixpath.relpath(PAGE, posixpath.dirname(page_path) or ".")
    return f"[{short_authors(entry['authors'])} {entry['year']}]({link}#ref-{key})"


def bibliography_html() -> str:
    items = []
    for key, e in sorted(load_entries().items(), key=lambda kv: (kv[1]["authors"], kv[1]["year"])):
        url = html.escape(e["url"])
        items.append(
            f'<li id="ref-{key}" class="bibliography__entry">'
            f"{html.escape(e['authors'])} ({e['year']}). "
            f'<a href="{url}"><cite>{html.escape(e["title"])}</cite></a>. '
            f"{html.escape(e['venue'])}. "
            f'<span class="bibliography__use">Used for: {html.escape(e["used_for"])}</span></li>'
        )
    return f'<ol class="bibliography">{"".join(items)}</ol>'


def on_page_markdown(markdown, page, config, files):
    path = page.file.src_uri
    markdown = CITE.sub(lambda m: cite_markdown(m.group(1), path), markdown)
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, bibliography_html())
    return markdown
