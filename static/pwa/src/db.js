// Local data in IndexedDB (Dexie): the server's documents, the outbox, and a few settings.
import Dexie from "dexie";

export const db = new Dexie("fieldservice");
db.version(1).stores({
  kv: "key",
  orders: "id",
  // id = the mutation id the server sees (1, 2, 3… per client_id); state: pending/sending/done/rejected
  outbox: "id, state, orderId",
});
// Photos: the resized JPEG waits here until its tus upload completes (uploadId = the tus `id`).
db.version(2).stores({ photos: "uploadId, orderId, state" });

export async function get(key, fallback = null) {
  const row = await db.kv.get(key);
  return row === undefined ? fallback : row.value;
}
export const put = (key, value) => db.kv.put({ key, value });

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function newId(prefix = "") {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Queue one action: its mutation id is taken in the same transaction as the insert. */
export async function enqueue(name, args, extra = {}) {
  return db.transaction("rw", db.kv, db.outbox, async () => {
    const id = await get("nextMutationId", 1);
    await put("nextMutationId", id + 1);
    const row = {
      id, name, args, orderId: args.order_id ?? null, deviceTime: new Date().toISOString(),
      state: "pending", attempts: 0, reason: null, reasonCode: null, settled: false, ...extra,
    };
    await db.outbox.add(row);
    return row;
  });
}
