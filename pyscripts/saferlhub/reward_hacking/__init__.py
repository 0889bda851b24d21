"""Reward hacking in code: a tiny language, a unit-test grader that can be gamed, and a
policy that learns, with RL, to game it (`learned_hacking`)."""
