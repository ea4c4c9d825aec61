// The dispatcher console's shell (docs/architecture.md): login, tabs from the panel registry, the
// language switch, api() that turns RFC 9457 problems into visible errors, and the live-events
// client on GET /api/events. Online only: no service worker, no local database.
import { PANELS } from "./panels.js";
import { calendarNotice, clearCalendarNotice } from "./calendar-notice.js";
import { HttpError, draw, html, logIn, logOut, request } from "../client.js";
import { fmtSpan, fmtTime, lang, setLang, t } from "./i18n.js";
import { learnTechnician } from "../local.js";

const $ = (sel, root = document) => root.querySelector(sel);
const store = {
  get: (k) => JSON.parse(localStorage.getItem("console." + k) ?? "null"),
  set: (k, v) => (v == null ? localStorage.removeItem("console." + k) : localStorage.setItem("console." + k, JSON.stringify(v))),
};
let me = null;
let current = null; // { panel, handlers: Set, timers: Set, refreshers: Set }
/** The session signed in now: { token, ended, abort: AbortController }. Each login (or reload with a
 *  stored token) begins a new one; ending it aborts its requests and event stream, and whatever of
 *  it answers later is dropped, so on a shared desk PC one user's late answers (a 401 for the token
 *  just revoked) never reach, or sign out, the next user. */
let signedIn = null;

function beginSession(token) {
  endSession(signedIn);
  signedIn = { token, ended: false, abort: new AbortController() };
  return signedIn;
}

function endSession(session) {
  if (!session || session.ended) return;
  session.ended = true;
  session.abort.abort();
  if (signedIn === session) signedIn = null;
}

/** What a request of an ended session answers: nothing, ever. Its caller belonged to that session
 *  and must not go on drawing (or showing errors) in the next one. */
const dropped = () => new Promise(() => {});

// ---------------------------------------------------------------- errors and api()
export function toast(message, { title = t("error"), ok = false, ms = 8000 } = {}) {
  const box = document.createElement("div");
  box.className = "toast" + (ok ? " ok" : "");
  box.setAttribute("role", ok ? "status" : "alert");
  draw(box, html`${ok ? "" : html`<b>${title}</b>`}<span>${message}</span>`);
  box.onclick = () => box.remove();
  $("#toasts").append(box);
  setTimeout(() => box.remove(), ms);
}

/**
 * Call the API in a session (the one signed in now unless given; null: none, for the login).
 * Problems are shown to the user (unless quiet) and thrown as HttpError; a 401 ends the session and
 * goes back to the login form. A session's request answers nothing once that session has ended.
 */
export async function api(path, { method = "GET", body, query, quiet = false, session = signedIn } = {}) {
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) for (const x of [].concat(v)) if (x !== undefined && x !== null && x !== "") q.append(k, x);
    if ([...q].length) path += (path.includes("?") ? "&" : "?") + q;
  }
  const headers = { "Accept-Language": lang() };
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (session?.ended) return dropped();
  let data;
  try {
    data = await request(path, { method, body, headers, signal: session?.abort.signal });
  } catch (err) {
    if (session?.ended) return dropped();
    if (!(err instanceof HttpError)) {
      if (!quiet) toast(t("offline"));
    } else if (err.status === 401 && session) {
      signedOut(session, err.message);
      return dropped();
    } else if (!quiet) {
      toast(err.message, { title: (err.body && err.body.title) || t("error") });
    }
    throw err;
  }
  if (session?.ended) return dropped();
  return data;
}

/** An image (a photo's thumbnail, the signature) as an object URL: <img> cannot send the bearer. */
export async function imageUrl(path, { session = signedIn } = {}) {
  if (!session || session.ended) return dropped();
  const response = await fetch(path, { headers: { Authorization: `Bearer ${session.token}` }, cache: "no-store", signal: session.abort.signal })
    .catch((err) => (session.ended ? dropped() : Promise.reject(err)));
  if (session.ended) return dropped();
  if (!response.ok) throw new HttpError(response.status, null);
  return URL.createObjectURL(await response.blob());
}

// ---------------------------------------------------------------- live events (SSE over fetch)
const subscribers = new Map(); // event name → Set of handlers
function subscribe(name, fn) {
  if (!subscribers.has(name)) subscribers.set(name, new Set());
  subscribers.get(name).add(fn);
  return () => subscribers.get(name).delete(fn);
}
function emit(name, data) {
  for (const fn of subscribers.get(name) || []) {
    try { fn(data); } catch (err) { console.error(err); }
  }
}

export const live = { state: "wait", connects: 0 };
// The server sends a comment every KEEPALIVE seconds of quiet (it says how often in a header):
// three missed ones and the connection is dead even if no error came.
const KEEPALIVE_DEFAULT_S = 15;
const MISSED_KEEPALIVES = 3;
// A `resync` from a stream that then ends (this browser fell behind) is answered by the
// reconnect's refetch; one from a stream that goes on (the server's own listener came back) by
// this grace delay. Either way the panels fetch once.
const RESYNC_GRACE_MS = 500;

