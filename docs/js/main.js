// Entry point of the site's JavaScript. Material for MkDocs swaps pages without a
// reload (instant navigation) and announces each page on `document$`; every
// component mounts there. Python starts only on pages that need it, and heavy
// code (the editor) is loaded only on pages that use it.

import { getPython, pythonStarted } from "./python-client.js";
import { hideStatus, showStatus } from "./status.js";
import * as offline from "./offline.js";

const NEEDS_PYTHON = ".pycell, [data-python]";

// A table wider than a phone scrolls sideways inside Material's wrapper. Keyboard readers
// can scroll it only if the wrapper takes the focus (axe: scrollable-region-focusable), so
// a wrapper that overflows becomes a labelled tab stop, and stops being one when it fits.
const tableObserver = new ResizeObserver((entries) => {
  for (const { target: wrap } of entries) {
    if (wrap.scrollWidth > wrap.clientWidth) {
      const heading = [...document.querySelectorAll("article h2, article h3")]
        .filter((h) => h.compareDocumentPosition(wrap) & Node.DOCUMENT_POSITION_FOLLOWING)
        .pop();
      const about = heading ? `: ${heading.textContent.replace("¶", "").trim()}` : "";
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", `Table${about} (scrolls sideways)`);
    } else {
      for (const name of ["tabindex", "role", "aria-label"]) wrap.removeAttribute(name);
    }
  }
});

function keyboardScrollableTables(article) {
  tableObserver.disconnect(); // the previous page's tables are gone
  for (const wrap of article.querySelectorAll(".md-typeset__scrollwrap")) tableObserver.observe(wrap);
}

async function mountPage() {
  const article = document.querySelector("article") ?? document.body;
  keyboardScrollableTables(article);
  // Learning pages (docs/learn): the exercise overview and the quiz need no Python.
  if (article.querySelector(".exercise-overview")) (await import("./exercise.js")).mountExerciseOverview(article);
  if (article.querySelector("[data-quiz]")) (await import("./quiz.js")).mountQuiz(article);
  if (!article.querySelector(NEEDS_PYTHON)) {
    hideStatus();
    return;
  }
  const python = getPython();
  showStatus(python);
  offline.keepPythonOffline(python);
  if (article.querySelector(".pycell")) {
    const { mountCells } = await import("./cells.js");
    mountCells(article, python);
  }
  if (article.querySelector(".exercise")) (await import("./exercise.js")).mountExercises(article, python);
  const trainer = article.querySelector('[data-python="blackjack-trainer"]');
  if (trainer) (await import("./blackjack.js")).mountBlackjackTrainer(trainer, python);
  if (article.querySelector('[data-python^="rl-"]')) (await import("./rl-loop.js")).mountRlLoop(article, python);
  const mazePlay = article.querySelector('[data-python="maze-play"]');
  if (mazePlay) (await import("./maze-play.js")).mountMazePlay(mazePlay, python);
  const mazeOod = article.querySelector('[data-python="maze-ood"]');
  if (mazeOod) (await import("./maze-ood.js")).mountMazeOod(mazeOod, python);
  if (article.querySelector('[data-python^="maze-intro-"]')) (await import("./maze-intro.js")).mountMazeIntro(article, python);
  const mazeDream = article.querySelector('[data-python="maze-dream"]');
  if (mazeDream) (await import("./maze-dream.js")).mountMazeDream(mazeDream, python);
  if (article.querySelector('[data-python="maze-detection"]')) (await import("./maze-detection.js")).mountMazeDetection(article.querySelector('[data-python="maze-detection"]'), python);
  if (article.querySelector('[data-python="maze-steering"]')) (await import("./maze-steering.js")).mountMazeSteering(article.querySelector('[data-python="maze-steering"]'), python);
  if (article.querySelector('[data-python="maze-probes"], [data-python="maze-over-training"]')) (await import("./microscope-training.js")).mountMicroscopeTraining(article, python);
  if (article.querySelector('[data-python^="maze-microscope-"]')) (await import("./microscope.js")).mountMicroscope(article, python);
  if (article.querySelector('[data-python="reward-lab"]')) (await import("./reward-lab.js")).mountRewardLabs(article, python);
  const proxies = article.querySelector('[data-python="reward-proxies"]');
  if (proxies) (await import("./reward-proxies.js")).mountRewardProxies(proxies, python);
  if (article.querySelector('[data-python="gm-lab"]')) (await import("./gm-lab.js")).mountGmLabs(article, python);
  const toy = article.querySelector('[data-python="reward-toy"]');
  if (toy) (await import("./reward-toy.js")).mountRewardToy(toy, python);
  for (const lab of article.querySelectorAll('[data-python="reward-learned"]')) (await import("./reward-learned.js")).mountRewardLearned(lab, python);
}

// Page code (and tests) can reach the Python worker once a page has started it.
window.saferlhub = {
  get python() {
    return pythonStarted() ? getPython() : null;
  },
  getPython,
  offline: offline.status,
  checkForUpdate: () => offline.checkForUpdate(true),
};

offline.startOffline(); // the service worker: the site keeps working offline once loaded
if (window.document$)
  window.document$.subscribe(() => {
    offline.checkForUpdate();
    mountPage();
  });
else mountPage();
