"""Reward-hacking gridworlds: levels, an environment, an exact solver and a Q-learner.

After DeepMind's AI Safety Gridworlds (Leike et al. 2017, arXiv:1711.09883): every
level keeps the reward the agent sees (observed) apart from the performance its
designers meant (hidden), and reports both.
"""
