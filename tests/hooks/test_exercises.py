"""hooks/exercises.py: the `exercise` fence renders an exercise or fails the build."""

import exercises
import markdown
import pytest
from pymdownx.superfences import SuperFencesException


def render(text):
    config = {"pymdownx.superfences": {"custom_fences": []}}

    class Config:
        mdx_configs = config

    exercises.on_config(Config)
    md = markdown.Markdown(extensions=["pymdownx.superfences"], extension_configs=config)
    return md.convert(text)


def test_an_exercise_renders_a_cell_hints_and_the_reference_as_solution():
    html = render('```exercise id="returns"\ndef returns(rewards, gamma):\n    return []\n```\n')
    assert 'class="exercise" id="exercise-returns" data-exercise="returns"' in html
    assert 'class="pycell" data-cell-id="exercise-returns" data-isolated="true"' in html
    assert html.count("<li>") == len(exercises.EXERCISES["returns"].hints)
    assert "for t in range(len(rewards) - 1, -1, -1)" in html  # the reference's own source


@pytest.mark.parametrize(
    "fence, message",
    [
        ("```exercise\nx = 1\n```\n", "needs id"),
        ('```exercise id="nope"\nx = 1\n```\n', "no exercise 'nope'"),
        ('```exercise id="returns" colour="red"\nx = 1\n```\n', "unknown option"),
        ('```exercise id="returns"\ndef returns(:\n```\n', "does not compile"),
        ('```exercise id="returns"\ndef other():\n    pass\n```\n', "must define the function"),
        ('```exercise id="discounted-return"\nx = 1\n```\n', "must define the variable"),
    ],
)
def test_a_bad_exercise_fails_the_build(fence, message):
    with pytest.raises(SuperFencesException, match=message):
        render(fence)


def test_fences_are_found_in_page_sources():
    text = 'Intro\n\n```exercise id="returns"\nx\n```\n\n````exercise id="q-update"\ny\n````\n'
    assert exercises.fences_in(text) == ["returns", "q-update"]


def test_the_overview_links_each_exercise_relative_to_the_page():
    exercises._pages.clear()
    exercises._pages.update({"returns": "learn/blackjack-exercises.md"})
    text = exercises.overview_markdown("learn/exercises.md")
    assert "[Returns from every step](blackjack-exercises.md#exercise-returns)" in text
    assert 'data-exercise="returns"' in text and "q-update" not in text
    exercises._pages.clear()
    with pytest.raises(SuperFencesException, match="no page shows an exercise"):
        exercises.overview_markdown("learn/exercises.md")
