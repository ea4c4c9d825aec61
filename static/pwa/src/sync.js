// The outbox and the sync loop (docs/sync-protocol.md, "Client rules"): push the queue in order,
// settle each mutation as done or rejected (with the server's reason), retry network errors and
// 5xx with backoff, then pull until `more` is false. State lives in IndexedDB, so a reload or a
// restart resumes where it stopped.
import { HttpError, problemText, request } from "./client.js";
import { db, get, put } from "./db.js";
import { learnTechnician } from "./local.js";
import { emit, status } from "./status.js";

let timer = null;
let again = false;
let failures = 0;
let run = null; // the sync running now: { token, abort }, so a logout can cancel it

export { HttpError };

/** A request as this phone's user (the stored token unless given), in the phone's language. */
export async function api(path, { method = "GET", body, token, headers: extra, signal, keepalive = false } = {}) {
  const headers = { "Accept-Language": (await get("lang", "zh-CN")), ...extra };
  const bearer = token ?? (await get("token"));
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  return request(path, { method, body, headers, signal, keepalive });
}

const retryable = (e) => !(e instanceof HttpError) || e.status >= 500 || e.status === 408 || e.status === 429;

/** The network is back (the browser says so): retry at once, with the backoff reset. */
export function reconnect() { failures = 0; syncSoon(0); }

/** Run a sync now (or right after the one running). */
export function syncSoon(delay = 0) {
  clearTimeout(timer);
  timer = setTimeout(syncNow, delay);
}

/** Logout: the running sync's requests are cancelled and nothing answered to them is written, so
 *  the next user on this phone starts clean (a late 401 for the revoked token is not theirs). */
export function stopSync() {
  clearTimeout(timer);
  failures = 0;
  run?.abort.abort();
}

export async function syncNow() {
  // Claimed before the first await: two runs at once would write their pulls in either order, an
  // older page last (the order goes back a step) while a newer push is already settled.
  if (status.running) { again = true; return; }
  status.running = true;
  const own = (run = { token: null, abort: new AbortController() });
  try {
    own.token = await get("token");
    if (!own.token) return;
    emit();
    await push(own);
    await pull(own);
    failures = 0;
    status.error = null; status.retryAt = null; status.online = true; status.authExpired = false; status.synced = true;
    await put("lastSync", new Date().toISOString());
  } catch (e) {
    // Anything sent but unanswered goes back to pending: the server answers a replay the same.
    await db.outbox.where("state").equals("sending").modify({ state: "pending" });
    status.synced = false;
    if (own.abort.signal.aborted) {
      // Stopped by a logout: nothing to report, nothing to retry.
    } else if (e instanceof HttpError && e.status === 401) {
      status.authExpired = true; status.error = "auth";
    } else if (retryable(e)) {
      failures += 1;
      const wait = Math.min(30000, 1000 * 2 ** Math.min(failures - 1, 5)) * (0.75 + Math.random() / 2);
      status.online = e instanceof HttpError; // a 5xx means the network works
      status.error = e instanceof HttpError ? `HTTP ${e.status}` : "network";
      status.retryAt = Date.now() + wait;
      syncSoon(wait);
    } else {
      status.error = e instanceof HttpError ? `HTTP ${e.status}` : e.message;
    }
  } finally {
    status.running = false; emit();
    if (again) { again = false; syncSoon(0); }
  }
}

function settle(row, result) {
  if (result.status === "applied") return { state: "done", serverTime: result.server_time ?? null };
  if (result.status === "rejected") return {
    state: "rejected", reason: result.reason, reasonCode: result.reason_code, serverTime: result.server_time ?? null, settled: true,
  };
  return { state: "pending" }; // gap: resent from last_mutation_id + 1
}

