// Reads of the local database without Dexie, for the start-up path: the job list, a job and the
// sync panel render from these while Dexie (the schema's owner and the only writer, db.js) loads
// after the first paint. The stores and keys are db.js's.
let opening = null;

function open() {
  opening ||= new Promise((resolve, reject) => {
    const request = indexedDB.open("fieldservice"); // its current version: never creates or upgrades
    request.onupgradeneeded = () => request.transaction.abort(); // not created yet (Dexie will)
    request.onsuccess = () => {
      const db = request.result;
      // Dexie opening a newer schema must not wait for this connection.
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
  });
  return opening;
}

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

/**
 * One read transaction over `stores`: `fn(q)` issues its reads at once and gets back promises
 * (q.get(store, key), q.all(store), q.where(store, index, value)). A store (or the whole database)
 * that does not exist yet reads as empty.
 */
export async function read(stores, fn) {
  let db = null;
  try { db = await open(); } catch { /* no database yet: nothing stored */ }
  const present = db ? stores.filter((s) => db.objectStoreNames.contains(s)) : [];
  const tx = present.length ? db.transaction(present, "readonly") : null;
  const has = (s) => tx && present.includes(s);
  return Promise.all(fn({
    get: (s, key) => (has(s) ? done(tx.objectStore(s).get(key)) : Promise.resolve(undefined)),
    all: (s) => (has(s) ? done(tx.objectStore(s).getAll()) : Promise.resolve([])),
    where: (s, index, value) => (has(s) ? done(tx.objectStore(s).index(index).getAll(value)) : Promise.resolve([])),
  }));
}

/** A setting (the `kv` store of db.js). */
export async function value(key, fallback = null) {
  const [row] = await read(["kv"], (q) => [q.get("kv", key)]);
  return row === undefined || row.value === undefined ? fallback : row.value;
}
