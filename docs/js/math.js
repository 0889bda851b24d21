// KaTeX, self-hosted: renders the \( \) and \[ \] spans that pymdownx.arithmatex
// leaves in the page. Loaded only on pages with math.
import renderMathInElement from "katex/contrib/auto-render";
import { assetUrl } from "./assets.js";

export function renderMath(root) {
  if (!document.querySelector("link[data-katex]")) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = assetUrl("vendor/katex/katex.min.css");
    link.dataset.katex = "";
    document.head.append(link);
  }
  for (const element of root.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  }
  // A display formula wider than a phone scrolls sideways inside its block; a keyboard
  // can scroll it only if it can take the focus (WCAG 2.1.1; axe scrollable-region-focusable).
  for (const block of root.querySelectorAll("div.arithmatex")) {
    block.tabIndex = 0;
    block.setAttribute("role", "group");
    block.setAttribute("aria-label", "formula");
  }
}
