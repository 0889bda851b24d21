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
}
