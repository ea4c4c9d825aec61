// The technician app: hash routes, views rendered from IndexedDB, every action queued in the
// outbox first (so it works the same online and offline) and synced in the background.
// Start-up path (docs/benchmarks.md): the views read IndexedDB directly (idb.js); Dexie, the sync
// loop and the photo uploads (engine.js) load after the first paint, or at the first write.
import { esc as e, problemText } from "./client.js";
import { closureProblems, recordComplete, sumWork } from "./closure.js";
import { fmtTime, lang, setLang, t } from "./i18n.js";
import { read, value } from "./idb.js";
import { TECH_ACTIONS, allowed, byUrgency, recordedWork, signatureState, view } from "./local.js";
import { KEY, badgesHtml, dueLine, listHtml } from "./quicklist.js";
import { onChange, status } from "./status.js";

let engine = null;
const load = () => (engine ||= import("./engine.js"));
const put = async (key, v) => (await load()).put(key, v);
const enqueue = async (...args) => { const row = await (await load()).enqueue(...args); remember(); return row; };
const syncSoon = () => load().then((m) => m.syncSoon());
const subscribePush = (ask) => import("./push.js").then((m) => m.subscribePush(ask)); // not on the start-up path

const $ = (sel, root = document) => root.querySelector(sel);
let dirty = false; // the technician is typing: background syncs don't redraw the view

// ---------------------------------------------------------------- top bar and sync indicator
/** Everything the bar (and, with the orders, the list) needs, in one read transaction. */
async function snapshot(withOrders = true) {
  const [user, lastSync, token, notices, outbox, orders] = await read(["kv", "outbox", "orders"], (q) => [
    q.get("kv", "user"), q.get("kv", "lastSync"), q.get("kv", "token"), q.get("kv", "notices"), q.all("outbox"), withOrders ? q.all("orders") : [],
  ]);
  return {
    user: user?.value, lastSync: lastSync?.value, token: token?.value, notices: notices?.value || [], outbox, orders,
    pending: outbox.filter((m) => m.state === "pending" || m.state === "sending").length,
    rejected: outbox.filter((m) => m.state === "rejected" && !m.dismissed).length,
  };
}

/**
 * The sync indicator's one state, most urgent first: signed out, offline (with what waits),
 * sending, an error and what happens next, waiting N, synced at HH:MM (only once a sync succeeded
 * since this start), else "last sync HH:MM" without a claim (an offline start).
 */
export function indicator(st, pending, last) {
  if (st.error === "auth") return ["error", t("sync_auth")];
  // Offline until a sync gets through: the retries meanwhile are not "sending".
  if (st.error === "network" || !st.online) return ["offline", [t("sync_offline"), pending ? t("sync_waiting", { n: pending }) : ""].filter(Boolean).join(" · ")];
  if (st.running) return ["syncing", pending ? t("sync_sending_n", { n: pending }) : t("sync_sending")];
  if (st.error) return ["error", st.retryAt ? t("sync_error_retry", { e: st.error }) : `${t("sync_error")}: ${st.error}`];
  if (pending) return ["pending", t("sync_waiting", { n: pending })];
  const when = last ? fmtTime(last, !sameDay(last)) : t("never");
  return st.synced ? ["ok", t("sync_synced", { t: when })] : ["unknown", t("last_sync", { t: when })];
}
const sameDay = (iso) => fmtTime(iso, true).slice(0, -5) === fmtTime(new Date().toISOString(), true).slice(0, -5);

