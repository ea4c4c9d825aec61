// The service worker: precaches the app shell of this build (the list is injected by build.mjs),
// serves it cache-first so the app starts with no network, never touches /api (the page's own
// outbox handles that), and shows every push as a notification (iOS revokes silent pushes).
/* global __SHELL__, __VERSION__ */
import { reportReceipt } from "./reach.js";

const CACHE = "shell-" + __VERSION__;
const SHELL = __SHELL__;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  // The API, the docs and the dispatcher console (online only) are none of this worker's business.
  if (/^\/(api\/|schema|console(\/|$))/.test(url.pathname)) return;
  if (event.request.mode === "navigate") {
    // Every navigation gets the shell (routes live in the hash); network only as a fallback.
    event.respondWith(caches.match("/", { cacheName: CACHE }).then((r) => r || fetch(event.request)));
    return;
  }
  event.respondWith(caches.match(event.request, { cacheName: CACHE }).then((r) => r || fetch(event.request)));
});

async function tellClients(message) {
  const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const c of all) c.postMessage(message);
  return all;
}

self.addEventListener("push", (event) => {
  let data;
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data && event.data.text() }; }
  const zh = (data.lang || "zh-CN") !== "en";
  const title = data.title || (zh ? "工单有更新" : "Your jobs changed");
  const options = {
    body: data.body || "",
    tag: data.tag || "jobs",
    renotify: true,
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
    data: { order: data.order || null },
  };
  // Always a visible notification, then a sync in any open window.
  // A tracked notice's push is reported received: the dispatcher sees it delivered.
  const receipt = data.notice ? reportReceipt(data.notice) : null;
  event.waitUntil(Promise.all([self.registration.showNotification(title, options), tellClients({ type: "sync" }), receipt]));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const order = event.notification.data && event.notification.data.order;
  const target = order ? `/#/job/${order}` : "/#/";
  event.waitUntil((async () => {
    const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const c of all) {
      c.postMessage({ type: "open", order });
      if ("focus" in c) return c.focus();
    }
    return self.clients.openWindow(target);
  })());
});

self.addEventListener("message", (event) => {
  if (event.data === "skipWaiting") self.skipWaiting();
  // A page that appeared after this worker's own claim (app.js, takeControl).
  if (event.data === "claim") event.waitUntil(self.clients.claim());
});
