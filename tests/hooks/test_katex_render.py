"""hooks/katex_render.py: the maths is rendered when the site is built, not in the browser."""

import logging

import katex_render
import pytest
from mkdocs.exceptions import PluginError

PAGE = (
    "<html><head><title>t</title></head><body>"
    '<p>With <span class="arithmatex">'
    "\\(a &lt; b \\text{ and } \\varepsilon = 0\\)</span> here.</p>"
    '<div class="arithmatex">\\[ V(s) = \\max_a Q(s, a) \\]</div>'
    "</body></html>"
)


def test_inline_and_display_maths_become_katex_with_mathml_and_the_stylesheet_is_linked():
    page = katex_render.render_page_maths(PAGE, "../assets/vendor/katex/katex.min.css")
    assert "\\(" not in page and "\\[" not in page  # no TeX left for the reader to see
    assert page.count('class="katex"') == 2
    assert page.count("<math") == 2  # the MathML screen readers read
    assert "<mo>&lt;</mo>" in page  # the escaped TeX was read as TeX
    assert '<span class="katex-display">' in page
    # A display block scrolls sideways on a phone: a labelled tab stop (axe).
    assert '<div class="arithmatex" tabindex="0" role="group" aria-label="formula">' in page
    assert page.count("data-katex") == 1
    assert (
        '<link rel="stylesheet" href="../assets/vendor/katex/katex.min.css" data-katex>\n</head>'
        in page
    )


def test_a_page_without_maths_is_left_alone():
    page = "<html><head></head><body><p>No formula, \\(not arithmatex\\).</p></body></html>"
    assert katex_render.render_page_maths(page, "x.css") == page


def test_a_formula_katex_cannot_read_is_a_build_warning_and_shows_in_red(caplog):
    page = (
        '<html><head></head><body><span class="arithmatex">\\(\\nosuchmacro x\\)</span>'
        "</body></html>"
    )
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.katex_render"):
        rendered = katex_render.render_page_maths(page, "x.css")
    assert "\\nosuchmacro" in rendered and "color:#cc0000" in rendered
    assert any("nosuchmacro" in record.getMessage() for record in caplog.records)


def test_tex_that_strict_mode_refuses_is_a_build_warning(caplog):
    page = '<html><head></head><body><div class="arithmatex">\\[a \\\\ b\\]</div></body></html>'
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.katex_render"):
        katex_render.render_page_maths(page, "x.css")
    assert any("KaTeX" in record.getMessage() for record in caplog.records)


def test_arithmatex_output_it_does_not_know_fails_the_build():
    page = '<html><head></head><body><span class="arithmatex">$x$</span></body></html>'
    with pytest.raises(PluginError, match="unexpected arithmatex output"):
        katex_render.render_page_maths(page, "x.css")
