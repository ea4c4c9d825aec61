// Job photos: resized on the phone (long side ≤ 1600 px, JPEG), kept in IndexedDB, uploaded with
// tus-js-client (resumable: the upload URL is kept, so a cut connection resumes from the server's
// offset, across reloads too). The `attach_photo` mutation is queued at once, offline or not: the
// server shows the photo as pending until its bytes arrive.
import { db, enqueue, get, uuid } from "./db.js";

const MAX_SIDE = 1600;
const CHUNK = 256 * 1024;
const listeners = new Set();
export const onPhotoChange = (fn) => listeners.add(fn);
const emit = (row) => listeners.forEach((fn) => fn(row));
const running = new Map(); // uploadId → tus.Upload

export async function resize(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close?.();
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("encode"))), "image/jpeg", 0.85));
}

export async function addPhoto(order, file, kind, caption) {
  const blob = await resize(file);
  const uploadId = uuid();
  await db.photos.put({ uploadId, orderId: order.id, kind, caption, blob, size: blob.size, sent: 0, state: "queued", uploadUrl: null, error: null, name: file.name || "photo.jpg" });
  await enqueue("attach_photo", { order_id: order.id, upload_id: uploadId, kind, caption }, { orderCode: order.code });
  uploadAll();
  return uploadId;
}

/** Start (or resume) every unfinished upload; safe to call often. */
export async function uploadAll() {
  const token = await get("token");
  if (!token) return;
  const waiting = await db.photos.where("state").anyOf("queued", "uploading", "error").toArray();
  if (!waiting.length) return;
  const tus = await import("tus-js-client");
  for (const p of waiting) if (!running.has(p.uploadId)) start(tus, p, token);
}

function start(tus, p, token) {
  const upload = new tus.Upload(p.blob, {
    endpoint: "/api/uploads/",
    uploadUrl: p.uploadUrl || undefined,
    chunkSize: CHUNK,
    retryDelays: [0, 1000, 3000, 5000, 10000],
    headers: { Authorization: `Bearer ${token}` },
    metadata: { id: p.uploadId, filename: p.name, filetype: "image/jpeg" },
    storeFingerprintForResuming: false,
    removeFingerprintOnSuccess: true,
    onUploadUrlAvailable: () => db.photos.update(p.uploadId, { uploadUrl: upload.url }),
    onProgress: (sent) => { db.photos.update(p.uploadId, { sent, state: "uploading" }); emit({ ...p, sent, state: "uploading" }); },
    onSuccess: async () => {
      running.delete(p.uploadId);
      await db.photos.update(p.uploadId, { sent: p.size, state: "done", error: null });
      emit({ ...p, sent: p.size, state: "done" });
    },
    onError: async (err) => {
      running.delete(p.uploadId);
      const status = err?.originalResponse?.getStatus?.();
      // 4xx other than 404/409/423: the server refused the file itself; keep it and say why.
      const refused = status >= 400 && status < 500 && ![404, 409, 423, 429].includes(status);
      const changes = { state: refused ? "refused" : "error", error: String(err?.message || err).slice(0, 300) };
      if (status === 404) changes.uploadUrl = null; // expired on the server: start again
      await db.photos.update(p.uploadId, changes);
      emit({ ...p, ...changes });
    },
  });
  running.set(p.uploadId, upload);
  upload.start();
}
