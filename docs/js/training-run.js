// Train and Stop for a lab whose training runs in Python (the Blackjack trainer, the
// reward-hacking labs): the buttons' states while a run is busy, the Stop button, and
// how a run that threw ends (stopped by the reader, or failed). Glue only: the run
// itself, its settings and its messages are the lab's.

import { PythonStopped } from "./python-client.js";

/**
 * Wire `stopButton` to stop `python`, and return the run's controls:
 * - `start()`: a run begins (root state "running", nothing stopped yet);
 * - `stopped`: whether the reader pressed Stop during this run;
 * - `busy(on)`: Train marked (not made) disabled while a run is busy, so that the
 *   keyboard focus stays where the reader was; Stop enabled only then, the focus
 *   going back to Train when Stop had it;
 * - `ended(error, onStop)`: a run that threw: a stop (the reader's, or a stopped
 *   Python) sets root state "stopped" and calls `onStop`; anything else sets
 *   "error" and says "Training failed: ..." in `status`.
 */
export function trainingRun({ python, root, status, trainButton, stopButton }) {
  let stopped = false;
  stopButton.addEventListener("click", () => {
    stopped = true;
    python.stop();
  });
  return {
    get stopped() {
      return stopped;
    },
    start() {
      stopped = false;
      root.dataset.state = "running";
    },
    busy(on) {
      if (on) trainButton.setAttribute("aria-disabled", "true");
      else trainButton.removeAttribute("aria-disabled");
      const stopHadFocus = document.activeElement === stopButton;
      stopButton.disabled = !on;
      if (stopHadFocus && !on) trainButton.focus();
    },
    ended(error, onStop) {
      if (error instanceof PythonStopped || stopped) {
        root.dataset.state = "stopped";
        onStop();
        return;
      }
      root.dataset.state = "error";
      status.dataset.kind = "error";
      status.textContent = `Training failed: ${error.message}`;
    },
  };
}