async function renderBar(snap) {
  const bar = $("#bar");
  const { user, pending, rejected, lastSync } = snap || (await snapshot(false));
  const [state, text] = indicator(status, pending, lastSync);
  const label = [text, rejected ? t("rejected_n", { n: rejected }) : ""].filter(Boolean).join(" · ");
  bar.innerHTML = `
    <a class="brand" href="#/">${e(t("app"))}</a>
    ${user ? `<a id="sync-ind" href="${status.error === "auth" ? "#/login" : "#/sync"}" data-state="${state}" data-pending="${pending}" data-rejected="${rejected}"><span class="dot"></span><span class="label">${e(label)}</span></a>` : ""}
    <button id="lang" class="link">${e(t("lang"))}</button>`;
  $("#lang").onclick = async () => { const next = lang() === "en" ? "zh-CN" : "en"; await put("lang", next); setLang(next); remember(); route(); };
}

// ---------------------------------------------------------------- login
function loginView(message = "") {
  document.body.className = "";
  $("#view").innerHTML = `
    <form id="login" class="card">
      <h1>${e(t("login"))}</h1>
      <p class="muted">${e(t("login_online"))}</p>
      <label>${e(t("username"))}<input id="login-username" autocomplete="username" required></label>
      <label>${e(t("password"))}<input id="login-password" type="password" autocomplete="current-password" required></label>
      <p id="login-error" class="error">${e(message)}</p>
      <button id="login-submit" class="primary">${e(t("login"))}</button>
    </form>`;
  $("#login").onsubmit = async (ev) => {
    ev.preventDefault();
    const username = $("#login-username").value.trim();
    const m = await load();
    const { HttpError, api, db } = m;
    try {
      const answer = await api("/api/auth/login", { method: "POST", body: { username, password: $("#login-password").value }, token: "" });
      const previous = await value("user");
      if (!previous || previous.id !== answer.user.id) {
        const { pending } = await m.counts();
        if (previous && pending) return loginView(t("other_user_pending", { n: pending }));
        // A new user on this device: a new client id, numbered from 1; nothing of the last one kept.
        await db.transaction("rw", db.kv, db.orders, db.outbox, async () => {
          await db.orders.clear(); await db.outbox.clear();
          await m.put("clientId", m.newId("pwa-")); await m.put("nextMutationId", 1); await m.put("cursor", null);
        });
      }
      await m.put("token", answer.token); await m.put("user", answer.user);
      status.authExpired = false; status.error = null;
      location.hash = "#/";
      await m.syncNow();
      route();
      subscribePush(false);
    } catch (err) {
      loginView(err instanceof HttpError ? `${t("login_failed")}: ${problemText(err.body)}` : t("offline_login"));
    }
  };
}

// ---------------------------------------------------------------- job list
function badges(o) {
  const b = [];
  if (o.breached) b.push({ colour: "red", text: t("breached") });
  if (o.customer_tier === "vip") b.push({ colour: "gold", text: t("vip") });
  if (o.dedicated_line) b.push({ colour: "gold", text: t("dl") });
  if (o.urge_count) b.push({ colour: "red", text: t("urged", { n: o.urge_count }) });
  if (o.remark_flagged) b.push({ colour: "orange", text: t("flagged") });
  if (o.priority === "high") b.push({ colour: "orange", text: t("high") });
  return b;
}

const words = () => ({ lang: lang(), closed: t("s_closed"), dueIn: t("due_in"), overdue: t("overdue") });
const dueText = (o) => dueLine(o.state === "closed", o.next_due ? Date.parse(o.next_due) : null,
  o.appointment_at ? t("appointment", { t: fmtTime(o.appointment_at, true) }) : "", words(), Date.now());

/** A job taken away, shown on the list until dismissed: its words in the phone's language. */
const noticeOf = (n) => ({
  id: n.id, text: t("gone_" + n.reason, { code: n.code, t: fmtTime(n.at, !sameDay(n.at)), name: n.assignee_name || "" }),
});

/** The list as its compact copy (quicklist.js): what the inline first paint of a cold start draws. */
function listModel(snap) {
  const orders = snap.orders.map((o) => view(o, snap.outbox))
    .filter((o) => !["closed", "cancelled"].includes(o.state) || o.closed_at || o.local.some((m) => m.name === "close"));
  orders.sort(byUrgency);
  return {
    ...words(), head: t("today"), empty: t("no_jobs"), rejected: snap.rejected ? t("rejected_n", { n: snap.rejected }) : "",
    notices: snap.notices.map(noticeOf), dismiss: t("dismiss"),
    cards: orders.map((o) => ({
      id: o.id, code: o.code, kind: t("k_" + o.kind), customer: o.customer_name, address: o.address || "",
      state: o.state, stateName: t("s_" + o.state), closed: o.state === "closed", late: !!o.breached, risk: !!o.at_risk,
      // closed or cancelled on the server: shown until the day it closed ends; closed here: until synced
      closedAt: ["closed", "cancelled"].includes(o.state) && !o.local.some((m) => m.name === "close") ? Date.parse(o.closed_at) : null,
      due: o.next_due ? Date.parse(o.next_due) : null,
      appointment: o.appointment_at ? t("appointment", { t: fmtTime(o.appointment_at, true) }) : "",
      badges: badges(o),
      pending: o.local.length ? t("pending", { n: o.local.length }) : "",
    })),
  };
}

/** Keep the compact copy in step with the local data (none once logged out). */
function save(model) {
  try { model ? localStorage.setItem(KEY, JSON.stringify(model)) : localStorage.removeItem(KEY); } catch { /* storage full: the app still draws from IndexedDB */ }
}
const remember = () => snapshot().then((snap) => save(snap.token ? listModel(snap) : null));

async function listView(snap, first = null) {
  document.body.className = "";
  snap = snap || (await snapshot());
  const model = listModel(snap);
  save(model);
  const html = listHtml(model, Date.now());
  // The inline first paint drew exactly this already: no second layout and paint of the same list.
  if (html !== first) $("#view").innerHTML = html;
  document.body.dataset.ready = "list";
  performance.mark("list-interactive");
  performance.mark("app-list");
}

// ---------------------------------------------------------------- job detail
/** The order as this phone has it, with the outbox, this job's photos and the reference data. */
async function loadOrder(id) {
  const [order, outbox, photos, ref] = await read(["orders", "outbox", "photos", "kv"], (q) => [
    q.get("orders", id), q.all("outbox"), q.where("photos", "orderId", id), q.get("kv", "reference"),
  ]);
  if (!order) return null;
  const o = view(order, outbox);
  o.photos = photos; // taken on this phone
  o.rejectedHere = outbox.filter((m) => m.orderId === id && m.state === "rejected" && !m.dismissed);
  o.reference = ref?.value || { materials: [], closure_category_of_kind: {} };
  return o;
}

const STATE_CHIP = (m) => `<span class="chip st-${m.state}">${e(t("st_" + m.state))}</span>`;

function historyItem(ev) {
  const p = ev.payload || {};
  const text = p.text || p.note || p.reason || p.work_done || p.remark || "";
  return `<li><span class="muted small">${e(fmtTime(ev.device_time || ev.effective_time || ev.server_time, true))}</span>
    <b>${e(t("a_" + ev.action) === "a_" + ev.action ? ev.action : t("a_" + ev.action))}</b> ${e(ev.actor?.name || "")} ${text ? `<div>${e(text)}</div>` : ""}</li>`;
}

function localItem(m) {
  const a = m.args;
  const text = a.text || a.note || a.reason || a.work_done || a.cause || "";
  return `<li class="local" data-mutation="${m.id}"><span class="muted small">${e(fmtTime(m.deviceTime, true))}</span>
    <b>${e(t("a_" + m.name))}</b> ${STATE_CHIP(m)} ${text ? `<div>${e(text)}</div>` : ""}</li>`;
}

async function detailView(id) {
  document.body.className = "";
  const o = await loadOrder(id);
  if (!o) return missingView(id);
  const ref = o.reference;
  const can = (name) => o.allowed_actions && allowed(name, o.state) && TECH_ACTIONS.includes(name);
  const phone = o.contact_phone || o.customer?.phone;
  const addr = o.address || "";
  const mapUrl = `https://uri.amap.com/search?keyword=${encodeURIComponent(addr)}&city=${encodeURIComponent("成都")}`;
  const sig = signatureState(o);
  const quick = ["accept", "contact", "start_travel", "arrive"].filter(can);
  // The order of the field: work and materials, then the customer signs that record, then close
  // with what was signed. Closing is offered once the job is accepted, not beside 接单.
  const complete = recordComplete(recordedWork(o));
  const canClose = can("close") && !["new", "dispatched"].includes(o.state);
  const { photos, rejectedHere } = o;
  $("#view").innerHTML = `
    <a href="#/" class="back">← ${e(t("back"))}</a>
    <section class="card">
      <div class="row"><h1 elementtiming="job-detail">${e(t("k_" + o.kind))} · ${e(o.customer_name)}</h1><span id="job-state" class="state s-${o.state}" data-state="${o.state}">${e(t("s_" + o.state))}</span></div>
      <div class="muted small">${e([o.code, dueText(o)].filter(Boolean).join(" · "))}</div>
      <div>${badgesHtml(badges(o))}</div>
    </section>
    ${rejectedHere.map(rejectedCard).join("")}
    <section class="card">
      <dl>
        <dt>${e(t("customer"))}</dt><dd>${e(o.customer?.name)} <span class="muted">${e(o.customer?.account_no || "")}</span></dd>
        ${o.contact_name ? `<dt>${e(t("contact"))}</dt><dd>${e(o.contact_name)}</dd>` : ""}
        <dt>${e(t("phone"))}</dt><dd>${phone ? `<a class="button" id="call" href="tel:${e(phone)}">${e(t("call"))} ${e(phone)}</a>` : ""}</dd>
        <dt>${e(t("address"))}</dt><dd>${e(addr)} <a class="button" id="map" href="${e(mapUrl)}" target="_blank" rel="noopener">${e(t("map"))}</a></dd>
        <dt>${e(t("description"))}</dt><dd>${e(o.description)}</dd>
        ${o.agent_remark ? `<dt>${e(t("remark"))}</dt><dd class="${o.remark_flagged ? "flag" : ""}">${e(o.agent_remark)}</dd>` : ""}
      </dl>
    </section>
    <section class="card actions">
      <h2>${e(t("actions"))}</h2>
      <div class="buttons">${quick.map((a) => `<button class="primary" data-action="${a}">${e(t("a_" + a))}</button>`).join("")}</div>
      ${can("record_work") ? `<details id="work-box"><summary>${e(t("step_work"))}</summary>
        <form id="work-form">
          <label>${e(t("work_done"))}<textarea id="work-done" maxlength="2000"></textarea></label>
          <label>${e(t("labour_hours"))}<input id="labour-hours" type="number" min="0" max="24" step="0.25" inputmode="decimal"></label>
          <fieldset><legend>${e(t("materials"))}</legend>
            <div id="material-rows"></div>
            <div class="row"><select id="material-code" aria-label="${e(t("materials"))}">${ref.materials.map((m) => `<option value="${e(m.code)}">${e(m.name)} (${e(m.unit)})</option>`).join("")}</select>
            <input id="material-qty" type="number" min="0" step="any" value="1" inputmode="decimal" aria-label="${e(t("quantity"))}"><button type="button" id="add-material" aria-label="${e(t("add_material"))}">+</button></div>
          </fieldset>
          <button class="primary" id="work-submit">${e(t("record"))}</button>
        </form></details>` : ""}
      ${can("record_work") ? `<details id="photo-box"><summary>${e(t("a_attach_photo"))} <small>${photos.length || ""}</small></summary>
        <form id="photo-form">
          <div class="row"><select id="photo-kind" aria-label="${e(t("a_attach_photo"))}">${PHOTO_KINDS.map((k) => `<option value="${k}" ${k === photoKind ? "selected" : ""}>${e(t("pk_" + k))}</option>`).join("")}</select>
          <input id="photo-caption" maxlength="200" placeholder="${e(t("caption"))}" aria-label="${e(t("caption"))}"></div>
          <label class="button" for="photo-input">${e(t("take_photo"))}</label>
          <input id="photo-input" type="file" accept="image/*" capture="environment" multiple hidden>
        </form>
        <ul id="photo-list" class="photos">${photos.map(photoItem).join("")}</ul></details>` : photos.length ? `<ul id="photo-list" class="photos">${photos.map(photoItem).join("")}</ul>` : ""}
      ${can("capture_signature") || canClose ? `<div class="buttons">
        ${can("capture_signature") ? complete ? `<a class="button" id="go-sign" href="#/job/${o.id}/sign">${e(t("step_sign"))}</a>`
          : `<span class="button" id="go-sign-blocked" aria-disabled="true">${e(t("step_sign"))}</span>` : ""}
        ${canClose ? `<a class="button primary" id="go-close" href="#/job/${o.id}/close">${e(t("step_close"))}</a>` : ""}
      </div>
      ${can("capture_signature") && !complete && sig === "none" ? `<p class="small muted" id="need-work">${e(t("need_work_first"))}</p>` : ""}
      <p class="small ${sig === "changed" ? "error" : "muted"}" id="sig-state" data-sig="${sig}">${e(sig === "none" ? t("not_signed") : sig === "changed" ? t("sign_again") : t("signed"))}</p>` : ""}
      <details id="note-box"><summary>${e(t("add_note"))}</summary>
        <form id="note-form"><textarea id="note-text" required maxlength="2000" aria-label="${e(t("note"))}"></textarea><button class="primary" id="note-submit">${e(t("save"))}</button></form>
      </details>
      ${can("request_send_back") ? reasonBox("request_send_back") : ""}
      ${can("cannot_proceed") ? reasonBox("cannot_proceed") : ""}
      ${can("reject") ? reasonBox("reject") : ""}
    </section>
    <section class="card"><h2>${e(t("clocks"))}</h2><ul class="clocks">${(o.clocks || []).map((c) => `
      <li class="clock c-${c.state}${c.at_risk ? " risk" : ""}">${e(t("c_" + c.name) === "c_" + c.name ? c.name : t("c_" + c.name))}: ${e(t(c.state))} · ${e(t("due_at", { t: fmtTime(c.due, true) }))}${c.stopped_at ? ` · ✓ ${e(fmtTime(c.stopped_at, true))}` : ""}</li>`).join("")}</ul></section>
    <section class="card"><h2>${e(t("history"))}</h2><ul class="history">${o.local.slice().reverse().map(localItem).join("")}${(o.history || []).slice().reverse().map(historyItem).join("")}</ul></section>`;
  bindDetail(o);
}

