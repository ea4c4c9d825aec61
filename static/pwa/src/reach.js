// Receipts for the server's tracked notices (issue 18): opening a job tells it the technician has
// seen the job's notices; the service worker tells it a push arrived (delivered). Best effort and
// online only: the next pull delivers, and accepting the order (queued offline too) sees.
import { value } from "./idb.js";

const SEEN_AGAIN_AFTER_MS = 15_000; // a redraw of the open job is not another opening
const told = new Map();

async function post(path, body) {
  const token = await value("token");
  if (!token) return false;
  try {
    const response = await fetch(path, {
      method: "POST", cache: "no-store", keepalive: true, body: JSON.stringify(body),
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    });
    return response.ok;
  } catch { return false; } // offline: nothing to do
}

/** The technician opened job `orderId`. */
export async function reportSeen(orderId) {
  if (Date.now() - (told.get(orderId) || 0) < SEEN_AGAIN_AFTER_MS) return;
  told.set(orderId, Date.now());
  if (!(await post("/api/reach/seen", { work_order: orderId }))) told.delete(orderId);
}

/** The push of notice `notice` reached this phone (called by the service worker). */
export const reportReceipt = (notice) => post("/api/reach/receipts", { notice });
