// The technician app: hash routes, views rendered from IndexedDB (views/), every action queued in
// the outbox first (so it works the same online and offline) and synced in the background.
// Start-up path (docs/benchmarks.md): the views read IndexedDB directly (idb.js); Dexie, the sync
// loop and the photo uploads (engine.js) load after the first paint, or at the first write.
import { nodes } from "./client.js";
import { setLang, t } from "./i18n.js";
import { value } from "./idb.js";
import { reportSeen } from "./reach.js";
import { onChange, status } from "./status.js";
import { renderBar } from "./views/bar.js";
import { closeView } from "./views/close.js";
import { load, remember, snapshot, subscribePush } from "./views/data.js";
import { detailView, photoItem } from "./views/detail.js";
import { listView } from "./views/list.js";
import { loginView } from "./views/login.js";
import { signView } from "./views/sign.js";
import { syncView } from "./views/sync-panel.js";
import { listenToCards, openBoxes, ui } from "./views/ui.js";

// ---------------------------------------------------------------- routing and start-up
let lastHash = null;
let updateReady = false;
// One drawing at a time. Views read IndexedDB before they draw, so two overlapping drawings can
// finish out of order and leave an older read on screen (the job without the work just recorded):
// a call while one runs asks for one more drawing after it, which reads the newest state.
let drawing = null;
let drawAgain = false;
function route() {
  if (drawing) { drawAgain = true; return drawing; }
  drawing = (async () => {
    try {
      do { drawAgain = false; await drawScreen(); } while (drawAgain);
    } finally { drawing = null; }
  })();
  return drawing;
}

async function drawScreen() {
  if (updateReady && (location.hash === "" || location.hash === "#/")) return location.reload();
  const moved = location.hash !== lastHash; // a new screen opens at its top; a redraw stays put
  if (moved) { openBoxes.clear(); lastHash = location.hash; ui.dirty = false; } // a redraw keeps the typing (drawView)
  const first = window.__firstList; // the inline first paint's list, once
  window.__firstList = null;
  const snap = await snapshot();
  await renderBar(snap);
  if (!snap.token || (status.authExpired && location.hash === "#/login")) return loginView();
  await show(location.hash.replace(/^#/, "") || "/", snap, first);
  if (moved) window.scrollTo(0, 0);
}

function show(h, snap, first) {
  let m;
  if ((m = h.match(/^\/job\/(\d+)\/sign$/))) return signView(+m[1]);
  if ((m = h.match(/^\/job\/(\d+)\/close$/))) return closeView(+m[1]);
  if ((m = h.match(/^\/job\/(\d+)$/))) { reportSeen(+m[1]); return detailView(+m[1]); }
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
  const busy = /\/(sign|close)$/.test(h) || h === "#/login" || ui.dirty
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

// Until a service worker controls this page, the app does not start offline. Two ways a first visit
// ends without one: the worker's precache failed (the worker is dropped, so register again), or
// this page's navigation began before the worker activated and its document appeared after the
// worker's claim() (claim reaches only pages already running), so ask the active worker again.
function takeControl() {
  const sw = navigator.serviceWorker;
  if (!sw || sw.controller) return;
  sw.register("/sw.js")
    .then((reg) => { if (!sw.controller) reg.active?.postMessage("claim"); })
    .catch((err) => console.warn("sw", err));
}

async function startEngine() {
  const m = await load();
  performance.mark("engine-loaded");
  engineLoaded(m);
  m.onPhotoChange((p) => {
    const li = document.querySelector(`li.photo[data-upload="${p.uploadId}"]`);
    if (li) li.replaceWith(nodes(photoItem(p)));
  });
  window.addEventListener("online", () => { m.reconnect(); m.uploadAll(); takeControl(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) m.syncSoon(); });
  if ("serviceWorker" in navigator) {
    // A new build took over: its precache replaced this page's lazily loaded chunks, so reload
    // the next time the technician is back on the job list (never in the middle of a form).
    const hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener("controllerchange", () => { if (hadController) updateReady = true; });
    takeControl();
    navigator.serviceWorker.addEventListener("message", (ev) => {
      if (ev.data?.type === "sync") m.syncSoon();
      if (ev.data?.type === "open" && ev.data.order) location.hash = `#/job/${ev.data.order}`;
    });
  }
  if (navigator.storage?.persist) navigator.storage.persist().then((granted) => m.put("persisted", granted)).catch(() => {});
  m.prune().catch(() => {});
  m.syncSoon();
  m.uploadAll();
  setInterval(() => { m.syncSoon(); m.uploadAll(); takeControl(); }, 30000);
  setInterval(renderBar, 15000);
  subscribePush(false);
}

ui.route = route;
listenToCards();
// The browser tests read the outbox through the engine, which loads after the first screen.
let engineLoaded;
window.__app = { status, redraw: route, engine: new Promise((resolve) => { engineLoaded = resolve; }) };
performance.mark("app-start");
boot();
