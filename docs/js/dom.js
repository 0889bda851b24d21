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
