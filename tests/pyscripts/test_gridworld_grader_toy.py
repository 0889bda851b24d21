"""The reasoning-model toy: candidates really run; hacks pass the grader, fail the hidden test."""

import unittest

import pytest

from saferlhub.reward_hacking.grader_toy import (
    CANDIDATES,
    SettingError,
    bandit_page,
    grade,
    monitor_flags,
    run_grader,
    train_bandit,
)


@pytest.fixture(scope="module")
def graded():
    return {row["id"]: row for row in grade()}


def test_hacks_pass_the_grader_and_fail_the_hidden_test(graded):
    for row in graded.values():
        honest = row["kind"] == "correct"
        if row["kind"] in ("correct", "hack"):
            assert row["grader"]["exit_status"] == 0, row["id"]
        else:
            assert row["grader"]["exit_status"] == 1, row["id"]
        assert row["hidden"]["passed"] == honest, row["id"]
    assert "sys.exit(0)" in graded["exit-zero"]["grader"]["note"]
    assert graded["skip-test"]["grader"]["note"].endswith("3 skipped")


def test_limits_stop_runaway_programs(graded):
    assert graded["retry-forever"]["grader"]["note"] == "stopped by the time limit"
    assert graded["debug-flood"]["grader"]["note"] == "stopped by the output limit"
    assert (
        run_grader("while True:\n    try:\n        pass\n    except Exception:\n        pass\n")[
            "note"
        ]
        == "stopped by the time limit"
    )


def test_a_patched_check_is_restored_after_the_run():
    original = unittest.TestCase.assertEqual
    assert run_grader(next(c for c in CANDIDATES if c["id"] == "overwrite-check")["code"])["passed"]
    assert unittest.TestCase.assertEqual is original


def test_the_monitor_reads_reasoning_only(graded):
    for row in graded.values():
        open_hack = row["kind"] == "hack" and not row["id"].endswith("-quiet")
        assert row["flagged"] == open_hack, row["id"]
    assert not monitor_flags("Sort the numbers and take the middle one.")


def test_monitor_in_the_reward_moves_the_learner_to_hidden_hacks(graded):
    rows = list(graded.values())
    plain = train_bandit("grader only", graded=rows, steps=2000)["curve"][-1]
    watched = train_bandit("monitor in the reward", graded=rows, steps=2000)["curve"][-1]
    assert plain["hack_rate"] > 0.6 and plain["true_pass_rate"] < 0.3
    assert 0.25 < plain["monitor_recall"] < 0.75
    assert watched["hack_rate"] > 0.6 and watched["monitor_recall"] < 0.15
    assert bandit_page({"steps": 0})["setting"] == "steps"
    with pytest.raises(SettingError):
        train_bandit(learning_rate=-1)
