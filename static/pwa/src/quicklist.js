// The job list as a compact copy (docs/benchmarks.md, "cold offline start"): the app saves it in
// localStorage whenever the local orders or outbox change, and a small script inlined in
// index.html (first-paint.js) draws the list's first screen from it before the app's module has
// loaded. Both draw with listHtml, so the app taking over finds the same HTML. Only what depends
// on the clock (due texts, today's closed jobs, the count) is computed at drawing time.
export const KEY = "fieldservice:list";

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

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

/**
 * The list view's HTML from the compact copy: {lang, head, empty, closed, dueIn, overdue, banner,
 * cards: [{id, closed, closedAt, open, due, appointment, badges, note}]} (open and badges are
 * HTML made by the app; closedAt: a job closed on the server shows until the day it closed ends);
 * `limit` cards at most (the heading still counts them all).
 */
export function listHtml(m, now, limit = Infinity) {
  const today = new Date(now); today.setHours(0, 0, 0, 0);
  const cards = m.cards.filter((c) => c.closedAt == null || c.closedAt >= +today);
  return `${m.banner}
    <h1 elementtiming="job-list">${m.head} <small>${cards.filter((c) => !c.closed).length}</small></h1>
    <ul id="jobs" class="jobs">${cards.slice(0, limit).map((c) => `
      <li>${c.open}
        <div class="row"><span class="due">${esc(dueLine(c.closed, c.due, c.appointment, m, now))}</span><span>${c.badges}</span></div>
        ${c.note}
      </a></li>`).join("") || `<li class="muted">${m.empty}</li>`}
    </ul>`;
}
