"""Goal misgeneralization that nobody planted: keys and chests, and the coin at the end.

After Langosco et al. 2022 (arXiv:2105.14111) and their procgenAISC fork of Procgen:
two small gridworlds whose training levels let a wrong goal earn every reward the
right goal earns, a linear Q-learner that carries what it learned to unseen levels,
an exact solver for each test level's optimum, and per-episode measures that tell a
wrong goal pursued competently from an agent that wanders.
"""
