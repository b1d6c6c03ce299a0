// The dashboard: plugin widgets, and the services panel kept live over /ws/status.

import { api } from "./api.js";
import { emptyState, h, humanize, icon, replace, tickTimes, timeElement } from "./dom.js";
import { sanitizedFragment } from "./sanitize.js";
import { mergeUpdate, normalStatus, serviceItem, serviceTitle, summaryText } from "./status.js";
import { toast } from "./toast.js";
import { LiveSocket } from "./ws.js";

const FALLBACK_REFRESH_MS = 60000; // while the socket is down, poll instead
const WIDGET_REFRESH_DELAY_MS = 1000; // a burst of status changes reloads the widgets once
const MAX_LIST_ITEMS = 8;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

// ---- services panel ---------------------------------------------------------------------

const panel = document.querySelector("[data-status-panel]");
const panelBody = panel.querySelector("[data-status-body]");
const summary = panel.querySelector("[data-status-summary]");
const refreshButton = panel.querySelector("[data-status-refresh]");
const services = new Map(); // service id -> entry, in the server's order
let list = null;

function renderSummary() {
  const entries = [...services.values()];
  const trouble = entries.some((entry) => normalStatus(entry.status) !== "online");
  replace(summary, entries.length ? icon(trouble ? "degraded" : "online") : null, summaryText(entries));
}

function renderServices() {
  if (services.size === 0) {
    list = null;
    replace(
      panelBody,
      emptyState("server", "No services yet", "When an admin connects the services your plugins use, their status shows up here."),
    );
  } else {
    list = h("ul", { class: "service-list" }, [...services.values()].map(serviceItem));
    replace(panelBody, list);
  }
  renderSummary();
}

async function loadStatus() {
  refreshButton.setAttribute("aria-busy", "true");
  try {
    const data = await api.get("/api/dashboard/status");
    services.clear();
    for (const entry of itemsOf(data)) {
      if (entry && typeof entry.service === "string") services.set(entry.service, entry);
    }
    renderServices();
  } catch (error) {
    services.clear();
    renderSummary();
    replace(
      panelBody,
      error.isMissing
        ? emptyState("server", "Status isn't available yet", "This MediaNest doesn't report service status yet.")
        : emptyState("offline", "Couldn't load the status", error.message, retryButton(loadStatus)),
    );
  } finally {
    refreshButton.removeAttribute("aria-busy");
    panel.setAttribute("aria-busy", "false");
  }
}

function applyStatusEvent(update) {
  if (!update || typeof update.service !== "string") return;
  const before = services.get(update.service);
  const entry = mergeUpdate(before, update);
  services.set(update.service, entry);
  if (!list) {
    renderServices();
  } else {
    const item = serviceItem(entry);
    const old = list.querySelector(`[data-service="${CSS.escape(update.service)}"]`);
    if (old) old.replaceWith(item);
    else list.append(item);
    item.classList.add("flash");
    renderSummary();
  }
  announceChange(before, entry);
}

function announceChange(before, after) {
  if (!before || normalStatus(before.status) === normalStatus(after.status)) return;
  const name = serviceTitle(after);
  const status = normalStatus(after.status);
  if (status === "online") toast(`${name} is back online.`, { kind: "success" });
  else if (status === "offline") toast(after.error ? String(after.error) : `${name} isn't answering.`, { kind: "error", title: `${name} is offline` });
  else if (status === "degraded") toast(`${name} is slow or partly down.`, { kind: "warning" });
}

// ---- widgets ------------------------------------------------------------------------------

const widgetsSection = document.querySelector("[data-widgets]");
const grid = widgetsSection.querySelector("[data-widget-grid]");

function formatScalar(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (typeof value === "number") return value.toLocaleString();
  if (typeof value === "string" && ISO_DATE.test(value)) return timeElement(value);
  return String(value);
}