const PHOTO_KINDS = ["before", "after", "signal_meter", "device_label", "wiring", "site", "other"];
let photoKind = PHOTO_KINDS[0]; // the kind last chosen stays chosen for the next photo

function photoItem(p) {
  const pct = p.size ? Math.round((100 * (p.sent || 0)) / p.size) : 0;
  return `<li class="photo" data-upload="${p.uploadId}" data-state="${p.state}">
    <span>${e(t("pk_" + p.kind))}${p.caption ? " · " + e(p.caption) : ""}</span>
    <progress max="100" value="${pct}" aria-label="${e(t("pk_" + p.kind))}"></progress> <span class="small">${e(t(photoWord(p.state)))} ${pct}%</span>
    ${p.error && p.state === "refused" ? `<div class="small error">${e(p.error)}</div>` : ""}</li>`;
}

// Not yet sent while the phone is offline is waiting, not broken.
const photoWord = (state) => (["queued", "error"].includes(state) && (status.error === "network" || !status.online) ? "ph_waiting" : "ph_" + state);

function reasonBox(name) {
  return `<details class="reason-box" id="reason-${name}"><summary>${e(t("a_" + name))}</summary>
    <form data-reason="${name}"><label>${e(t("reason"))}<textarea required maxlength="2000"></textarea></label><button class="danger">${e(t("send"))}</button></form></details>`;
}

