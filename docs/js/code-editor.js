// The code cells' editor: CodeMirror, loaded by cells.js once a cell needs it (Python is
// ready, or the reader goes to the code). Setting up every cell's editor while Pyodide
// started slowed Python's start on two cores; until then a cell shows its code as the
// page rendered it.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python as pythonLanguage } from "@codemirror/lang-python";
import {
  bracketMatching,
  HighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { EditorState, Prec } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";

// Colours come from Material's own code palette, so light and dark mode both fit.
const highlightStyle = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword, tags.definitionKeyword], color: "var(--md-code-hl-keyword-color)" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--md-code-hl-string-color)" },
  { tag: [tags.number, tags.bool, tags.null], color: "var(--md-code-hl-number-color)" },
  { tag: tags.comment, color: "var(--md-code-hl-comment-color)", fontStyle: "italic" },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: "var(--md-code-hl-function-color)" },
  { tag: [tags.className, tags.definition(tags.variableName)], color: "var(--md-code-hl-name-color)" },
  { tag: [tags.operator, tags.punctuation], color: "var(--md-code-hl-operator-color)" },
  { tag: tags.standard(tags.variableName), color: "var(--md-code-hl-constant-color)" },
]);

const editorTheme = EditorView.theme({
  "&": { backgroundColor: "var(--md-code-bg-color)", color: "var(--md-code-fg-color)", fontSize: ".85em" },
  ".cm-content": { fontFamily: "var(--md-code-font-family)", caretColor: "var(--md-code-fg-color)" },
  ".cm-gutters": { backgroundColor: "var(--md-code-bg-color)", color: "var(--md-default-fg-color--light)", border: "none" },
  ".cm-activeLine": { backgroundColor: "var(--md-code-hl-color--light, transparent)" },
  "&.cm-focused": { outline: "2px solid var(--md-accent-fg-color)" },
});

/** An editor for `doc` in `parent`: `label` and `describedBy` name it for screen readers,
 *  Shift+Enter and Ctrl+Enter call onRun, every edit calls onChange. */
export function createEditor({ parent, doc, label, describedBy, onRun, onChange }) {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        pythonLanguage(),
        syntaxHighlighting(highlightStyle),
        editorTheme,
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": label, "aria-describedby": describedBy }),
        Prec.highest(
          keymap.of([
            { key: "Shift-Enter", run: () => (onRun(), true) },
            { key: "Mod-Enter", run: () => (onRun(), true) },
          ]),
        ),
        // Tab indents; Escape then Tab moves focus on, Ctrl+M toggles Tab to moving
        // focus (CodeMirror's accessible defaults; the cell's hint says so).
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.updateListener.of((update) => update.docChanged && onChange()),
      ],
    }),
  });
}
