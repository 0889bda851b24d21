"""hooks/pycell.py: the `pycell` fence renders a cell or fails the build."""

import markdown
import pycell
import pytest


def render(text):
    config = {"pymdownx.superfences": {"custom_fences": []}}

    class Config:
        mdx_configs = config

    pycell.on_config(Config)
    md = markdown.Markdown(extensions=["pymdownx.superfences"], extension_configs=config)
    return md.convert(text)


def test_a_cell_renders_highlighted_code_in_a_container():
    html = render('```pycell\nprint("hi")\n```\n')
    assert html.startswith('<div class="pycell">')
    assert '<div class="highlight">' in html
    assert "print" in html and '"hi"' in html


def test_options_become_data_attributes():
    html = render('```pycell id="intro" isolated="true"\nx = 1\n```\n')
    assert 'data-cell-id="intro"' in html
    assert 'data-isolated="true"' in html


@pytest.mark.parametrize(
    "options, message",
    [
        ('colour="red"', "unknown option"),
        ('id="has space"', "must match"),
        ('isolated="yes"', "isolated must be true or false"),
    ],
)
def test_unrecognised_options_fail_the_build(options, message):
    with pytest.raises(pycell.PyCellError, match=message):
        render(f"```pycell {options}\nx = 1\n```\n")


def test_on_config_adds_the_fence_once():
    class Config:
        mdx_configs = {}

    pycell.on_config(Config)
    pycell.on_config(Config)
    fences = Config.mdx_configs["pymdownx.superfences"]["custom_fences"]
    assert [f["name"] for f in fences] == ["pycell"]
