"""hooks/search_math.py: the search index reads maths as text, not as TeX."""

import json

import pytest
import search_math


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\varepsilon = 0", "ε = 0"),
        (r"Q(s, \text{hit}) - Q(s, \text{stick})", "Q(s, hit) - Q(s, stick)"),
        (r"r + \gamma \max_{a'} Q(s', a')", "r + γ max_a' Q(s', a')"),
        (
            r"Q_{n+1}(a) = Q_n(a) + \frac{1}{n}\bigl(R_n - Q_n(a)\bigr)",
            "Q_n+1(a) = Q_n(a) + 1/n(R_n - Q_n(a))",
        ),
        (r"\mathbb{E}\left[ R \;\middle|\; S_t = s \right]", "E[ R | S_t = s ]"),
        (r"\pi(a \mid s)", "π(a | s)"),
    ],
)
def test_tex_reads_as_plain_text(tex, text):
    assert search_math.tex_to_text(tex) == text


def test_inline_and_display_maths_are_rewritten_and_the_rest_is_kept():
    text = r"With \(\varepsilon = 0.1\) the agent explores. \[ V(s) = \max_a Q(s, a) \] Done."
    assert search_math.strip_math(text) == (
        "With ε = 0.1 the agent explores. V(s) = max_a Q(s, a) Done."
    )


def test_the_index_file_is_rewritten_in_place(tmp_path):
    path = tmp_path / "search_index.json"
    index = {
        "config": {"lang": ["en"]},
        "docs": [
            {"location": "a/", "title": "A", "text": r"<p>Step size \(\alpha\).</p>"},
            {"location": "b/", "title": "B", "text": "No maths here."},
        ],
    }
    path.write_text(json.dumps(index))
    assert search_math.clean_search_index(path) == 1
    cleaned = json.loads(path.read_text())
    assert cleaned["config"] == index["config"]
    assert [doc["text"] for doc in cleaned["docs"]] == ["<p>Step size α.</p>", "No maths here."]
