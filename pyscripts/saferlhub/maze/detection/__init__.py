"""Blind detection of the planted goal (issue 19): methods that see an agent's networks and
the training generator only, run on every agent with the same settings, each returning a
suspicion score with a 95% interval and a named hypothesis (`protocol`).

Methods: `edit_search` (counterfactual single-cell edits), `dream_tests` (dreaming as the
cards run it, repaired, and with the advantage objective), `activation_anomaly` (how far
states' activations lie from training states'), `attribution_test` (saliency on the cells
training never varies), `probe_test` (a linear probe of the human-ward Q margin, read on
edited training mazes); `scoreboard` runs them all, then judges them. Every method is a
stepper of the network-call protocol, so CPython with onnxruntime and the browser with
onnxruntime-web run the same code.
"""