// Which sections the technician opened stay open when the view is redrawn.
const openBoxes = new Set();
document.addEventListener("toggle", (ev) => {
  if (ev.target.id) ev.target.open ? openBoxes.add(ev.target.id) : openBoxes.delete(ev.target.id);
}, true);

function bindDetail(o) {
  import("signature_pad"); // warm the signature screen's chunk (precached by the service worker)
  for (const id of openBoxes) { const box = document.getElementById(id); if (box) box.open = true; }
  load(); // the buttons write through Dexie: have it ready before the first tap
  const act = async (name, args = {}) => {
    await enqueue(name, { order_id: o.id, ...args }, { orderCode: o.code });
    dirty = false;
    syncSoon();
    route();
  };
  for (const b of document.querySelectorAll("[data-action]")) b.onclick = () => act(b.dataset.action);
  const draftKey = `draft:note:${o.id}`;
  value(draftKey, "").then((v) => { if (v) { $("#note-text").value = v; $("#note-box").open = true; } });
  $("#note-text").oninput = (ev) => { dirty = true; put(draftKey, ev.target.value); };
  $("#note-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const text = $("#note-text").value.trim();
    if (!text) return;
    await put(draftKey, "");
    await act("add_note", { text });
  };
  const materials = [];
  const rows = () => { $("#material-rows").innerHTML = materials.map((m, i) => `<div class="row small">${e(m.code)} × ${e(m.quantity)} <button type="button" data-rm="${i}" aria-label="${e(t("remove"))}">✕</button></div>`).join(""); };
  if ($("#work-form")) {
    $("#work-form").oninput = () => { dirty = true; };
    $("#add-material").onclick = () => {
      const q = parseFloat($("#material-qty").value);
      if (q > 0) { materials.push({ code: $("#material-code").value, quantity: q }); rows(); dirty = true; }
    };
    $("#material-rows").onclick = (ev) => { if (ev.target.dataset.rm) { materials.splice(+ev.target.dataset.rm, 1); rows(); } };
    $("#work-form").onsubmit = async (ev) => {
      ev.preventDefault();
      const hours = parseFloat($("#labour-hours").value);
      const args = { work_done: $("#work-done").value.trim(), materials };
      if (hours >= 0) args.labour_hours = hours;
      if (!args.work_done && !materials.length && !(hours >= 0)) return;
      await act("record_work", args);
    };
  }
  if ($("#photo-kind")) $("#photo-kind").onchange = (ev) => { photoKind = ev.target.value; };
  if ($("#photo-input")) $("#photo-input").onchange = async (ev) => {
    const { addPhoto } = await load();
    for (const file of ev.target.files) await addPhoto(o, file, $("#photo-kind").value, $("#photo-caption").value.trim());
    ev.target.value = "";
    remember();
    syncSoon();
    route();
  };
  for (const f of document.querySelectorAll("form[data-reason]")) {
    f.oninput = () => { dirty = true; };
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const reason = f.querySelector("textarea").value.trim();
      if (reason) await act(f.dataset.reason, { reason });
    };
  }
}