function setLive(state) {
  live.state = state;
  const el = $("#live");
  if (el) { el.dataset.state = state; $("span.text", el).textContent = t(state === "open" ? "live_on" : state === "down" ? "live_off" : "live_wait"); }
}

/** Read one SSE stream until it ends: `activity()` on every chunk (keep-alives too), `comment(text)`
 *  for comment lines, `message(event, data)` for each complete message (data parsed as JSON). */
async function readStream(response, { activity, comment, message }) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let msg = { event: "message", data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    activity();
    buffer += value;
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (msg.data.length) {
          let data = msg.data.join("\n");
          try { data = JSON.parse(data); } catch { /* not JSON: hand it on as text */ }
          message(msg.event, data);
        }
        msg = { event: "message", data: [] };
      } else if (line.startsWith(":")) {
        comment(line.slice(1).trim());
      } else {
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
        if (field === "event") msg.event = val;
        else if (field === "data") msg.data.push(val); // ids are not needed: a reconnect refetches
      }
    }
  }
}

/** Keep one stream open while the session lasts; back off 1 s doubling to 30 s. Events missed while no
 *  stream was subscribed are not replayed, so the panels fetch again (they subscribe to
 *  "reconnect") each time the server says `: connected` — the first time too, since a panel's
 *  first fetch ran before the subscription — and when it sends `resync`. A 401 (the token was
 *  revoked or expired, which also ends the stream) goes back to the login form. */
async function connectLive(session) {
  let failures = 0;
  while (!session.ended) {
    const controller = new AbortController();
    const stop = () => controller.abort();
    session.abort.signal.addEventListener("abort", stop);
    let silenceMs = KEEPALIVE_DEFAULT_S * MISSED_KEEPALIVES * 1000;
    let watchdog, resyncing;
    const poke = () => { clearTimeout(watchdog); watchdog = setTimeout(() => controller.abort(), silenceMs); };
    try {
      poke(); // a server that accepts the connection but never answers is dead too
      const response = await fetch("/api/events", {
        headers: { Authorization: `Bearer ${session.token}`, Accept: "text/event-stream", "Accept-Language": lang() },
        cache: "no-store", signal: controller.signal,
      });
      if (response.status === 401) { signedOut(session, t("session_ended")); return; }
      if (response.status === 403) { setLive("down"); return; } // this role gets no events
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const keepalive = Number(response.headers.get("X-Keepalive-Seconds"));
      if (keepalive > 0) silenceMs = keepalive * MISSED_KEEPALIVES * 1000;
      poke();
      await readStream(response, {
        activity: poke,
        comment(text) {
          if (text !== "connected" || session.ended) return; // keep-alive: the poke was all it is for
          failures = 0;
          live.connects += 1;
          setLive("open");
          emit("reconnect", {});
        },
        message(name, data) {
          if (session.ended) return; // a chunk read before the abort: the next session's panels listen now
          if (name !== "resync") return emit(name, data);
          clearTimeout(resyncing);
          resyncing = setTimeout(() => emit("reconnect", {}), RESYNC_GRACE_MS);
        },
      });
    } catch { /* network error, abort or a refused stream: retry below */ } finally {
      clearTimeout(watchdog);
      clearTimeout(resyncing); // the stream ended: the reconnect fetches again anyway
      session.abort.signal.removeEventListener("abort", stop);
    }
    if (session.ended) return;
    setLive("down");
    failures += 1;
    const wait = Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5)) * (0.75 + Math.random() / 2);
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, wait);
      session.abort.signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }
}

/**
 * Coalesce live updates: `request(key)` runs `fn(keys)` once, `ms` after the first request of a
 * burst, with the keys asked for meanwhile; requests while it runs make it run once more when it
 * is done. So a burst of a hundred events costs a fetch or two, and a steady stream of them still
 * refreshes every `ms` (a plain debounce would wait for a quiet moment that may never come).
 */
export function coalesce(fn, ms = 250) {
  let keys = new Set(), timer = null, running = false, again = false, stopped = false;
  const fire = async () => {
    timer = null; running = true;
    const batch = keys; keys = new Set();
    try { await fn(batch); } catch (err) { console.error(err); }
    running = false;
    if (again && !stopped) { again = false; timer = setTimeout(fire, ms); }
  };
  const request = (key) => {
    if (stopped) return;
    if (key !== undefined) keys.add(key);
    if (running) again = true;
    else if (!timer) timer = setTimeout(fire, ms);
  };
  request.stop = () => { stopped = true; clearTimeout(timer); };
  return request;
}

// ---------------------------------------------------------------- panels and navigation
const visible = () => PANELS.filter((p) => me && p.roles.includes(me.role));

function unmountCurrent() {
  if (!current) return;
  for (const off of current.handlers) off();
  for (const id of current.timers) clearInterval(id);
  for (const request of current.refreshers) request.stop();
  try { current.panel.unmount?.(); } catch (err) { console.error(err); }
  current = null;
}

