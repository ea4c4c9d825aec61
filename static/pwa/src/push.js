// Web push: the subscription is sent again on every start (issue 6); permission is asked only on a tap.
import { value } from "./idb.js";
import { lang } from "./i18n.js";

function b64ToBytes(s) {
  const raw = atob((s + "===".slice((s.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export async function subscribePush(ask) {
  try {
    if (!("PushManager" in window) || !("serviceWorker" in navigator) || !(await value("token"))) return;
    const { api, newId, put } = await import("./engine.js");
    if (Notification.permission !== "granted") {
      if (!ask || (await Notification.requestPermission()) !== "granted") return;
    }
    const reg = await navigator.serviceWorker.ready;
    let sub = await reg.pushManager.getSubscription();
    if (!sub) {
      const { public_key } = await api("/api/push/vapid-public-key");
      sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(public_key) });
    }
    let deviceId = await value("deviceId");
    if (!deviceId) { deviceId = newId("dev-"); await put("deviceId", deviceId); }
    const json = sub.toJSON();
    await api("/api/push/subscriptions", { method: "POST", body: { device_id: deviceId, endpoint: json.endpoint, keys: json.keys, language: lang() } });
  } catch (err) {
    console.warn("push subscription", err);
  }
}
