"""Reward hacking in code and in rewards that stand in for a goal.

- `grader_toy`: hand-written candidate programs in real Python against a unit-test
  grader, a monitor of their reasoning, and a bandit that picks among them.
- `proxy_rewards`: Blackjack trained on proxies of the game's payoff.
- `tiny_language`, `unit_test_grader`, `reasoning_policy`, `learned_hacking`: a tiny
  language, a grader that can be gamed, and a policy that learns, with RL, to game it.
"""
