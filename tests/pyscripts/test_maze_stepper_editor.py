"""The Play page's editor: what it allows, what it refuses and why."""

import pytest

from saferlhub.maze import editor
from saferlhub.maze.generators import FAILURE_MAZES, failure_maze
from saferlhub.maze.grid import parse_maze, render_maze
from saferlhub.maze.solver import MAX_ITEMS
from saferlhub.maze.structure import single_block_protrusions

BAD2 = render_maze(failure_maze("bad2")).split("\n")


def test_fresh_mazes_and_the_failure_mazes_come_with_their_facts():
    for name in FAILURE_MAZES:
        result = editor.fresh(name)
        maze = failure_maze(name)
        assert result["maze"] == render_maze(maze).split("\n")
        assert result["protrusions"] == [list(p) for p in single_block_protrusions(maze)]
    bad2 = editor.fresh("bad2")
    assert bad2["optimal_return"] == 6.25 and bad2["human_reachable"]  # research notes, sec. 1
    assert not editor.fresh("bad0")["human_reachable"]
    assert editor.fresh("training", 5) == editor.fresh("training", 5)
    jag = editor.fresh("protrusion", 5)
    assert jag["protrusions"] and jag["human_reachable"] and jag["is_tree"]
    assert not editor.fresh("training", 5)["protrusions"]
    with pytest.raises(ValueError, match="unknown maze kind"):
        editor.fresh("bad9")


def test_clicking_cycles_wall_empty_crop_human():
    # (2, 2) is open in bad2 and opening or closing it never cuts the finish off.
    states = []
    maze = BAD2
    for _ in range(4):
        result = editor.edit(maze, 2, 2)
        assert result["ok"] and result["message"] is None
        maze = result["maze"]
        states.append(maze[2][2])
    assert states == ["C", "H", "#", "."]


def test_a_click_skips_a_wall_that_would_cut_the_finish_off_and_says_why():
    # (6, 4) is the only way to the finish's column in bad2: a wall there cuts it off.
    maze = editor.edit(BAD2, 6, 4, "H")["maze"]
    result = editor.edit(maze, 6, 4)
    assert result["ok"] and result["maze"][6][4] == "."
    assert (
        result["message"] == "Skipped a wall: a wall there would cut the finish off from the start."
    )


def test_the_editor_refuses_what_the_rules_forbid():
    start = "the start (top left) is fixed: the agent always starts there"
    assert editor.edit(BAD2, 0, 0) == {"ok": False, "error": f"Cannot change (0, 0): {start}."}
    assert "the finish is fixed" in editor.edit(BAD2, 6, 6, "C")["error"]
    assert "cut the finish off" in editor.edit(BAD2, 6, 4, "#")["error"]
    walled = editor.edit(BAD2, 0, 0 + 1, ".")  # bad2's (0, 1) is a wall; open it first
    assert walled["ok"]
    assert (
        "wall the start in"
        in editor.edit(editor.edit(walled["maze"], 1, 0, "#")["maze"], 0, 1, "#")["error"]
    )
    assert "not 'F'" in editor.edit(BAD2, 2, 2, "F")["error"]
    assert "outside" in editor.edit(BAD2, 7, 0, "#")["error"]


def test_pasted_text_gets_the_parsers_message():
    assert editor.load("\n".join(BAD2))["ok"]
    bad = editor.load(["......", *BAD2[1:]])
    assert bad == {"ok": False, "error": "row 0 has 6 cells, expected 7: '......'"}
    assert "unknown symbol 'x'" in editor.load(["x" + BAD2[0][1:], *BAD2[1:]])["error"]
    with pytest.raises(ValueError):
        parse_maze("#" * 7)


def test_facts_beside_the_maze():
    facts = editor.load(BAD2)
    assert facts["optimal_route"]
    assert facts["humans"] == 1 and facts["crops"] == 1
    bad0 = editor.load(render_maze(failure_maze("bad0")))
    assert bad0["unreachable_items"] == [[6, 0]]  # the human behind the finish


def test_too_many_items_are_refused_with_the_solvers_message():
    # An open board with MAX_ITEMS crops on a checkerboard: the most the solver
    # takes. One more item is refused; a click then skips crop and human.
    rows = [["."] * 7 for _ in range(7)]
    rows[6][6] = "F"
    odd = [(r, c) for r in range(7) for c in range(7) if (r + c) % 2 == 1]
    for r, c in odd[:MAX_ITEMS]:
        rows[r][c] = "C"
    full = ["".join(row) for row in rows]
    assert editor.load(full)["ok"]
    r, c = odd[MAX_ITEMS]
    refused = editor.edit(full, r, c, "C")
    assert not refused["ok"]
    assert refused["error"].startswith(f"Cannot make ({r}, {c}) a crop: too many items")
    clicked = editor.edit(full, r, c)
    assert clicked["ok"] and clicked["maze"][r][c] == "#"
    assert clicked["message"].startswith("Skipped a crop: too many items")
    worst = editor.load(["." + "C" * 6, *["C" * 7] * 5, "C" * 6 + "F"])
    assert not worst["ok"]
    assert worst["error"].startswith("too many items for the exact solver: this maze has 47")
    assert worst["error"] == editor.from_link("." + "C" * 47 + "F")["error"]


@pytest.mark.parametrize(
    ("link", "error"),
    [
        ("garbage", "it has 7 symbols; a maze needs 49, 7 rows of 7 from the top row down"),
        ("".join(BAD2)[:48], "it has 48 symbols; a maze needs 49"),
        ("".join(BAD2) + ".", "it has 50 symbols; a maze needs 49"),
        ("".join(BAD2).replace("F", "."), "no finish: mark one cell with 'F'"),
        ("".join(BAD2).replace("H", "F"), "more than one finish 'F', at [(0, 6), (6, 6)]"),
        ("".join(BAD2).replace("C", "c"), "unknown symbol 'c' at row 4, column 2"),
        ("".join(BAD2).replace("C", "x"), "unknown symbol 'x' at row 4, column 2"),
        ("".join(BAD2).replace("C", " "), "unknown symbol ' ' at row 4, column 2"),
        ("".join(BAD2[:6]) + ".....#F".replace(".#F", "##F"), "no path from the start (0, 0)"),
        ("/".join(BAD2[:6]), "expected 7 rows, got 6"),
    ],
)
def test_a_bad_link_gets_the_parsers_message_and_keeps_its_text(link, error):
    result = editor.from_link(link)
    assert not result["ok"] and result["error"].startswith(error)
    if len(link) == 49:
        assert result["text"] == "\n".join(link[7 * r : 7 * r + 7] for r in range(7))
        assert result["error"] == editor.load(result["text"])["error"]  # as the text box says


def test_a_good_link_row_by_row_or_with_slashes():
    assert editor.from_link("".join(BAD2)) == editor.load(BAD2)
    assert editor.from_link("/".join(BAD2)) == editor.load(BAD2)
