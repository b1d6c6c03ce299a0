// The YouTube page (templates/youtube/page.html): submit a playlist, follow each unfinished
// download live over its socket (/ws/youtube/<id>), cancel or delete one.
//
// Each download is drawn from the API's view of it (GET /api/youtube/downloads/<id>), which is
// also what every `download:progress` message carries; `downloadItem` draws it as the template
// does. A socket that (re)connects reloads its download, since messages may have been missed.

// The shell's modules by their absolute paths.
import { ApiError, api, describeWait } from "/static/web/js/api.js";
import { h, replace } from "/static/web/js/dom.js";
import { toast } from "/static/web/js/toast.js";
import { LiveSocket } from "/static/web/js/ws.js";

const API = "/api/youtube";
const UNFINISHED = new Set(["queued", "downloading", "importing"]);
const LABELS = {
  queued: "Queued",
  downloading: "Downloading",
  importing: "Adding to Plex",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

const downloads = new Map(); // id → the API's view
const sockets = new Map(); // id → LiveSocket, while unfinished

/** "8.5 KB", "1.2 MB". */
export function formatBytes(value) {
  const bytes = Number(value) || 0;
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let size = bytes / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(size < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "0:42", "12:05", "1:02:03". */
export function formatEta(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** The line under the overall bar: items, bytes, and the speed while downloading. */
export function summary(view) {
  const p = view.progress || {};
  const total = p.items_total ?? "?";
  const parts = [`${p.items_done || 0} of ${total} items`];
  if (p.items_failed) parts.push(`${p.items_failed} failed`);
  if (p.downloaded_bytes) parts.push(formatBytes(p.downloaded_bytes));
  if (view.status === "downloading" && p.speed) parts.push(`${formatBytes(p.speed)}/s`);
  return parts.join(" · ");
}

function itemRow(item) {
  return h(
    "li",
    { class: "yt-item", dataset: { item: String(item.index), status: item.status } },
    h("span", { class: "yt-item__title", title: item.title || "" }, item.title || `Item ${item.index}`),
    h("progress", {
      class: "yt-progress yt-progress--item",
      max: String(item.total_bytes || 1),
      value: String(item.status === "finished" || item.status === "skipped" ? item.total_bytes || 1 : item.downloaded_bytes || 0),
      "aria-label": item.title || `Item ${item.index}`,
    }),
    h("span", { class: "yt-item__status" }, itemStatus(item)),
  );
}

/** "downloading · 0:12 left", "finished", or the reason it failed. */
export function itemStatus(item) {
  if (item.error) return item.error;
  if (item.status === "downloading" && item.eta != null) return `downloading · ${formatEta(item.eta)} left`;
  return item.status;
}

/** One download as a card (the template's `_download.html`, kept alike). */
export function downloadItem(view, { itemsOpen = false } = {}) {
  const unfinished = UNFINISHED.has(view.status);
  const percent = view.progress?.percent ?? 0;
  return h(
    "li",
    { class: "card yt-download", dataset: { download: view.id, status: view.status } },
    h(
      "div",
      { class: "yt-download__head" },
      h(
        "div",
        { class: "yt-download__title" },
        h("strong", {}, view.title || view.playlist_url),
        h("span", { class: `yt-status yt-status--${view.status}`, dataset: { statusLabel: "" } }, LABELS[view.status] || view.status),
      ),
      h(
        "div",
        { class: "yt-download__actions" },
        view.collection_url
          ? h("a", { class: "btn btn--ghost btn--sm", href: view.collection_url, dataset: { collectionLink: "" } }, "Open the collection")
          : null,
        h("button", { class: "btn btn--ghost btn--sm", type: "button", dataset: { delete: "" } }, unfinished ? "Cancel" : "Delete"),
      ),
    ),
    h("progress", { class: "yt-progress", max: "100", value: String(percent), dataset: { overall: "" }, "aria-label": "Overall progress" }, `${percent}%`),
    h("p", { class: "muted yt-download__summary", dataset: { summary: "" } }, summary(view)),
    view.error ? h("p", { class: "field__error", dataset: { error: "" } }, view.error) : null,
    view.items && view.items.length
      ? h("details", { class: "yt-items", open: itemsOpen }, h("summary", {}, "Items"), h("ol", {}, view.items.map(itemRow)))
      : null,
  );
}

// ---- the page -------------------------------------------------------------------------------

function page() {
  return document.querySelector("[data-youtube-page]");
}

function show(view) {
  downloads.set(view.id, view);
  const list = page().querySelector("[data-downloads]");
  const current = list.querySelector(`[data-download="${CSS.escape(view.id)}"]`);
  const details = current && current.querySelector("details");
  const drawn = downloadItem(view, { itemsOpen: details ? details.open : UNFINISHED.has(view.status) });
  if (current) current.replaceWith(drawn);
  else list.prepend(drawn);
  page().querySelector("[data-empty]").hidden = true;
  follow(view);
}

function forget(id) {
  downloads.delete(id);
  sockets.get(id)?.stop();
  sockets.delete(id);
  page().querySelector(`[data-download="${CSS.escape(id)}"]`)?.remove();
  page().querySelector("[data-empty]").hidden = downloads.size > 0;
}

/** A socket for an unfinished download, until it finishes. */
function follow(view) {
  if (!UNFINISHED.has(view.status)) {
    sockets.get(view.id)?.stop();
    sockets.delete(view.id);
    return;
  }
  if (sockets.has(view.id)) return;
  const live = new LiveSocket(`/ws/youtube/${encodeURIComponent(view.id)}`);
  live.on("ready", () => reload(view.id));
  live.on("download:progress", (update) => {
    if (downloads.has(update.id)) show(update);
  });
  live.addEventListener("state", (event) => {
    if (event.detail.state === "closed" && event.detail.code === 4404) forget(view.id);
  });
  sockets.set(view.id, live);
  live.start();
}

async function reload(id) {
  try {
    show(await api.get(`${API}/downloads/${encodeURIComponent(id)}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) forget(id);
  }
}

async function loadAll() {
  const { items } = await api.get(`${API}/downloads?limit=50`);
  const list = page().querySelector("[data-downloads]");
  replace(list);
  downloads.clear();
  for (const view of [...items].reverse()) show(view);
  page().querySelector("[data-empty]").hidden = items.length > 0;
}

async function remove(id) {
  const view = downloads.get(id);
  if (!view) return;
  const unfinished = UNFINISHED.has(view.status);
  const question = unfinished
    ? "Cancel this download? What it downloaded so far is removed."
    : "Delete this download and its files? The Plex collection keeps what it had until Plex notices.";
  if (!window.confirm(question)) return;
  try {
    await api.delete(`${API}/downloads/${encodeURIComponent(id)}`);
    forget(id);
    toast(unfinished ? "Download cancelled" : "Download deleted", { kind: "success" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) forget(id);
    else toast(error.message, { kind: "error", title: "YouTube" });
  }
}

// ---- the form -------------------------------------------------------------------------------

function showErrors(form, error) {
  const fields = error instanceof ApiError ? error.fields : {};
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    const message = fields[slot.dataset.errorFor];
    slot.textContent = message || "";
    slot.hidden = !message;
    form.elements[slot.dataset.errorFor]?.setAttribute("aria-invalid", message ? "true" : "false");
  }
  const problem = form.querySelector("[data-form-error]");
  let message = "";
  if (error && !Object.keys(fields).length) {
    message = error.code === "RATE_LIMIT_EXCEEDED" && error.retryAfter
      ? `You have started as many downloads as you may this hour. Try again in ${describeWait(error.retryAfter)}.`
      : error.message;
  }
  problem.textContent = message;
  problem.hidden = !message;
}

async function submit(form) {
  const button = form.querySelector("[data-submit]");
  const body = { playlist_url: form.elements.playlist_url.value.trim() };
  const collection = form.elements.collection.value.trim();
  if (collection) body.collection = collection;
  button.disabled = true;
  try {
    const { id } = await api.post(`${API}/download`, body);
    showErrors(form, null);
    form.reset();
    await reload(id);
    toast("Download queued", { kind: "success" });
  } catch (error) {
    showErrors(form, error);
  } finally {
    button.disabled = false;
  }
}

function start() {
  const root = page();
  if (!root) return;
  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-delete]");
    if (button) remove(button.closest("[data-download]").dataset.download);
  });
  const form = root.querySelector("[data-youtube-form]");
  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(form);
  });
  loadAll().catch((error) => toast(error.message, { kind: "error", title: "YouTube" }));
}

start();