function typedText(args) {
  return Object.entries(args).filter(([k]) => !["order_id", "strokes", "upload_id"].includes(k))
    .map(([k, v]) => `${t(k)}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("\n");
}

function rejectedCard(m) {
  const todo = m.reasonCode === "lifecycle.illegal" ? "todo_illegal"
    : (m.reasonCode || "").startsWith("sync.") && m.reasonCode !== "sync.invalid_args" && m.reasonCode !== "sync.unknown_mutation" ? "todo_reassigned" : "todo_invalid";
  return `<section class="card rejected" data-mutation="${m.id}">
    <div class="row"><b>${e(t("a_" + m.name))} · ${e(m.orderCode || "#" + m.orderId)}</b>${STATE_CHIP(m)}</div>
    <p class="reason">${e(m.reason || m.reasonCode)}</p>
    <p class="small">${e(t(todo))}</p>
    <div class="small muted">${e(t("typed"))}:</div><pre class="typed">${e(typedText(m.args))}</pre>
    <div class="buttons"><button data-copy="${m.id}">${e(t("copy"))}</button><button data-dismiss="${m.id}">${e(t("dismiss"))}</button></div>
  </section>`;
}

async function missingView(id) {
  const [mine] = await read(["outbox"], (q) => [q.where("outbox", "orderId", id)]);
  const rejected = mine.filter((m) => m.state === "rejected");
  $("#view").innerHTML = `<a href="#/" class="back">← ${e(t("back"))}</a>${rejected.map(rejectedCard).join("") || `<p class="muted">${e(t("no_jobs"))}</p>`}`;
}

// ---------------------------------------------------------------- sync panel
async function syncView() {
  document.body.className = "";
  const snap = await snapshot(false);
  const all = snap.outbox.sort((a, b) => b.id - a.id);
  const rejected = all.filter((m) => m.state === "rejected" && !m.dismissed);
  const others = all.filter((m) => m.state !== "rejected").slice(0, 50);
  const last = snap.lastSync;
  $("#view").innerHTML = `
    <a href="#/" class="back">← ${e(t("back"))}</a>
    <section class="card" id="sync-panel"><h1>${e(t("sync_panel"))}</h1>
      <p>${e(t("last_sync", { t: last ? fmtTime(last, true) : t("never") }))}</p>
      ${status.error ? `<p class="error">${e(t("sync_error"))}: ${e(status.error === "auth" ? t("login_again") : status.error)}</p>` : ""}
      ${status.error === "auth" ? `<button id="relogin" class="primary">${e(t("login"))}</button>` : ""}
      <button id="sync-now" class="primary">${e(t("sync_now"))}</button>
      ${"PushManager" in window ? `<button id="push-on">${e(t("notifications"))}</button>` : ""}
      <button id="logout" class="link">${e(t("logout"))}</button>
    </section>
    ${rejected.map(rejectedCard).join("")}
    <section class="card"><h2>${e(t("outbox"))}</h2><ul class="outbox">${others.map((m) => `<li data-mutation="${m.id}" data-state="${m.state}">#${m.id} ${e(t("a_" + m.name))} · ${e(m.orderCode || "")} ${STATE_CHIP(m)} <span class="muted small">${e(fmtTime(m.deviceTime, true))}</span></li>`).join("") || `<li class="muted">${e(t("nothing_pending"))}</li>`}</ul></section>`;
  $("#sync-now").onclick = async () => (await load()).syncNow();
  if ($("#relogin")) $("#relogin").onclick = () => loginView();
  if ($("#push-on")) $("#push-on").onclick = () => subscribePush(true);
  $("#logout").onclick = async () => {
    const { api, stopSync } = await load();
    const token = await value("token");
    stopSync(); await put("token", null); remember(); route();
    // Revoked once this phone has let go of the token: a reload meanwhile starts at the login form.
    // keepalive: the request outlives the page.
    api("/api/auth/logout", { method: "POST", token, keepalive: true }).catch(() => { /* offline: dropped here anyway */ });
  };
}

document.addEventListener("click", async (ev) => {
  const copy = ev.target.closest?.("[data-copy]");
  const dismiss = ev.target.closest?.("[data-dismiss]");
  if (copy) {
    const [m] = await read(["outbox"], (q) => [q.get("outbox", +copy.dataset.copy)]);
    try { await navigator.clipboard.writeText(typedText(m.args)); copy.textContent = t("copied"); } catch {}
  }
  if (dismiss) { await (await load()).db.outbox.update(+dismiss.dataset.dismiss, { dismissed: true }); remember(); route(); }
  const forget = ev.target.closest?.("[data-forget]");
  if (forget) { await put("notices", (await value("notices", [])).filter((n) => n.id !== +forget.dataset.forget)); remember(); route(); }
});

// ---------------------------------------------------------------- signature (customer-facing)
/** The service record's work rows (work done, hours, materials): what the customer signs and the
 *  closure then carries. */
function workRows(o, work) {
  const names = Object.fromEntries(o.reference.materials.map((m) => [m.code, m]));
  const sum = sumWork(work);
  return `<dt>${e(t("work_done"))}</dt><dd id="record-work">${work.map((w) => e(w.work_done)).filter(Boolean).join("<br>") || "—"}</dd>
    <dt>${e(t("labour_hours"))}</dt><dd id="record-hours">${e(sum.labour_hours)}</dd>
    <dt>${e(t("materials"))}</dt><dd id="record-materials">${sum.materials.map((m) => `${e(names[m.code]?.name || m.code)} × ${e(m.quantity)} ${e(names[m.code]?.unit || "")}`).join("<br>") || "—"}</dd>`;
}

async function signView(id) {
  const o = await loadOrder(id);
  if (!o) return missingView(id);
  const work = recordedWork(o);
  const photos = o.photos;
  document.body.className = "customer";
  if (!recordComplete(work)) {
    $("#view").innerHTML = `<section class="card" id="record-incomplete"><p class="warn">${e(t("record_incomplete"))}</p>
      <a class="button primary" href="#/job/${o.id}">${e(t("back"))}</a></section>`;
    return;
  }
  let score = 0;
  $("#view").innerHTML = `
    <section class="card record" id="service-record">
      <h1>${e(t("sign_title"))}</h1>
      <p class="muted">${e(t("sign_intro"))}</p>
      <dl>
        <dt>${e(t("order_no"))}</dt><dd>${e(o.code)}</dd>
        <dt>${e(t("customer"))}</dt><dd>${e(o.customer_name)}</dd>
        <dt>${e(t("address"))}</dt><dd>${e(o.address)}</dd>
        <dt>${e(t("description"))}</dt><dd>${e(o.description)}</dd>
        ${workRows(o, work)}
        <dt>${e(t("a_attach_photo"))}</dt><dd id="record-photos">${photos.map((p) => `${e(t("pk_" + p.kind))}${p.caption ? " · " + e(p.caption) : ""}`).join("<br>") || "—"}</dd>
      </dl>
    </section>
    <form id="sign-form" class="card">
      <label>${e(t("signer"))}<input id="signer-name" required maxlength="100" value="${e(o.customer?.name || o.customer_name)}"></label>
      <label>${e(t("relation"))}<select id="relation">${["account_holder", "family", "tenant", "colleague", "other"].map((r) => `<option value="${r}">${e(t("rel_" + r))}</option>`).join("")}</select></label>
      <div>${e(t("satisfaction"))}<div class="stars" id="stars">${[1, 2, 3, 4, 5].map((n) => `<button type="button" class="star" data-score="${n}" aria-label="${n}">★</button>`).join("")}</div></div>
      <label>${e(t("comment"))}<input id="comment" maxlength="500"></label>
      <div class="pad-wrap"><canvas id="sign-canvas" role="img" aria-label="${e(t("sign_here"))}"></canvas><span class="pad-hint">${e(t("sign_here"))}</span></div>
      <p id="sign-error" class="error"></p>
      <div class="buttons"><a class="button" href="#/job/${o.id}">${e(t("cancel"))}</a><button type="button" id="sign-clear">${e(t("clear"))}</button><button class="primary" id="sign-submit">${e(t("sign_confirm"))}</button></div>
    </form>`;
  window.scrollTo(0, 0); // the customer reads the record first, the pad is below it
  const { default: SignaturePad } = await import("signature_pad");
  const canvas = $("#sign-canvas");
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio; canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext("2d").scale(ratio, ratio);
  const pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3 });
  canvas.dataset.ready = "1";
  $("#sign-clear").onclick = () => pad.clear();
  $("#stars").onclick = (ev) => {
    const s = ev.target.dataset.score;
    if (!s) return;
    score = +s;
    for (const b of document.querySelectorAll(".star")) b.classList.toggle("on", +b.dataset.score <= score);
  };
  $("#sign-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const err = $("#sign-error");
    if (pad.isEmpty()) return (err.textContent = t("sign_empty"));
    if (!$("#signer-name").value.trim()) return (err.textContent = t("signer_required"));
    if (!score) return (err.textContent = t("satisfaction_required"));
    const strokes = pad.toData().map((g) => {
      const t0 = g.points[0]?.time ?? 0;
      return g.points.slice(0, 2000).map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10, Math.max(0, Math.min(86400000, Math.round(p.time - t0)))]);
    }).filter((s) => s.length).slice(0, 200);
    const args = { order_id: o.id, signer_name: $("#signer-name").value.trim(), relation: $("#relation").value, strokes, satisfaction: score };
    const comment = $("#comment").value.trim();
    if (comment) args.comment = comment;
    await enqueue("capture_signature", args, { orderCode: o.code });
    syncSoon();
    location.hash = `#/job/${o.id}`;
  };
}

