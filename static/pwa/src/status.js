// The sync loop's state, which the top bar shows from the first paint on (before sync.js loads),
// and the listeners it tells when something changed.
// synced: a sync succeeded since this start (until then the bar claims nothing but the last one).
export const status = { running: false, online: navigator.onLine, synced: false, error: null, retryAt: null, authExpired: false };
const listeners = new Set();
export const onChange = (fn) => listeners.add(fn);
export const emit = (data = false) => listeners.forEach((fn) => fn(data)); // data: the orders or the outbox changed
