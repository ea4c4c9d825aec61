// The job list: drawn from the compact copy's model with quicklist.js's elements, the same the
// inline first paint draws, so taking over from it costs no DOM write when nothing changed.
import { listModel, save, snapshot } from "./data.js";
import { listNodes } from "../quicklist.js";
import { $ } from "./ui.js";

/** first: what the inline first paint drew (its HTML, read back), if it drew. */
export async function listView(snap, first = null) {
  document.body.className = "";
  snap = snap || (await snapshot());
  const model = listModel(snap);
  save(model);
  const drawn = document.createElement("div");
  drawn.append(...listNodes(model, Date.now()));
  // The inline first paint drew exactly this already: no second layout and paint of the same list.
  if (drawn.innerHTML !== first) $("#view").replaceChildren(...drawn.childNodes);
  document.body.dataset.ready = "list";
  performance.mark("list-interactive");
  performance.mark("app-list");
}
