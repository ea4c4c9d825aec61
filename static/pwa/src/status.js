// The sync loop's state, which the top bar shows from the first paint on (before sync.js loads),
// and the listeners it tells when something changed.
export const status = { running: false, online: navigator.onLine, error: null, retryAt: null, authExpired: false };
const listeners = new Set();
export const onChange = (fn) => listeners.add(fn);
export const emit = (data = false) => listeners.forEach((fn) => fn(data)); // data: the orders or the outbox changed
