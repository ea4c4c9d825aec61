// Inlined into index.html by build.mjs: the job list's first screen drawn from the compact copy
// (quicklist.js) while the app's module still loads and compiles (~0.4 s of a cold start at CPU ×4).
// Only the cards of the first screen: the style and layout of 30 cards (CJK text) cost the first
// frame ~150 ms more at CPU ×4; the app draws the whole list when it takes over.
// The cards are plain links: a tap sets the hash, and the app's router opens that job as soon as
// it runs; the app then draws the list again from IndexedDB (no DOM write if nothing changed).
// Elements with text nodes (quicklist.js), never parsed markup: nothing in the copy can inject.
import { KEY, listNodes } from "./quicklist.js";

try {
  const copy = (location.hash === "" || location.hash === "#/") && JSON.parse(localStorage.getItem(KEY));
  if (copy) {
    document.documentElement.lang = copy.lang;
    const view = document.getElementById("view");
    view.replaceChildren(...listNodes(copy, Date.now(), Math.ceil(innerHeight / 80) + 1));
    window.__firstList = view.innerHTML; // what the app compares its own list with
    performance.mark("list-interactive");
  }
} catch { /* no copy or no storage: the app draws the list */ }
