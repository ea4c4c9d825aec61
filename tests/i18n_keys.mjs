// Prints, as JSON, every front-end text key per language: the technician app's dictionaries
// (static/pwa/src/i18n.js: `const zh = {…}`, `const en = {…}`) and every console panel's
// addTexts({"zh-CN": {…}, en: {…}}). The object literals are cut out of the source with a
// scanner that skips strings and comments, then evaluated: no module is loaded, so no DOM is needed.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

function literalAt(src, open) {
  // src[open] is "{": return the text up to its matching "}".
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; src[i] !== c; i++) if (src[i] === "\\") i++;
    } else if (c === "/" && src[i + 1] === "/") {
      i = src.indexOf("\n", i);
    } else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return src.slice(open, i + 1);
  }
  throw new Error("unbalanced literal");
}

const evaluate = (text) => new Function(`return (${text});`)();
const out = {}; // file → { lang → [keys] }
const root = process.argv[2];

const app = readFileSync(join(root, "i18n.js"), "utf8");
out["i18n.js"] = {};
for (const [name, lang] of [["zh", "zh-CN"], ["en", "en"]]) {
  const at = app.indexOf(`const ${name} = {`);
  out["i18n.js"][lang] = Object.keys(evaluate(literalAt(app, app.indexOf("{", at))));
}
const dir = join(root, "console");
for (const file of readdirSync(dir).filter((f) => f.endsWith(".js")).sort()) {
  const src = readFileSync(join(dir, file), "utf8");
  let at = -1;
  while ((at = src.indexOf("addTexts({", at + 1)) !== -1) {
    const dicts = evaluate(literalAt(src, src.indexOf("{", at)));
    const entry = (out[`console/${file}`] ||= {});
    for (const lang in dicts) (entry[lang] ||= []).push(...Object.keys(dicts[lang]));
  }
}
console.log(JSON.stringify(out));