// ---------------------------------------------------------------- closure form
async function closeView(id) {
  document.body.className = "";
  const o = await loadOrder(id);
  if (!o) return missingView(id);
  const category = o.reference.closure_category_of_kind[o.kind] || "repair";
  const recorded = recordedWork(o);
  const work = sumWork(recorded); // the closure carries the work the customer signed for
  const sig = signatureState(o);
  const draftKey = `draft:close:${o.id}`;
  const draft = (await value(draftKey)) || {};
  const v = (k, d = "") => e(draft[k] ?? d);
  $("#view").innerHTML = `
    <a href="#/job/${o.id}" class="back">← ${e(t("back"))}</a>
    <form id="close-form" class="card">
      <h1>${e(t("close_title"))} · ${e(o.code)}</h1>
      ${sig === "changed" ? `<p class="warn" id="sig-changed">${e(t("changed_warning"))} <a href="#/job/${o.id}/sign">${e(t("sign_again_link"))}</a></p>` : ""}
      <label>${e(t("category"))}<select id="closure_category" name="closure_category"><option value="${category}">${e(t("cat_" + category))}</option></select></label>
      <label>${e(t("outcome"))}<select id="outcome" name="outcome">${["resolved", "unresolved", "appointment"].map((x) => `<option value="${x}" ${draft.outcome === x ? "selected" : ""}>${e(t("out_" + x))}</option>`).join("")}</select></label>
      <label>${e(t("method"))}<select id="method" name="method">${["on_site", "phone_guidance", "remote"].map((x) => `<option value="${x}" ${draft.method === x ? "selected" : ""}>${e(t("m_" + x))}</option>`).join("")}</select></label>
      <label>${e(t("cause"))}<textarea id="cause" name="cause" maxlength="2000">${v("cause")}</textarea></label>
      <label>${e(t("solution"))}<textarea id="solution" name="solution" maxlength="2000">${v("solution")}</textarea></label>
      <label>${e(t("result"))}<textarea id="result" name="result" maxlength="2000">${v("result")}</textarea></label>
      <label>${e(t("detail_remark"))}<textarea id="remark" name="remark" maxlength="2000">${v("remark")}</textarea></label>
      <div id="appt" class="row">
        <label>${e(t("appt_date"))}<input id="appointment_date" name="appointment_date" type="date" value="${v("appointment_date")}"></label>
        <label>${e(t("half_day"))}<select id="appointment_half_day" name="appointment_half_day"><option value="am">${e(t("am"))}</option><option value="pm" ${draft.appointment_half_day === "pm" ? "selected" : ""}>${e(t("pm"))}</option></select></label>
      </div>
      <section class="signed-work" id="signed-work"><p class="small muted">${e(t(["local", "valid"].includes(sig) ? "signed_record" : "sign_title"))}</p>
        <dl>${workRows(o, recorded)}</dl></section>
      <ul id="close-errors" class="error"></ul>
      <button class="primary" id="close-submit">${e(t("a_close"))}</button>
    </form>`;
  const form = $("#close-form");
  const read = () => Object.fromEntries(new FormData(form));
  const showAppt = () => { $("#appt").hidden = $("#outcome").value !== "appointment"; };
  showAppt();
  form.oninput = form.onchange = () => { showAppt(); put(draftKey, read()); };
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const f = { ...read(), work_done: work.work_done, labour_hours: work.labour_hours };
    const problems = closureProblems(o, f);
    const fix = { signature: [`#/job/${o.id}/sign`, "a_capture_signature"], work_done: [`#/job/${o.id}`, "a_record_work"], labour_hours: [`#/job/${o.id}`, "a_record_work"] };
    $("#close-errors").innerHTML = problems.map(([field, msg]) => `<li data-field="${field}">${e(msg)}${fix[field] ? ` <a href="${fix[field][0]}">${e(t(fix[field][1]))}</a>` : ""}</li>`).join("");
    if (problems.length) return;
    const args = {
      order_id: o.id, closure_category: category, outcome: f.outcome, method: f.method,
      cause: f.cause.trim(), solution: f.solution.trim(), result: f.result.trim(), remark: f.remark.trim(),
      work_done: work.work_done, materials: work.materials,
    };
    if (work.labour_hours > 0) args.labour_hours = work.labour_hours;
    if (f.outcome === "appointment") { args.appointment_date = f.appointment_date; args.appointment_half_day = f.appointment_half_day; }
    await enqueue("close", args, { orderCode: o.code });
    await put(draftKey, null);
    syncSoon();
    location.hash = `#/job/${o.id}`;
  };
}

