// Builds the technician PWA into static/pwa/dist/: bundled, minified, content-hashed assets and a
// service worker that precaches exactly this build; and the dispatcher console into dist/console/.
// Run with `npm run build` (make run / make test do).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const final = join(here, "dist");
const out = join(here, "dist.tmp"); // built aside, then swapped in
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const common = { bundle: true, minify: true, target: ["chrome90", "safari15"], legalComments: "none" };
// ES modules with code splitting: the signature pad and the tus client load when first needed.
const app = await build({
  ...common, entryPoints: { app: join(here, "src/app.js") }, format: "esm", splitting: true,
  outdir: join(out, "assets"), entryNames: "[name].[hash]", chunkNames: "chunk.[hash]", metafile: true,
});
const css = await build({ ...common, entryPoints: { app: join(here, "src/app.css") }, outdir: join(out, "assets"), entryNames: "[name].[hash]", metafile: true });
const outputs = (r) => Object.keys(r.metafile.outputs).map((f) => f.slice(f.indexOf("assets/")));
const jsFiles = outputs(app);
const js = jsFiles.find((f) => /\/app\.[^/]+\.js$/.test(f));
const style = outputs(css)[0];

cpSync(join(here, "public"), out, { recursive: true });
// The chunks the entry imports statically are fetched in parallel with it, not after it.
const entryOut = Object.entries(app.metafile.outputs).find(([f]) => f.endsWith(js))[1];
const preload = entryOut.imports.filter((i) => i.kind === "import-statement")
  .map((i) => `<link rel="modulepreload" href="/${i.path.slice(i.path.indexOf("assets/"))}">`).join("\n");
// The job list's first screen, drawn by an inline script before the app's module runs (first-paint.js).
const first = await build({ ...common, write: false, entryPoints: [join(here, "src/first-paint.js")], format: "iife", outfile: "first.js" });
const html = readFileSync(join(here, "src/index.html"), "utf8")
  .replace("%CSS%", "/" + style).replaceAll("%JS%", "/" + js).replace("%PRELOAD%", preload)
  .replace("%FIRST%", () => first.outputFiles[0].text.trim());
writeFileSync(join(out, "index.html"), html);

const icons = readdirSync(join(out, "icons")).map((f) => "/icons/" + f);
const shell = ["/", ...jsFiles.map((f) => "/" + f), "/" + style, "/manifest.webmanifest", ...icons];
const version = createHash("sha256").update(JSON.stringify(shell) + html).digest("hex").slice(0, 12);
const sw = await build({
  ...common, write: false, entryPoints: [join(here, "src/sw.js")], format: "iife", outfile: "sw.js",
  define: { __SHELL__: JSON.stringify(shell), __VERSION__: JSON.stringify(version) },
});
writeFileSync(join(out, "sw.js"), sw.outputFiles[0].text);
// The server's Content-Security-Policy allows index.html's inline scripts by these hashes (api/headers.py).
const inlineScripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => createHash("sha256").update(m[1]).digest("base64"));
writeFileSync(join(out, "build.json"), JSON.stringify({ version, js, chunks: jsFiles, css: style, shell, inline_scripts: inlineScripts }, null, 1));

// The dispatcher console (issue 7): its own entry, chunks and styles under /console/, online only,
// so nothing of it is in the technician app's bundle or its service worker's precache.
const consoleOut = join(out, "console", "assets");
const consoleJs = await build({
  ...common, entryPoints: { console: join(here, "src/console/main.js") }, format: "esm", splitting: true,
  outdir: consoleOut, entryNames: "[name].[hash]", chunkNames: "chunk.[hash]", metafile: true,
});
const consoleCss = await build({ ...common, entryPoints: { console: join(here, "src/console/console.css") }, outdir: consoleOut, entryNames: "[name].[hash]", metafile: true });
const consoleAsset = (r, re) => "/console/" + outputs(r).find((f) => re.test(f));
writeFileSync(join(out, "console", "index.html"), readFileSync(join(here, "src/console/index.html"), "utf8")
  .replace("%CSS%", consoleAsset(consoleCss, /\.css$/)).replace("%JS%", consoleAsset(consoleJs, /\/console\.[^/]+\.js$/)));
rmSync(final, { recursive: true, force: true });
renameSync(out, final);
console.log(`pwa built: ${js} ${style} sw ${version}; console at /console/`);
