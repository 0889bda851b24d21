// Small DOM and number-formatting helpers shared by the page components.

/** An element with attributes ("class", "text", or any attribute) and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** A number with a typographic minus sign and fixed digits. */
export const fmt = (x, digits = 4) => (x < 0 ? "−" : "") + Math.abs(x).toFixed(digits);

export const count = (n) => n.toLocaleString("en-US");

/**
 * Name each body cell's column in its data-label, so that the table can stack into
 * one labelled block per row on narrow screens (class saferlhub-stack, in the CSS).
 */
export function labelColumns(table) {
  const heads = [...(table.tHead?.rows[table.tHead.rows.length - 1]?.cells ?? [])].map((th) => th.textContent);
  for (const body of table.tBodies) {
    for (const row of body.rows) [...row.cells].forEach((cell, i) => heads[i] && cell.setAttribute("data-label", heads[i]));
  }
  table.classList.add("saferlhub-stack");
  return table;
}

/**
 * Mark a button busy (or not) without disabling it: a disabled button that has the
 * keyboard focus drops it to the page's body. Its click handler must check too.
 */
export function markBusy(button, busy) {
  if (busy) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

/** A run has ended: `runButton` is free again and Stop disabled; a disabled button drops
 *  the focus, so if Stop held it, it moves to `runButton`. */
export function endRun(runButton, stopButton) {
  markBusy(runButton, false);
  const stopHadFocus = document.activeElement === stopButton;
  stopButton.disabled = true;
  if (stopHadFocus) runButton.focus();
}