async function push(own) {
  const all = await db.outbox.where("state").anyOf("pending", "sending").sortBy("id");
  if (!all.length) return;
  const queue = all.slice(0, 200); // the server takes up to 1000 per batch; the rest follow at once
  if (all.length > queue.length) again = true;
  await db.outbox.bulkUpdate(queue.map((m) => ({ key: m.id, changes: { state: "sending", attempts: m.attempts + 1 } })));
  emit();
  const clientId = await get("clientId");
  let answer;
  try {
    answer = await api("/api/sync/push", {
      method: "POST", token: own.token, signal: own.abort.signal,
      // first_unsettled: every smaller id is settled here; a server restored from an older backup
      // skips the ids it lost instead of refusing the queue as a gap (docs/sync-protocol.md).
      body: { client_id: clientId, first_unsettled: queue[0].id, mutations: queue.map((m) => ({ id: m.id, name: m.name, device_time: m.deviceTime, args: m.args })) },
      headers: outboxHeader(all.length),
    });
  } catch (e) {
    if (e instanceof HttpError && e.status === 400) {
      // The envelope itself was refused: never block the queue on it; keep what was typed.
      await db.outbox.bulkUpdate(queue.map((m) => ({ key: m.id, changes: { state: "rejected", reasonCode: "sync.invalid_args", reason: problemText(e.body), settled: true } })));
      return;
    }
    throw e;
  }
  const byId = new Map(answer.results.map((r) => [r.id, r]));
  await db.transaction("rw", db.outbox, async () => {
    own.abort.signal.throwIfAborted();
    for (const m of queue) {
      const r = byId.get(m.id);
      if (r) await db.outbox.update(m.id, settle(m, r));
      else if (m.id <= answer.last_mutation_id) await db.outbox.update(m.id, { state: "done" });
      else await db.outbox.update(m.id, { state: "pending" });
    }
  });
  emit(true);
  if (queue.some((m) => m.id > answer.last_mutation_id)) again = true;
}


// What the outbox holds, reported with each sync: the dispatchers' board shows it.
const outboxHeader = (n) => ({ "X-Outbox-Pending": String(n) });

async function pull(own) {
  const clientId = await get("clientId");
  const pending = await db.outbox.where("state").anyOf("pending", "sending").count();
  for (let page = 0; page < 1000; page++) {
    const cursor = await get("cursor");
    const q = new URLSearchParams({ client_id: clientId, limit: "100" });
    if (cursor) q.set("cursor", cursor);
    const p = await api(`/api/sync/pull?${q}`, { headers: outboxHeader(pending), token: own.token, signal: own.abort.signal });
    if (p.reset) {
      // Drop the copy (never the outbox) and take a snapshot.
      await db.transaction("rw", db.orders, db.kv, async () => { own.abort.signal.throwIfAborted(); await db.orders.clear(); await put("cursor", null); });
      continue;
    }
    await db.transaction("rw", db.orders, db.kv, db.outbox, async () => {
      own.abort.signal.throwIfAborted(); // answered before a logout, written after it: never
      if (!cursor) await db.orders.clear(); // a snapshot replaces everything
      if (p.orders.length) await db.orders.bulkPut(p.orders);
      if (p.removed.length) await remove(p);
      if (p.reference) await put("reference", p.reference), learnTechnician(p.reference.technician);
      for (const r of p.results) {
        const m = await db.outbox.get(r.id);
        if (m && m.state !== "rejected" && m.state !== "done") await db.outbox.update(r.id, settle(m, r));
        else if (m && r.status === "rejected" && m.state !== "rejected") await db.outbox.update(r.id, settle(m, r));
      }
      // Done mutations are now in the server's documents: stop overlaying them.
      await db.outbox.where("state").equals("done").modify({ settled: true });
      await put("cursor", p.cursor);
    });
    emit(p.orders.length > 0 || p.removed.length > 0 || p.results.length > 0);
    if (!p.more) return;
  }
}

/** Delete the orders that left the scope, leaving a notice in the place of each one this phone
 *  held ("GD… 已于 10:42 改派给 吴海"), unless the technician's own reject explains it. */
async function remove(p) {
  const held = new Set((await db.orders.bulkGet(p.removed)).filter(Boolean).map((o) => o.id));
  const own = new Set((await db.outbox.where("orderId").anyOf(p.removed).toArray()).filter((m) => m.name === "reject").map((m) => m.orderId));
  const fresh = (p.removals || []).filter((r) => held.has(r.id) && !own.has(r.id));
  if (fresh.length) await put("notices", [...(await get("notices", [])).filter((n) => !held.has(n.id)), ...fresh]);
  await db.orders.bulkDelete(p.removed);
}

export async function counts() {
  const all = await db.outbox.toArray();
  return {
    pending: all.filter((m) => m.state === "pending" || m.state === "sending").length,
    rejected: all.filter((m) => m.state === "rejected" && !m.dismissed).length,
  };
}

/** Drop old settled mutations so the table stays small (rejected ones stay until dismissed). */
export async function prune() {
  const week = Date.now() - 7 * 86400e3;
  await db.outbox.filter((m) => m.state === "done" && m.settled && Date.parse(m.deviceTime) < week).delete();
}
