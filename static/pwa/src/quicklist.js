// The job list as a compact copy (docs/benchmarks.md, "cold offline start"): the app saves it in
// localStorage whenever the local orders or outbox change, and a small script inlined in
// index.html (first-paint.js) draws the list's first screen from it before the app's module has
// loaded. Both draw with listNodes, so the app taking over finds the same elements. Only what
// depends on the clock (due texts, today's closed jobs, the count) is computed at drawing time.
// The copy holds data, never HTML, and the list is built as elements with text nodes (no markup is
// ever parsed, so there is nothing to escape): localStorage outlives the page, and a customer name
// that slipped through once must not be injected again at every start. The inline script cannot
// wait for lit-html, so this small builder stands in for it here; classes come from fixed lists.

/** An element: h("a", { href, class }, "text", child, [children]); null/false/"" children are left out. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null && v !== false) el.setAttribute(k, v);
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false && c !== ""));
  return el;
}

export const KEY = "fieldservice:list";

/** A duration as "2小时5分" / "2 h 5 min". */
export function span(ms, en) {
  const m = Math.round(Math.abs(ms) / 60000);
  if (m < 60) return en ? `${m} min` : `${m}分钟`;
  const h = Math.floor(m / 60), r = m % 60;
  return en ? `${h} h ${r} min` : `${h}小时${r}分`;
}

/** "剩 40分钟 · 预约 11/23 14:00"; words: the list's texts (closed, dueIn, overdue) and lang. */
export function dueLine(closed, due, appointment, words, now) {
  if (closed) return words.closed;
  const parts = [];
  if (due != null) parts.push((due - now >= 0 ? words.dueIn : words.overdue).replace("{m}", span(due - now, words.lang === "en")));
  if (appointment) parts.push(appointment);
  return parts.join(" · ");
}

const BADGE_COLOURS = new Set(["red", "gold", "orange"]);
const STATE = /^[a-z_]+$/;

/** Badges [{colour, text}] as elements. */
export function badgeNodes(badges) {
  return (badges || []).map((b) => h("span", { class: `badge ${BADGE_COLOURS.has(b.colour) ? b.colour : ""}` }, String(b.text)));
}

/**
 * The list view's elements from the compact copy: {lang, head, empty, closed, dueIn, overdue, rejected,
 * notices: [{id, text}] (jobs taken away, until dismissed), dismiss, cards: [{id, code, kind, customer, address, state, stateName, closed, closedAt, late, risk, due,
 * appointment, badges: [{colour, text}], pending}]}, all plain data (texts already in the
 * phone's language); rejected: the banner's text, or "". closedAt: a job closed on the server
 * shows until the day it closed ends; `limit` cards at most (the heading still counts them all).
 */
export function listNodes(m, now, limit = Infinity) {
  const today = new Date(now); today.setHours(0, 0, 0, 0);
  const cards = m.cards.filter((c) => c.closedAt == null || c.closedAt >= +today);
  const text = (v) => String(v ?? "");
  return [
    m.rejected ? h("a", { class: "banner error", href: "#/sync" }, `${m.rejected} →`) : null,
    (m.notices || []).map((n) => h("div", { class: "notice", role: "status", "data-gone": Number(n.id) },
      h("span", null, text(n.text)), h("button", { "data-forget": Number(n.id) }, text(m.dismiss)))),
    h("h1", { elementtiming: "job-list" }, `${text(m.head)} `, h("small", null, String(cards.filter((c) => !c.closed).length))),
    h("ul", { id: "jobs", class: "jobs" }, cards.slice(0, limit).map((c) => {
      const id = Number(c.id), state = STATE.test(c.state) ? c.state : "";
      return h("li", null, h("a", { class: `job-card ${c.closed ? "done" : ""} ${c.late ? "late" : c.risk ? "risk" : ""}`, href: `#/job/${id}`, "data-id": id, "data-code": text(c.code) },
        h("div", { class: "row" }, h("strong", null, `${text(c.kind)} · ${text(c.customer)}`), h("span", { class: `state s-${state}` }, text(c.stateName))),
        h("div", { class: "muted small" }, `${text(c.code)} · ${text(c.address)}`),
        h("div", { class: "row" }, h("span", { class: "due" }, dueLine(c.closed, c.due, c.appointment, m, now)), h("span", null, badgeNodes(c.badges))),
        c.pending ? h("div", { class: "small pending-note" }, text(c.pending)) : null));
    }).concat(cards.length ? [] : [h("li", { class: "muted" }, text(m.empty))])),
  ].flat().filter(Boolean);
}
