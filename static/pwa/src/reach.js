// Receipts for the server's tracked notices (issue 18): opening a job tells it the technician has
// seen the job's notices; the service worker tells it a push arrived (delivered). Best effort and
// online only: the next pull delivers, and accepting the order (queued offline too) sees.
import { value } from "./idb.js";

const SEEN_AGAIN_AFTER_MS = 15_000; // a redraw of the open job is not another opening
const told = new Map();

/** A call with the stored token: the answer's JSON (null when empty), or null when it failed. */
export async function call(path, method = "GET", body = undefined) {
  const token = await value("token");
  if (!token) return null;
  try {
    const response = await fetch(path, {
      method, cache: "no-store", keepalive: method !== "GET", body: body === undefined ? undefined : JSON.stringify(body),
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Accept-Language": document?.documentElement?.lang || "zh-CN" },
    });
    if (!response.ok) return null;
    return response.status === 204 ? {} : response.json();
  } catch { return null; } // offline: nothing to do
}
const post = async (path, body) => (await call(path, "POST", body)) !== null;

/** The technician opened job `orderId`. */
export async function reportSeen(orderId) {
  if (Date.now() - (told.get(orderId) || 0) < SEEN_AGAIN_AFTER_MS) return;
  told.set(orderId, Date.now());
  if (!(await post("/api/reach/seen", { work_order: orderId }))) told.delete(orderId);
}

/** The push of notice `notice` reached this phone (called by the service worker). */
export const reportReceipt = (notice) => post("/api/reach/receipts", { notice });