// ---------------------------------------------------------------- routing and start-up
let lastHash = null;
let updateReady = false;
async function route() {
  if (updateReady && (location.hash === "" || location.hash === "#/")) return location.reload();
  const moved = location.hash !== lastHash; // a new screen opens at its top; a redraw stays put
  if (moved) { openBoxes.clear(); lastHash = location.hash; }
  const first = window.__firstList; // the inline first paint's list, once
  window.__firstList = null;
  const snap = await snapshot();
  await renderBar(snap);
  dirty = false;
  if (!snap.token || (status.authExpired && location.hash === "#/login")) return loginView();
  await show(location.hash.replace(/^#/, "") || "/", snap, first);
  if (moved) window.scrollTo(0, 0);
}

function show(h, snap, first) {
  let m;
  if ((m = h.match(/^\/job\/(\d+)\/sign$/))) return signView(+m[1]);
  if ((m = h.match(/^\/job\/(\d+)\/close$/))) return closeView(+m[1]);
  if ((m = h.match(/^\/job\/(\d+)$/))) return detailView(+m[1]);
  if (h === "/sync") return syncView();
  return listView(snap, first);
}

// A background sync redraws the list, the detail (unless the technician is typing) and the panel.
// The list view saves the compact copy itself; any other view leaves that to remember().
function refresh(data) {
  renderBar();
  if (!data) return;
  const h = location.hash;
  const active = document.activeElement;
  const busy = /\/(sign|close)$/.test(h) || h === "#/login" || dirty
    || (active && active.closest && active.closest("#view") && /INPUT|TEXTAREA|SELECT/.test(active.tagName));
  if (busy || !(h === "" || h === "#/")) remember();
  if (!busy) route();
}

// A full disk must not lose work silently: say so where the technician looks.
window.addEventListener("unhandledrejection", (ev) => {
  const err = ev.reason;
  const name = err?.name || err?.inner?.name;
  if (name === "QuotaExceededError") {
    status.error = t("storage_full");
    renderBar();
  }
});

async function boot() {
  setLang(await value("lang", navigator.language && navigator.language.startsWith("en") ? "en" : "zh-CN"));
  performance.mark("db-open");
  onChange(refresh);
  window.addEventListener("hashchange", route);
  window.addEventListener("offline", () => { status.online = false; renderBar(); });
  window.addEventListener("online", () => { status.online = true; renderBar(); });
  await route();
  // The rest once the list is on screen: a tap on a job meanwhile is answered from idb.js.
  requestAnimationFrame(() => setTimeout(startEngine, 0));
}

async function startEngine() {
  const m = await load();
  performance.mark("engine-loaded");
  Object.assign(window.__app, { db: m.db, syncNow: m.syncNow });
  m.onPhotoChange((p) => {
    const li = document.querySelector(`li.photo[data-upload="${p.uploadId}"]`);
    if (li) li.outerHTML = photoItem(p);
  });
  window.addEventListener("online", () => { m.reconnect(); m.uploadAll(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) m.syncSoon(); });
  if ("serviceWorker" in navigator) {
    // A new build took over: its precache replaced this page's lazily loaded chunks, so reload
    // the next time the technician is back on the job list (never in the middle of a form).
    const hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener("controllerchange", () => { if (hadController) updateReady = true; });
    navigator.serviceWorker.register("/sw.js").catch((err) => console.warn("sw", err));
    navigator.serviceWorker.addEventListener("message", (ev) => {
      if (ev.data?.type === "sync") m.syncSoon();
      if (ev.data?.type === "open" && ev.data.order) location.hash = `#/job/${ev.data.order}`;
    });
  }
  if (navigator.storage?.persist) navigator.storage.persist().then((granted) => m.put("persisted", granted)).catch(() => {});
  m.prune().catch(() => {});
  m.syncSoon();
  m.uploadAll();
  setInterval(() => { m.syncSoon(); m.uploadAll(); }, 30000);
  setInterval(renderBar, 15000);
  subscribePush(false);
}

window.__app = { status }; // db and syncNow once engine.js is loaded (the browser tests read the outbox)
performance.mark("app-start");
boot();
