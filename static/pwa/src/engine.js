// What the app needs to write and to sync, loaded after the first paint (or at the first write):
// Dexie and the outbox, the sync loop, the photo uploads. Not on the start-up path.
export { db, enqueue, newId, put } from "./db.js";
export { addPhoto, onPhotoChange, uploadAll } from "./photos.js";
export { HttpError, api, counts, prune, reconnect, stopSync, syncNow, syncSoon } from "./sync.js";
