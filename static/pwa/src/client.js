// What the technician app and the dispatcher console share: screens drawn from lit-html templates
// (every value is escaped by default: text is text, never markup), the JSON requests to the API
// with RFC 9457 problems as errors and as one line of text, and logging in and out.
import { html, render } from "lit-html";

export { html };

/**
 * Draw a template (or nodes) into el as new elements, replacing all it held, as a fresh page would
 * (typed text, focus and open sections are the view's to keep). Rendered aside, then moved in, so
 * el may also be written by anything else (the first paint, another root) without confusing lit.
 */
export function draw(el, template) {
  el.replaceChildren(nodes(template));
}

/** A template as detached nodes (to replace one item of a drawn list in place). */
export function nodes(template) {
  const fragment = document.createDocumentFragment();
  render(template, fragment);
  return fragment;
}

/** The problem's detail and its field issues, as one line. */
export function problemText(p) {
  if (!p || typeof p !== "object") return String(p ?? "");
  const issues = (p.errors || []).map((i) => i.message || i.code).filter(Boolean);
  return [p.detail || p.title, ...issues].filter(Boolean).join(" · ");
}

/** A 4xx/5xx answer: its status and body (an RFC 9457 problem, as a rule). */
export class HttpError extends Error {
  constructor(status, body) {
    super(problemText(body) || `HTTP ${status}`);
    this.status = status; this.body = body;
  }

  get problem() { return this.body; }
}

/** One JSON request: the answer's body, or an HttpError; a network failure throws as fetch does. */
export async function request(path, { method = "GET", body, headers = {}, signal, keepalive = false } = {}) {
  const h = { Accept: "application/json", ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store", signal, keepalive });
  const text = await response.text();
  let data;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) throw new HttpError(response.status, data);
  return data;
}

/** Log in: { token, user }. */
export const logIn = (username, password, language) =>
  request("/api/auth/login", { method: "POST", body: { username, password }, headers: { "Accept-Language": language } });

/** Revoke a token; keepalive: the request outlives the page. The device has let go of the token
 *  already, so offline it is dropped here anyway. */
export function logOut(token) {
  request("/api/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` }, keepalive: true }).catch(() => {});
}

/** The items, or null when there are none: `${some(rows) || html`<tr>…none…</tr>`}`. */
export const some = (items) => (items.length ? items : null);
