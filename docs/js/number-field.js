// Reading a number a reader typed into a bounded field, with a message that says what
// was wrong and what is allowed. An empty field is refused (it is not silently 0),
// a value out of range is refused with the range, and a message repeats at most a
// short prefix of what was typed.

import { count } from "./dom.js";

/** The seeds a page accepts: saferlhub.settings.SEED_MAX, the learners' seed range. */
export const SEED_MAX = 2 ** 32 - 1;

const PREFIX = 12;

/** What the reader typed, cut to a short prefix for a message. */
export function typed(text) {
  const trimmed = String(text).trim();
  return trimmed.length > PREFIX + 2 ? `${trimmed.slice(0, PREFIX)}…` : trimmed;
}

/**
 * The number in `input`, or {error} with a sentence for the reader.
 * `name` starts the sentence ("The seed", "Steps"); `whole` asks for a whole number.
 */
export function readNumber(input, { name, low, high, whole = false }) {
  const kind = whole ? "a whole number" : "a number";
  const range = `${kind} from ${count(low)} to ${count(high)}`;
  const text = input.value.trim();
  // A number field's value is "" both when it is empty and when the browser cannot read
  // its text as a number (letters, or digits beyond a double's range such as 1e999).
  if (input.validity?.badInput) return { error: `${name} is not a number the browser can read: enter ${range}.` };
  if (text === "") return { error: `${name} is empty: enter ${range}.` };
  const value = Number(text);
  if (!Number.isFinite(value) || value < low || value > high || (whole && !Number.isInteger(value))) {
    return { error: `${name} must be ${range}; you typed "${typed(text)}".` };
  }
  return { value };
}

/**
 * The value of a number field in a form built from a Python settings schema, for
 * Python to check (saferlhub.settings says what is wrong and what to enter): null when
 * empty; {unreadable: true} when the browser cannot read the text as a number (letters,
 * or 1e999, too large for a double), so Python refuses it as no number rather than as an
 * empty field; the text itself when it reads as no finite number (JSON would send
 * Infinity as null, i.e. empty).
 */
export function schemaNumber(input) {
  if (input.validity?.badInput) return { unreadable: true };
  const text = input.value.trim();
  if (text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}
