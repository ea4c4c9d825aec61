// What the technician app and the dispatcher console share: HTML templates that escape every
// value by default (`unsafe` is the one explicit way to insert markup), and an RFC 9457 problem
// as one line of text.
const RAW = Symbol("html");

/** Text as HTML: & < > " ' escaped. */
export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** Markup the caller vouches for (another template's result is already one). */
export const unsafe = (s) => ({ [RAW]: String(s ?? "") });

const part = (v) => (v == null || v === false ? "" : Array.isArray(v) ? v.map(part).join("") : v[RAW] ?? esc(v));

/** html`<p>${text}</p>`: every value escaped, arrays joined, null/false left out. */
export const html = (strings, ...values) => unsafe(strings.reduce((out, s, i) => out + s + (i < values.length ? part(values[i]) : ""), ""));

/** Put a template into an element. */
export const render = (el, template) => { el.innerHTML = template[RAW]; };

/** The problem's detail and its field issues, as one line. */
export function problemText(p) {
  if (!p || typeof p !== "object") return String(p ?? "");
  const issues = (p.errors || []).map((i) => i.message || i.code).filter(Boolean);
  return [p.detail || p.title, ...issues].filter(Boolean).join(" · ");
}
