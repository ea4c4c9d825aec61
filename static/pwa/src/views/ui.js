// What several screens of the technician app share: the router's hooks, the outbox's state chips
// and the card of a rejected action (on the job, on the sync panel, for a job no longer here).
import { draw, html } from "../client.js";
import { t } from "../i18n.js";
import { read, value } from "../idb.js";
import { load, put, remember } from "./data.js";

export const $ = (sel, root = document) => root.querySelector(sel);

/** route: redraw the current screen (app.js sets it); dirty: the technician has typed on this
 *  screen and not sent it yet, so background syncs don't redraw the view. */
export const ui = { route: () => {}, dirty: false };

// Which sections the technician opened stay open when the view is redrawn.
export const openBoxes = new Set();
document.addEventListener("toggle", (ev) => {
  if (ev.target.id) ev.target.open ? openBoxes.add(ev.target.id) : openBoxes.delete(ev.target.id);
}, true);

// A field the technician changed from what the screen drew.
function changed(el) {
  if (el.type === "file") return false;
  if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
  if (el.tagName === "SELECT") return !el.options[el.selectedIndex]?.defaultSelected;
  return el.value !== el.defaultValue;
}

/**
 * Draw a screen into #view. Redrawing the same screen keeps what the technician typed, chose and
 * where the caret was: a sync's redraw that started before the typing must not wipe it.
 */
export function drawView(template) {
  const view = $("#view");
  const same = view.dataset.screen === location.hash;
  const typed = same ? [...view.querySelectorAll("input[id], textarea[id], select[id]")].filter(changed)
    .map((el) => [el.id, el.type === "checkbox" || el.type === "radio" ? el.checked : el.value]) : [];
  const active = same && view.contains(document.activeElement) ? document.activeElement : null;
  // A section opened a moment ago may not have announced its toggle yet (the event is queued):
  // the screen as it stands is the truth.
  if (same) for (const box of view.querySelectorAll("details[id]")) box.open ? openBoxes.add(box.id) : openBoxes.delete(box.id);
  draw(view, template);
  view.dataset.screen = location.hash;
  for (const id of openBoxes) { const box = document.getElementById(id); if (box && view.contains(box)) box.open = true; }
  for (const [id, v] of typed) {
    const el = document.getElementById(id);
    if (el && typeof v === "boolean") el.checked = v;
    else if (el) el.value = v;
  }
  const again = active?.id && document.getElementById(active.id);
  if (again) {
    again.focus({ preventScroll: true });
    if (typeof active.selectionStart === "number" && "setSelectionRange" in again) {
      try { again.setSelectionRange(active.selectionStart, active.selectionEnd); } catch { /* a number field has no caret */ }
    }
  }
}

export const back = (href = "#/") => html`<a href=${href} class="back">← ${t("back")}</a>`;

export const stateChip = (m) => html`<span class="chip st-${m.state}">${t("st_" + m.state)}</span>`;

/** An action's arguments as the technician typed them (to copy into a new attempt). */
export function typedText(args) {
  return Object.entries(args).filter(([k]) => !["order_id", "strokes", "upload_id"].includes(k))
    .map(([k, v]) => `${t(k)}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("\n");
}

export function rejectedCard(m) {
  const todo = m.reasonCode === "lifecycle.illegal" ? "todo_illegal"
    : (m.reasonCode || "").startsWith("sync.") && m.reasonCode !== "sync.invalid_args" && m.reasonCode !== "sync.unknown_mutation" ? "todo_reassigned" : "todo_invalid";
  return html`<section class="card rejected" data-mutation=${m.id}>
    <div class="row"><b>${t("a_" + m.name)} · ${m.orderCode || "#" + m.orderId}</b>${stateChip(m)}</div>
    <p class="reason">${m.reason || m.reasonCode}</p>
    <p class="small">${t(todo)}</p>
    <div class="small muted">${t("typed")}:</div><pre class="typed">${typedText(m.args)}</pre>
    <div class="buttons"><button data-copy=${m.id}>${t("copy")}</button><button data-dismiss=${m.id}>${t("dismiss")}</button></div>
  </section>`;
}

/** A job no longer on this phone: what of it the server refused, if anything. */
export async function missingView(id) {
  const [mine] = await read(["outbox"], (q) => [q.where("outbox", "orderId", id)]);
  const rejected = mine.filter((m) => m.state === "rejected");
  drawView(html`${back()}${rejected.length ? rejected.map(rejectedCard) : html`<p class="muted">${t("no_jobs")}</p>`}`);
}

/** The buttons of rejected cards and of the list's notices, wherever they are drawn. */
export function listenToCards() {
  document.addEventListener("click", async (ev) => {
    const copy = ev.target.closest?.("[data-copy]");
    const dismiss = ev.target.closest?.("[data-dismiss]");
    if (copy) {
      const [m] = await read(["outbox"], (q) => [q.get("outbox", +copy.dataset.copy)]);
      try { await navigator.clipboard.writeText(typedText(m.args)); copy.textContent = t("copied"); } catch { /* no clipboard (not a secure context): the text stays on screen */ }
    }
    if (dismiss) { await (await load()).db.outbox.update(+dismiss.dataset.dismiss, { dismissed: true }); remember(); ui.route(); }
    const forget = ev.target.closest?.("[data-forget]");
    if (forget) { await put("notices", (await value("notices", [])).filter((n) => n.id !== +forget.dataset.forget)); remember(); ui.route(); }
  });
}


/** Texts one per line (<br> between them), or "—" when there are none. */
export const lines = (texts) => (texts.length ? texts.flatMap((x, i) => (i ? [html`<br>`, x] : [x])) : "—");
