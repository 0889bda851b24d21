"""The hook that quotes model cards in pages."""

import model_card_figures as hook
import pytest
from mkdocs.exceptions import PluginError

CARDS = {
    "planted": {
        "evaluation": {"rate": 0.7054, "count": 1234, "return": -6.25},
        "phases": [{"steps": 30000}],
        "name": "crops-and-humans DQN: planted",
    },
    "natural": {"evaluation": {"rate": 0.0}},
}


@pytest.mark.parametrize(
    "text, shown",
    [
        ("[[card planted evaluation.rate pct]]", "70.5%"),
        ("[[card planted evaluation.rate pct0]]", "71%"),
        ("[[card planted evaluation.rate num]]", "0.7054"),
        ("[[card planted evaluation.return num2]]", "−6.25"),
        ("[[card planted evaluation.count int]]", "1,234"),
        ("[[card planted phases.0.steps int]]", "30,000"),
        ("[[card planted name text]]", "crops-and-humans DQN: planted"),
        ("[[card natural evaluation.rate pct]]", "0.0%"),
        ("agents: [[card-agents]].", "agents: planted, natural."),
    ],
)
def test_placeholders_become_the_cards_figures(text, shown):
    assert hook.render(text, CARDS) == shown


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[card remedy evaluation.rate pct]]", "no model card for agent 'remedy'"),
        ("[[card planted evaluation.missing pct]]", "has no 'missing'"),
        ("[[card planted phases.3.steps int]]", "has no '3'"),
        ("[[card planted evaluation.rate percent]]", "format must be one of"),
        ("[[card planted evaluation]]", "must be [[card <agent> <dotted.path> <format>]]"),
        ("[[card planted evaluation num]]", "is not a single value"),
    ],
)
def test_anything_not_understood_fails_the_build(text, message):
    with pytest.raises(PluginError, match=message.replace("[", r"\[").replace("(", r"\(")):
        hook.render(text, CARDS, where="maze/research.md")


def test_the_committed_cards_are_read():
    cards = hook._cards()
    assert {"natural", "planted"} <= set(cards)
    rate = hook.card_value(
        cards["planted"], "evaluation.distributions.protrusion.human_harvest_rate"
    )
    assert 0 <= rate <= 1
