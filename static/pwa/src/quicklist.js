// The job list as a compact copy (docs/benchmarks.md, "cold offline start"): the app saves it in
// localStorage whenever the local orders or outbox change, and a small script inlined in
// index.html (first-paint.js) draws the list's first screen from it before the app's module has
// loaded. Both draw with listHtml, so the app taking over finds the same HTML. Only what depends
// on the clock (due texts, today's closed jobs, the count) is computed at drawing time.
// The copy holds data, never HTML: localStorage outlives the page, so markup stored there (a
// customer name that slipped through once) would be injected again at every start. listHtml
// escapes every text with the app's own esc (client.js), and takes classes only from fixed lists.
import { esc } from "./client.js";

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

/** Badges [{colour, text}] as HTML. */
export function badgesHtml(badges) {
  return (badges || []).map((b) => `<span class="badge ${BADGE_COLOURS.has(b.colour) ? b.colour : ""}">${esc(b.text)}</span>`).join("");
}

/**
 * The list view's HTML from the compact copy: {lang, head, empty, closed, dueIn, overdue, rejected,
 * notices: [{id, text}] (jobs taken away, until dismissed), dismiss, cards: [{id, code, kind, customer, address, state, stateName, closed, closedAt, late, risk, due,
 * appointment, badges: [{colour, text}], pending}]}, all plain data (texts already in the
 * phone's language); rejected: the banner's text, or "". closedAt: a job closed on the server
 * shows until the day it closed ends; `limit` cards at most (the heading still counts them all).
 */
export function listHtml(m, now, limit = Infinity) {
  const today = new Date(now); today.setHours(0, 0, 0, 0);
  const cards = m.cards.filter((c) => c.closedAt == null || c.closedAt >= +today);
  const banner = (m.rejected ? `<a class="banner error" href="#/sync">${esc(m.rejected)} →</a>` : "")
    + (m.notices || []).map((n) => `<div class="notice" role="status" data-gone="${Number(n.id)}"><span>${esc(n.text)}</span><button data-forget="${Number(n.id)}">${esc(m.dismiss)}</button></div>`).join("");
  return `${banner}
    <h1 elementtiming="job-list">${esc(m.head)} <small>${cards.filter((c) => !c.closed).length}</small></h1>
    <ul id="jobs" class="jobs">${cards.slice(0, limit).map((c) => {
      const id = Number(c.id), state = STATE.test(c.state) ? c.state : "";
      return `
      <li><a class="job-card ${c.closed ? "done" : ""} ${c.late ? "late" : c.risk ? "risk" : ""}" href="#/job/${id}" data-id="${id}" data-code="${esc(c.code)}">
        <div class="row"><strong>${esc(c.kind)} · ${esc(c.customer)}</strong><span class="state s-${state}">${esc(c.stateName)}</span></div>
        <div class="muted small">${esc(c.code)} · ${esc(c.address)}</div>
        <div class="row"><span class="due">${esc(dueLine(c.closed, c.due, c.appointment, m, now))}</span><span>${badgesHtml(c.badges)}</span></div>
        ${c.pending ? `<div class="small pending-note">${esc(c.pending)}</div>` : ""}
      </a></li>`;
    }).join("") || `<li class="muted">${esc(m.empty)}</li>`}
    </ul>`;
}
