// Renders TeX with KaTeX for hooks/katex_render.py: reads [{tex, display}] as JSON on
// stdin, writes the HTML of each (KaTeX's HTML and MathML) as a JSON list on stdout.
// A formula KaTeX cannot parse is named on stderr (the hook makes it a build warning)
// and rendered as KaTeX shows errors, its TeX in red.
import katex from "katex";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const rendered = JSON.parse(input).map(({ tex, display }) => {
  try {
    return katex.renderToString(tex, { displayMode: display, throwOnError: true });
  } catch (error) {
    if (!(error instanceof katex.ParseError)) throw error;
    console.error(`${error.message} in ${JSON.stringify(tex)}`);
    return katex.renderToString(tex, { displayMode: display, throwOnError: false });
  }
});
process.stdout.write(JSON.stringify(rendered));