function route() {
  if (!me) return loginView();
  const panels = visible();
  const id = location.hash.slice(1).split("/")[0];
  const panel = panels.find((p) => p.id === id) || panels[0];
  renderBar(); renderTabs(panels, panel);
  unmountCurrent();
  const view = $("#view");
  if (!panel) { draw(view, html`<p class="muted">${t("no_panels")}</p>`); return; }
  const own = { panel, handlers: new Set(), timers: new Set(), refreshers: new Set() };
  current = own;
  view.replaceChildren();
  view.dataset.panel = panel.id;
  const session = signedIn; // the panel's calls are this session's, even if they run late
  const ctx = {
    api: (path, options) => api(path, { session, ...options }),
    imageUrl: (path) => imageUrl(path, { session }), t, lang: lang(), me, toast, fmtTime, fmtSpan,
    /** Subscribe to a live event, or to "reconnect": fetch everything again (after a (re)connect
     *  or a `resync`); dropped when the panel unmounts. */
    on(name, fn) { const off = subscribe(name, fn); own.handlers.add(off); return off; },
    /** coalesce(fn, ms) (see above), stopped when the panel unmounts. */
    refresher(fn, ms) { const request = coalesce(fn, ms); own.refreshers.add(request); return request; },
    /** setInterval, cleared when the panel unmounts. */
    every(ms, fn) { const id = setInterval(fn, ms); own.timers.add(id); return id; },
    route: location.hash.slice(1).split("/").slice(1), // #queue/123 → ["123"]
  };
  try { panel.mount(view, ctx); } catch (err) { console.error(err); toast(String(err.message || err)); }
}

function renderTabs(panels, active) {
  draw($("#tabs"), panels.map((p) => html`<a href="#${p.id}" data-panel="${p.id}" class="${p === active ? "on" : ""}">${p.title[lang()] || p.title["zh-CN"]}</a>`));
}

function renderBar() {
  document.title = t("console");
  const roleName = me ? t("r_" + me.role) : "";
  draw($("#bar"), html`
    <span class="brand">${t("console")}</span>
    ${me ? html`<span id="live" data-state="${live.state}"><span class="dot"></span><span class="text"></span></span>` : ""}
    <span class="spacer"></span>
    ${me ? html`<span class="who" id="who">${t("logged_in_as", { name: me.display_name, role: roleName })}</span>
      <button id="logout" class="link">${t("logout")}</button>` : ""}
    <button id="lang" class="link">${t("lang")}</button>`);
  if (me) setLive(live.state);
  $("#lang").onclick = () => { store.set("lang", lang() === "en" ? "zh-CN" : "en"); setLang(store.get("lang")); route(); };
  if (me) $("#logout").onclick = logout;
}

// ---------------------------------------------------------------- login / logout
function loginView(message = "", username = "") {
  unmountCurrent();
  renderBar();
  $("#tabs").replaceChildren();
  draw($("#view"), html`
    <form id="login" class="card">
      <h1>${t("console")} · ${t("login")}</h1>
      <label>${t("username")}<input id="login-username" autocomplete="username" required value="${username}"></label>
      <label>${t("password")}<input id="login-password" type="password" autocomplete="current-password" required></label>
      <p id="login-error" class="error">${message}</p>
      <button id="login-submit" class="primary">${t("login")}</button>
    </form>`);
  $("#login").onsubmit = async (ev) => {
    ev.preventDefault();
    const username = $("#login-username").value.trim();
    try {
      const answer = await logIn(username, $("#login-password").value, lang());
      store.set("token", answer.token);
      start(beginSession(answer.token), answer.user);
    } catch (err) {
      loginView(`${t("login_failed")}: ${err.message}`, username);
    }
  };
  $(username ? "#login-password" : "#login-username").focus();
}

function start(session, user) {
  // Field staff use the technician app.
  if (user.role === "technician" || user.role === "contractor") { location.replace("/"); return; }
  me = user;
  route();
  connectLive(session);
  // The technician's step labels (rejected pushes, histories) are the server's step spec: drawn
  // from the next draw on (a first visit draws the bare step names until then).
  api("/api/reference", { session, quiet: true }).then((ref) => learnTechnician(ref.technician)).catch(() => {});
  calendarNotice(me, (path, options) => api(path, { session, ...options }));
}

/** End the session and show the login form; a session that has already ended (its late 401) is
 *  no longer the one signed in and changes nothing. */
function signedOut(session, message = "") {
  if (session !== signedIn) return;
  endSession(session);
  clearCalendarNotice();
  if (store.get("token") === session.token) store.set("token", null); // not another tab's newer login
  me = null;
  live.connects = 0;
  live.state = "wait";
  loginView(message);
}

function logout() {
  const session = signedIn;
  signedOut(session);
  // The console lets go of the token before asking the server to revoke it: a reload or the next
  // user's login meanwhile starts from the login form.
  logOut(session.token);
}

// ---------------------------------------------------------------- start
setLang(store.get("lang") || "zh-CN");
window.addEventListener("hashchange", route);
(async () => {
  if (!store.get("token")) return loginView();
  const session = beginSession(store.get("token"));
  // A 401 shows the login form itself (and answers nothing here).
  try { start(session, await api("/api/auth/me", { quiet: true, session })); } catch (err) {
    endSession(session); // the token stays stored: offline, the next reload tries it again
    loginView(err instanceof HttpError ? err.message : t("offline"));
  }
})();
