"""Proxy rewards in Blackjack: the claims of docs/reward-hacking/blackjack-proxies.md."""

import pytest

from saferlhub.blackjack.solver import optimal_value
from saferlhub.reward_hacking.proxy_rewards import PROXIES, proxy_report, train_on_proxy


def test_each_proxy_optimum_costs_true_value_and_never_busts():
    report = proxy_report()
    game, *proxies = report["rows"]
    assert game["reward"] == "game" and game["true_value"] == pytest.approx(optimal_value())
    assert game["proxy_value"] == pytest.approx(game["true_value"])
    for row in proxies:
        assert row["true_value"] < game["true_value"] - 0.03, row["reward"]
        assert row["bust"] == 0.0 and row["loss"] > game["loss"], row["reward"]
        assert row["win"] + row["draw"] + row["loss"] + row["bust"] == pytest.approx(1.0)
    avoid = proxies[0]
    assert avoid["proxy_value"] == pytest.approx(1.0) and avoid["hit_states"] <= 2


def test_learning_finds_the_shortcut():
    report = proxy_report()
    for name in PROXIES:
        row = train_on_proxy(name, episodes=20_000)
        best = next(r for r in report["rows"] if r["reward"] == name)
        assert row["proxy_value"] == pytest.approx(best["proxy_value"], abs=0.05), name
        assert row["true_value"] < report["optimal_value"] - 0.03, name