/** A generic view of a widget's `data`: key/value pairs, lists, nested a few levels deep. */
export function dataView(value, depth = 0) {
  if (value === null || value === undefined) return h("p", { class: "muted" }, "Nothing to show yet.");
  if (typeof value !== "object") return h("p", {}, formatScalar(value));
  if (depth >= 3) return h("code", {}, JSON.stringify(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return h("p", { class: "muted" }, "Nothing here yet.");
    const shown = value.slice(0, MAX_LIST_ITEMS);
    const more = value.length - shown.length;
    return h(
      "ul",
      { class: "kv-list" },
      shown.map((item) => h("li", {}, typeof item === "object" && item !== null ? dataView(item, depth + 1) : formatScalar(item))),
      more > 0 ? h("li", { class: "muted" }, `and ${more} more`) : null,
    );
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return h("p", { class: "muted" }, "Nothing to show yet.");
  return h(
    "dl",
    { class: "kv" },
    entries.map(([key, item]) => [
      h("dt", {}, humanize(key)),
      h("dd", {}, typeof item === "object" && item !== null ? dataView(item, depth + 1) : formatScalar(item)),
    ]),
  );
}

function widgetCard(widget, index) {
  const headingId = `widget-${index}`;
  const title = String(widget.title || humanize(widget.id || "Widget"));
  const card = h(
    "article",
    { class: "card widget", "aria-labelledby": headingId, "data-plugin": String(widget.plugin || "") },
    h(
      "h3",
      { class: "widget__title", id: headingId },
      h("span", {}, title),
      widget.plugin ? h("span", { class: "widget__plugin" }, String(widget.plugin_title || humanize(widget.plugin))) : null,
    ),
  );
  const body = h("div", { class: "widget__body" });
  if (widget.error) {
    card.classList.add("widget--error");
    body.append(
      h(
        "div",
        { class: "callout callout--error" },
        icon("degraded"),
        h("div", {}, h("p", { class: "callout__title" }, "This widget couldn't load"), h("p", {}, String(widget.error))),
      ),
    );
  } else if (typeof widget.html === "string" && widget.html.trim()) {
    body.append(sanitizedFragment(widget.html));
  } else {
    body.append(dataView(widget.data));
  }
  card.append(body);
  return card;
}

function brokenWidgetCard(widget, index) {
  return widgetCard({ id: widget && widget.id, title: widget && widget.title, error: "Its data couldn't be shown." }, index);
}

async function loadWidgets() {
  try {
    const widgets = itemsOf(await api.get("/api/dashboard/widgets"));
    if (widgets.length === 0) {
      replace(
        grid,
        h(
          "div",
          { class: "card widget--span" },
          emptyState("grid", "No widgets yet", "Widgets appear here when an admin installs or turns on plugins that have them."),
        ),
      );
      return;
    }
    // One bad widget never takes the others (or the page) down.
    replace(
      grid,
      widgets.map((widget, index) => {
        try {
          return widgetCard(widget, index);
        } catch {
          return brokenWidgetCard(widget, index);
        }
      }),
    );
  } catch (error) {
    replace(
      grid,
      h(
        "div",
        { class: "card widget--span" },
        error.isMissing
          ? emptyState("grid", "Widgets aren't available yet", "This MediaNest doesn't serve dashboard widgets yet.")
          : emptyState("offline", "Couldn't load your widgets", error.message, retryButton(loadWidgets)),
      ),
    );
  } finally {
    widgetsSection.setAttribute("aria-busy", "false");
  }
}

// ---- shared -----------------------------------------------------------------------------------

function itemsOf(data) {
  if (Array.isArray(data)) return data;
  return data && Array.isArray(data.items) ? data.items : [];
}

let widgetRefresh = null;
function refreshWidgetsSoon() {
  clearTimeout(widgetRefresh);
  widgetRefresh = setTimeout(loadWidgets, WIDGET_REFRESH_DELAY_MS);
}

function retryButton(action) {
  return h("button", { class: "btn btn--sm", type: "button", onclick: action }, icon("refresh"), "Try again");
}

// ---- live updates -------------------------------------------------------------------------------

const liveBadge = document.querySelector("[data-live]");
const liveText = liveBadge.querySelector("[data-live-text]");
const LIVE_TEXT = { idle: "Connecting…", connecting: "Connecting…", open: "Live", reconnecting: "Reconnecting…", closed: "Offline" };

function startLive() {
  const live = new LiveSocket("/ws/status");
  let opened = false;
  live.addEventListener("state", (event) => {
    const { state } = event.detail;
    liveBadge.dataset.state = state;
    liveText.textContent = LIVE_TEXT[state] || state;
    liveBadge.title = state === "open" ? "Status updates arrive as they happen." : "Live updates paused; the page refreshes every minute.";
    if (state === "open") {
      if (opened) loadStatus(); // events may have been missed while away
      opened = true;
    }
  });
  live.on("service:status", (update) => {
    applyStatusEvent(update);
    refreshWidgetsSoon(); // widgets show the same services from the same cache
  });
  live.on("plugins:changed", () => {
    // An admin turned a plugin on or off: its widgets and services come or go.
    loadWidgets();
    loadStatus();
  });
  live.on("notification", (data) => {
    const message = data && (data.message || data.text);
    if (message) toast(String(message), { kind: data.level || data.kind || "info", title: data.title ? String(data.title) : "" });
    refreshWidgetsSoon(); // a notification says something changed, often what a widget shows
  });
  live.start();
  setInterval(() => {
    if (live.state !== "open" && document.visibilityState === "visible") loadStatus();
  }, FALLBACK_REFRESH_MS);
  return live;
}

refreshButton.addEventListener("click", loadStatus);
tickTimes(document);
loadStatus();
loadWidgets();
startLive();
